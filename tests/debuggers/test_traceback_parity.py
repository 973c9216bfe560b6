#!/usr/bin/env python3
"""Text as traceback prints it, and commands as libpython's users know them,
in the CLI, the real GDB and the real LLDB, live and from a core.

For one interpreter: writes a small program whose source declares latin-1
(PEP 263), recurses RECURSION deep with a 1000-character argument and parks
in time.sleep(); then, while it is parked,
  - CLI `pid` and `core` (a core gcore wrote of it): each frame followed by its
    decoded source line, the identical recursive frames collapsed into
    "[Previous line repeated N more times]", none of that with --no-source,
    every frame kept in the JSON, the long value cut to 256 characters with
    "...", and "the source may have changed" once the file is newer than the core;
  - GDB (`gdb -p`, and on the core) and LLDB (`lldb -p`, and `--core`): the same
    from py-bt, py-bt --no-source, py-bt --native and -a; py-down at the newest
    frame and py-up past the oldest say libpython's "Unable to find a newer /
    an older python frame"; after py-up 2, py-bt starts at the selected frame
    and says it left 2 newer frames out, and the debugger's own selected frame
    is the eval loop running that Python frame (GDB's `bt` decorator names
    the recursive call there: the right one of the frames sharing a return
    address); the debugger's own `frame 0` (and `down`) after that moves the Python
    selection back to the innermost frame (py-locals, py-bt follow it);
    py-list START,END, START END and N; py-locals shows the long
    value cut with "...", `--all` every frame, and at module level the
    module's globals; py-print finds a local, a global, a builtin (`<built-in
    function len>`), a module (`<module 'sys' (built-in)>`), a bound builtin
    method, says an unassigned local is unbound and a missing name not found.
The process must run on afterwards.
"""

import argparse
import contextlib
import ctypes
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

from pyautopsy_testing import Mismatch, checks, debugger_commands, environment, gdb_runner, live, lldb_runner

RECURSION = 20          # recurse() frames; all but the innermost stop on the same line
REPEATED = RECURSION - 1 - 3  # traceback shows 3 of the identical lines and counts the rest
MAX_REPR = 256          # Limits::maxReprLength, the marker included

PROGRAM = """\
# -*- coding: latin-1 -*-
# Parked for pyautopsy's traceback-parity test (written by the test).
import collections
import sys
import time

CONFIG = "settings"
USER_LIST = collections.UserList([1, "two"])
USER_DICT = collections.UserDict(a=[1])
READLINE = sys.stdin.readline


def recurse(depth, long_text):
    if depth > 1:
        return recurse(depth - 1, long_text)
    park(long_text)


def park(long_text):
    label = "caf\xe9"
    open(sys.argv[1], "w").close()
    while True:
        time.sleep(1000)  # parked: caf\xe9
    after = label
    return after


recurse(%d, "x" * 1000)
""" % RECURSION

SLEEP_LINE = "time.sleep(1000)  # parked: caf\u00e9"   # as decoded from latin-1
RECURSE_LINE = "return recurse(depth - 1, long_text)"
RECURSE_LINENO = PROGRAM.splitlines().index("        " + RECURSE_LINE) + 1


@contextlib.contextmanager
def parked_program(python):
    with tempfile.TemporaryDirectory(prefix="pyautopsy-parity-") as work:
        script = os.path.join(work, "parity_program.py")
        with open(script, "wb") as f:
            f.write(PROGRAM.encode("latin-1"))
        ready = os.path.join(work, "ready")
        proc = subprocess.Popen([python, script, ready], cwd=work, env=environment.for_target(),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                preexec_fn=_die_with_parent)
        try:
            live.wait_for_file(ready, proc, 60, "the program")
            time.sleep(0.2)   # from the ready file to time.sleep()
            yield proc, script, work
        finally:
            live.kill_tree(proc)


def _die_with_parent():
    os.setpgrp()   # no terminal signals from the test's own group
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)   # PR_SET_PDEATHSIG


# ---- what every front end's text must show ---------------------------------

_FRAME = re.compile(r'^\s*(?:#\d+\s*)?File "(.*)", line (\d+|\?), in (\S+)')


def frame_lines(text, script):
    return [m for m in (_FRAME.match(line) for line in text.splitlines()) if m and m.group(1) == script]


