"""One pyautopsy command in the real LLDB (the plugin) or GDB (the scripts),
on a core or attached to a live process: the command line such tests share
and the command's output."""

from pyautopsy_testing import cores, gdb_runner, lldb_runner


def add_arguments(parser):
    """INTERPRETER --debugger lldb|gdb --python PATH [--lldb PATH --plugin PATH] [--library PATH] [--cache DIR]"""
    parser.add_argument("interpreter")
    parser.add_argument("--debugger", choices=("lldb", "gdb"), required=True)
    parser.add_argument("--python", required=True)
    parser.add_argument("--lldb")
    parser.add_argument("--plugin")
    parser.add_argument("--library")
    parser.add_argument("--cache", default=cores.default_cache())


def run_command(args, command, core=None, pid=None):
    """The text `command` prints, on `core` (with args.python) or attached to `pid`."""
    if args.debugger == "lldb":
        if pid is not None:
            return lldb_runner.run_lldb(args.lldb, args.plugin, [command], pre=["-p", str(pid)])[command]
        return lldb_runner.run_lldb(args.lldb, args.plugin,
                                    ["target create %s --core %s" % (args.python, core), command])[command]
    target = ["-p", str(pid)] if pid is not None else [args.python, core]
    return gdb_runner.run_gdb(target, [("output", command)], args.library).sections.get("output", "")


def add_front_end_arguments(parser):
    """INTERPRETER --python --pyautopsy --library --lldb --plugin: a test of every front end at once."""
    parser.add_argument("interpreter")
    for option in ("--python", "--pyautopsy", "--library", "--lldb", "--plugin"):
        parser.add_argument(option, required=True)


def gdb_output(target_args, command, library):
    """What one GDB command prints (target_args: [EXE, CORE] or ["-p", PID])."""
    return gdb_runner.run_gdb(target_args, [("output", command)], library).sections.get("output", "")


def lldb_output(lldb, plugin, pre, command, extra=()):
    """What one LLDB command prints; `extra` commands run after it in the same session."""
    ran = lldb_runner.run_lldb_in_order(lldb, plugin, [command] + list(extra), pre=pre)
    return next(output for ran_command, output in ran if ran_command == command)