def check_traceback_text(text, script, source=True):
    """Collapsed recursion, and source lines exactly when asked for."""
    recursing = [m for m in frame_lines(text, script) if m.group(3) == "recurse"]
    # 3 identical lines, then the innermost recurse() on its own line.
    if len(recursing) != 4:
        raise Mismatch("%d recurse() frame lines, expected 3 identical ones and the innermost:\n%s" % (
            len(recursing), text[-3000:]))
    wanted = "[Previous line repeated %d more times]" % REPEATED
    if wanted not in text:
        raise Mismatch("no %r in:\n%s" % (wanted, text[-3000:]))
    has_source = SLEEP_LINE in text and RECURSE_LINE in text
    if source and not has_source:
        raise Mismatch("no decoded source line %r under the frames:\n%s" % (SLEEP_LINE, text[-3000:]))
    if not source and (SLEEP_LINE in text or RECURSE_LINE in text):
        raise Mismatch("source lines printed despite --no-source:\n%s" % text[-3000:])
    if source:
        lines = text.splitlines()
        for i, line in enumerate(lines):
            if line.strip() == SLEEP_LINE and not _FRAME.match(lines[i - 1]):
                raise Mismatch("the source line does not follow its frame line: %r" % lines[i - 1])
    return "%s, %s" % (wanted, "source lines decoded" if source else "no source lines")


def check_cut(value):
    if len(value) > MAX_REPR or not value.endswith("...") or not value.startswith("'xxx"):
        raise Mismatch("long_text is %r (%d characters), expected at most %d ending with ..." % (
            value[:40] + "..." + value[-10:], len(value), MAX_REPR))
    return "long value cut to %d characters" % len(value)


def check_json(report, script):
    threads = [t for t in report["threads"] if any(f.get("file") == script for f in t["frames"])]
    if not threads:
        raise Mismatch("no thread runs %s in the JSON" % script)
    frames = [f for f in threads[0]["frames"] if f.get("kind") == "python" and f.get("function") == "recurse"]
    if len(frames) != RECURSION:
        raise Mismatch("the JSON has %d recurse() frames, expected all %d" % (len(frames), RECURSION))
    found = "all %d recursive frames in the JSON" % RECURSION
    for frame in frames:
        value = dict((l["name"], l["repr"]) for l in frame.get("locals", [])).get("long_text") \
            if isinstance(frame.get("locals"), list) else (frame.get("locals") or {}).get("long_text")
        if value is not None:
            return found + ", " + check_cut(value)
    return found


def check_listing(text, first, last):
    numbers = [int(m.group(1)) for m in re.finditer(r"^[ >]\s*(\d+)\s", text, re.MULTILINE)]
    if numbers != list(range(first, last + 1)):
        raise Mismatch("listed lines %s, expected %d..%d:\n%s" % (numbers, first, last, text))
    if first == 1 and "# -*- coding: latin-1 -*-" not in text:
        raise Mismatch("line 1 is not the coding line:\n%s" % text)
    return "lines %d-%d" % (first, last)


def check_contains(text, wanted):
    if wanted not in text:
        raise Mismatch("no %r in:\n%s" % (wanted, text[-2000:]))
    return repr(wanted)


def check_line(text, wanted):
    """`wanted` starts one of the lines of `text` (py-print prints one)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not any(line.startswith(wanted) for line in lines):
        raise Mismatch("no line starting %r in: %r" % (wanted, text[-1000:]))
    return repr(wanted)


def check_all_locals(text):
    numbers = re.findall(r"^#(\d+)", text, re.MULTILINE)
    if len(numbers) != RECURSION + 2:
        raise Mismatch("py-locals --all shows %d frames, expected %d:\n%s" % (len(numbers), RECURSION + 2, text[-2000:]))
    check_line(text, "label = 'caf\u00e9'")
    check_line(text, "depth = %d" % RECURSION)
    return "%d frames, innermost and outermost locals" % len(numbers)


def check_module_locals(text):
    for wanted in ("CONFIG = 'settings'", "recurse = <function recurse at 0x", "__name__ = '__main__'"):
        check_line(text, wanted)
    return "the module's globals"


def check_native_selection(move_text, frame_text, bt_text):
    """py-up selected the debugger's native frame it names, and that is the selected one now.
    (LLDB's own unwinder stops early on some builds, e.g. at a tail call in
    PyObject_Vectorcall: with no eval-loop frame in its backtrace there is
    nothing to select.)"""
    moved = re.search(r"\((?:GDB|LLDB) frame #(\d+) selected", move_text)
    if not moved and "_PyEval_EvalFrameDefault" not in bt_text:
        return "the debugger's own backtrace shows no eval loop to select"
    if not moved:
        raise Mismatch("py-up 2 selected no native frame:\n%s" % move_text)
    shown = re.search(r"^(?:frame )?#(\d+)", frame_text.strip(), re.MULTILINE)
    if not shown or shown.group(1) != moved.group(1):
        raise Mismatch("py-up 2 says frame #%s, the debugger's selected frame is: %s" % (
            moved.group(1), frame_text.strip()[:300]))
    return "native frame #%s" % moved.group(1)


def check_decorated_selection(move_text, bt_text):
    """GDB's frame filter names the Python code of the frame py-up selected: the recursive call."""
    moved = re.search(r"\(GDB frame #(\d+) selected", move_text)
    if not moved:
        raise Mismatch("py-up 2 selected no native frame:\n%s" % move_text)
    line = next((l for l in bt_text.splitlines() if l.startswith("#%s " % moved.group(1))), "")
    wanted = "recurse (parity_program.py:%d)" % RECURSE_LINENO
    if "[Python:" not in line or wanted not in line:
        raise Mismatch("bt's frame #%s is %r, expected an eval loop running %s" % (moved.group(1), line, wanted))
    return "bt #%s runs %s" % (moved.group(1), wanted)


def check_follows_native(move_text, locals_text, bt_text, command="frame 0"):
    """After py-up 2, the debugger's own `frame 0` (or `down 100`, which stops
    at the innermost frame) selects the innermost Python frame again:
    py-locals and py-bt follow it."""
    if not re.search(r"\((?:GDB|LLDB) frame #\d+ selected", move_text):
        return "py-up 2 selected no native frame: the debugger's selection did not move"
    check_line(locals_text, "label = 'caf\u00e9'")
    if "newer Python frames not shown" in bt_text:
        raise Mismatch("py-bt after `%s` still starts at the frame py-up selected:\n%s" % (command, bt_text[-2000:]))
    return "py-locals and py-bt at the innermost frame after the debugger's %s" % command


# time.sleep() waits in one of these (by version and libc); never in `read`.
SLEEP_SYSCALLS = ("clock_nanosleep", "nanosleep", "select", "pselect6")


def check_syscall(text):
    """The thread header names the sleep's system call, or none when the
    registers do not tell (a debugger without orig_rax): never a wrong one."""
    claimed = re.findall(r"in syscall (\w+)", text)
    wrong = [name for name in claimed if name not in SLEEP_SYSCALLS]
    if wrong:
        raise Mismatch("the parked thread is said to be in syscall %s:\n%s" % (wrong[0], text[:400]))
    return "syscall %s" % (claimed[0] if claimed else "not claimed")


def check_selected_start(text, script):
    if "2 newer Python frames not shown" not in text:
        raise Mismatch("py-bt after py-up 2 does not say it left 2 frames out:\n%s" % text[-2000:])
    first = frame_lines(text, script)[0]
    if first.group(3) != "recurse":
        raise Mismatch("py-bt after py-up 2 starts at %s, expected recurse" % first.group(3))
    return "starts at the selected frame, 2 newer left out"


def check_long_local(text):
    match = re.search(r"long_text = ('.*)$", text, re.MULTILINE)
    if not match:
        raise Mismatch("no long_text in:\n%s" % text[-2000:])
    return check_cut(match.group(1))


# ---- the CLI ----------------------------------------------------------------

def run_cli(binary, args):
    proc = subprocess.run([binary] + args, capture_output=True, timeout=120, env=environment.for_target())
    if proc.returncode != 0:
        raise Mismatch("pyautopsy %s exited %d: %s" % (" ".join(args), proc.returncode,
                                                       proc.stderr.decode("utf-8", "replace").strip()))
    return proc.stdout.decode("utf-8")


def cli_checks(label, binary, target, script):
    return [
        ("%s text" % label, lambda: check_traceback_text(run_cli(binary, target), script)),
        ("%s system call" % label, lambda: check_syscall(run_cli(binary, target))),
        ("%s --no-source" % label, lambda: check_traceback_text(run_cli(binary, target + ["--no-source"]), script,
                                                                source=False)),
        ("%s --json --locals" % label, lambda: check_json(json.loads(run_cli(binary, target + ["--json", "--locals"])),
                                                          script)),
    ]


# ---- GDB ----------------------------------------------------------------------

GDB_SESSION = [
    ("py-bt", "py-bt"), ("no-source", "py-bt --no-source"), ("native", "py-bt --native"), ("all", "py-bt -a"),
    ("print-local", "py-print label"), ("print-global", "py-print CONFIG"), ("print-builtin", "py-print len"),
    ("print-unbound", "py-print after"), ("print-missing", "py-print nosuch"),
    ("print-module", "py-print sys"), ("print-userlist", "py-print USER_LIST"),
    ("print-userdict", "py-print USER_DICT"), ("print-method", "py-print READLINE"), ("locals-all", "py-locals --all"),
    ("down", "py-down"), ("up2", "py-up 2"), ("bt-selected", "py-bt"), ("native-frame", "frame"), ("native-bt", "bt"), ("locals", "py-locals"),
    ("native-zero", "frame 0"), ("locals-followed", "py-locals"), ("bt-followed", "py-bt --no-source"),
    ("up2-again", "py-up 2"), ("native-up", "up"), ("native-down", "down 100"), ("locals-down", "py-locals"), ("bt-down", "py-bt --no-source"),
    ("up-far", "py-up 100"), ("up-end", "py-up"),
    ("module-locals", "py-locals"), ("module-print", "py-print __name__"),
    ("list-comma", "py-list 1,3"), ("list-space", "py-list 2 4"), ("list-n", "py-list 5"),
    ("json", "pyautopsy report --json --locals"),
]


def debugger_checks(label, out, script):
    """out: {label: text} for the commands of GDB_SESSION (LLDB's mapped to the same labels)."""
    return [
        ("%s py-bt" % label, lambda: check_traceback_text(out["py-bt"], script)),
        ("%s py-bt --no-source" % label, lambda: check_traceback_text(out["no-source"], script, source=False)),
        ("%s py-bt's system call" % label, lambda: check_syscall(out["py-bt"])),
        ("%s py-bt --native" % label, lambda: check_contains(out["native"], "_PyEval_EvalFrameDefault")),
        ("%s py-bt -a" % label, lambda: check_traceback_text(out["all"], script)),
        ("%s py-down at the newest" % label, lambda: check_contains(out["down"], "Unable to find a newer python frame")),
        ("%s py-bt after py-up 2" % label, lambda: check_selected_start(out["bt-selected"], script)),
        ("%s py-locals" % label, lambda: check_long_local(out["locals"])),
        ("%s py-up selects the eval loop" % label, lambda: check_native_selection(out["up2"], out["native-frame"],
                                                                                 out["native-bt"])),
        ("%s the debugger's frame 0 moves the Python selection" % label, lambda: check_follows_native(
            out["up2"], out["locals-followed"], out["bt-followed"])),
        ("%s the debugger's down moves the Python selection" % label, lambda: check_follows_native(
            out["up2-again"], out["locals-down"], out["bt-down"], "down 100")),
        ("%s py-up past the oldest" % label, lambda: check_contains(out["up-end"],
                                                                   "Unable to find an older python frame")),
        ("%s py-print local" % label, lambda: check_line(out["print-local"], "local 'label' = 'caf\u00e9'")),
        ("%s py-print global" % label, lambda: check_line(out["print-global"], "global 'CONFIG' = 'settings'")),
        ("%s py-print builtin" % label, lambda: check_line(out["print-builtin"],
                                                           "builtin 'len' = <built-in function len>")),
        ("%s py-print unbound" % label, lambda: check_line(out["print-unbound"], "local 'after' is unbound")),
        ("%s py-print module" % label, lambda: check_line(out["print-module"], "global 'sys' = <module 'sys' (built-in)>")),
        ("%s py-print method" % label, lambda: check_line(
            out["print-method"], "global 'READLINE' = <built-in method readline of _io.TextIOWrapper object at 0x")),
        ("%s py-print UserList" % label, lambda: check_line(out["print-userlist"], "global 'USER_LIST' = [1, 'two']")),
        ("%s py-print UserDict" % label, lambda: check_line(out["print-userdict"], "global 'USER_DICT' = {'a': [1]}")),
        ("%s py-print missing" % label, lambda: check_line(out["print-missing"], "'nosuch' not found")),
        ("%s py-locals --all" % label, lambda: check_all_locals(out["locals-all"])),
        ("%s py-locals at module level" % label, lambda: check_module_locals(out["module-locals"])),
        ("%s py-print at module level" % label, lambda: check_line(out["module-print"],
                                                                  "global '__name__' = '__main__'")),
        ("%s py-list 1,3" % label, lambda: check_listing(out["list-comma"], 1, 3)),
        ("%s py-list 2 4" % label, lambda: check_listing(out["list-space"], 2, 4)),
        ("%s py-list 5" % label, lambda: check_listing(out["list-n"], 5, 15)),
        ("%s report --json" % label, lambda: check_json(_json(out["json"]), script)),
    ]


def _json(text):
    return json.loads(text[text.index("{"):])


def gdb_checks(label, out):
    return [("%s bt names the selected eval loop's Python code" % label,
             lambda: check_decorated_selection(out["up2"], out["native-bt"]))]


def gdb_outputs(target_args, library):
    result = gdb_runner.run_gdb(target_args, GDB_SESSION, library)
    return result.sections


def lldb_outputs(lldb, plugin, pre, extra=()):
    """The second py-bt is spelled `py-bt -n` (native frames too) to try both."""
    commands = [command for _label, command in GDB_SESSION]
    labels = [label for label, _c in GDB_SESSION]
    commands[labels.index("bt-selected")] = "py-bt -n"
    commands[labels.index("native-frame")] = "frame info"
    commands[labels.index("native-bt")] = "thread backtrace"
    commands[labels.index("native-zero")] = "frame select 0"
    # LLDB -b stops at a command's error, and `up` fails where py-up selected
    # the oldest frame LLDB's unwinder found; `down` only needs a frame to
    # come down from (where py-up selected none, the check says so and skips).
    commands[labels.index("native-up")] = "script lldb.thread.SetSelectedFrame(1) if lldb.frame.GetFrameID() == 0 else None"
    ran = lldb_runner.run_lldb_in_order(lldb, plugin, commands + list(extra), pre=pre)
    outputs, at = {}, 0
    for (label, _c), command in zip(GDB_SESSION, commands):
        while ran[at][0] != command:   # plugin load, and anything LLDB echoes before ours
            at += 1
        outputs[label] = ran[at][1]
        at += 1
    return outputs


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    debugger_commands.add_front_end_arguments(parser)
    args = parser.parse_args()

    name = args.interpreter
    failures = 0
    try:
        with parked_program(args.python) as (proc, script, work):
            pid = str(proc.pid)
            failures += checks.run_all("%s live cli" % name, cli_checks("pid", args.pyautopsy, ["pid", pid], script))
            gdb_live = gdb_outputs(["-p", pid], args.library)
            failures += checks.run_all("%s live gdb" % name, debugger_checks("gdb -p", gdb_live, script) +
                                       gdb_checks("gdb -p", gdb_live))
            lldb_live = lldb_outputs(args.lldb, args.plugin, ["-p", pid], ["process detach"])
            failures += checks.run_all("%s live lldb" % name, debugger_checks("lldb -p", lldb_live, script))

            core = os.path.join(work, "core.%s" % pid)
            subprocess.run(["gdb", "-batch", "-nx", "-p", pid, "-ex", "gcore %s" % core], capture_output=True,
                           timeout=120, env=environment.for_target())
            time.sleep(0.2)
            failures += checks.run("%s the process runs on" % name, lambda: live.ensure_running(proc))
            if not os.path.exists(core):
                raise Mismatch("gcore wrote no core")
            failures += checks.run_all("%s core cli" % name, cli_checks("core", args.pyautopsy, ["core", core], script))
            gdb_core = gdb_outputs([args.python, core], args.library)
            failures += checks.run_all("%s core gdb" % name, debugger_checks("gdb core", gdb_core, script) +
                                       gdb_checks("gdb core", gdb_core))
            failures += checks.run_all("%s core lldb" % name, debugger_checks(
                "lldb --core", lldb_outputs(args.lldb, args.plugin, ["--core", core, args.python]), script))

            # The file edited after the core was written: its lines may not be what ran.
            later = os.path.getmtime(core) + 100
            os.utime(script, (later, later))
            failures += checks.run("%s core cli changed source" % name, lambda: check_contains(
                run_cli(args.pyautopsy, ["core", core]), "the source may have changed"))
    except Mismatch as e:
        checks.fail("%s traceback-parity" % name, e)
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
