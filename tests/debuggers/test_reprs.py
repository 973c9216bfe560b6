#!/usr/bin/env python3
"""Values whose repr() CPython writes in C (and collections' own), shown as
the target's own repr() shows them, in every front end, live and from a core.

For one interpreter: a program binds one local per kind of value (exceptions
with their args, ImportError's name and path (3.15), range, slice, a frame, a code object, method-wrappers,
dict/list/tuple subclasses, defaultdict, OrderedDict (one reordered by
move_to_end), Counter, deque (bounded, empty, spanning two blocks, rotated),
subclasses of those), writes repr() of each to a file and parks in
time.sleep(). Then each local must read exactly as that file says (addresses
included: the objects are the same) in
  - CLI `pid --locals` (text) and `pid --json --locals`;
  - GDB's and LLDB's `py-locals`, attached and on a core gcore wrote;
  - CLI `core --json --locals`.
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

from pyautopsy_testing import Mismatch, checks, debugger_commands, environment, live

PROGRAM = """\
# Parked for pyautopsy's reprs test (written by the test).
import collections
import json
import sys
import time


class MyList(list): pass
class MyDict(dict): pass
class MyTuple(tuple): pass
class MyError(Exception): pass
class MyDeque(collections.deque): pass
class MyOrderedDict(collections.OrderedDict): pass
class MyDefaultDict(collections.defaultdict): pass


def suspended():
    yield 1


def park(ready):
    gen = suspended()
    next(gen)
    runtime_error = RuntimeError("I am an error")
    key_error = KeyError("k")
    os_error = OSError(2, "x")
    no_args = Exception()
    my_error = MyError(1, "two")
    tuple_arg = ValueError(("a",))
    import_error = ImportError("x", name="m")
    import_path = ImportError(name="m", path="/p")
    not_found = ModuleNotFoundError("No module named 'q'", name="q")
    range_step = range(0, 10, 2)
    range_unit = range(5)
    range_down = range(10, -3, -1)
    slice_plain = slice(1, 2)
    slice_step = slice(None, None, -1)
    frame = gen.gi_frame
    code = park.__code__
    method_wrapper = MyList([1]).__init__
    list_wrapper = [].__len__
    my_dict = MyDict(a=1)
    my_list = MyList([1, "x"])
    my_tuple = MyTuple((1,))
    default_list = collections.defaultdict(list, a=[1])
    default_none = collections.defaultdict(None)
    my_default = MyDefaultDict(int, k=2)
    ordered = collections.OrderedDict(a=1)
    ordered_empty = collections.OrderedDict()
    moved = collections.OrderedDict(a=1, b=[2], c=3)
    moved.move_to_end("a")
    my_ordered = MyOrderedDict(x=(1, 2))
    counter = collections.Counter("abbccc")
    counter_empty = collections.Counter()
    deque_plain = collections.deque([1, 2])
    deque_bounded = collections.deque([1], maxlen=3)
    deque_empty = collections.deque()
    rotated = collections.deque(i % 10 for i in range(70))
    rotated.rotate(3)
    my_deque = MyDeque(["q"])
    expected = {k: repr(v) for k, v in locals().items() if k not in ("ready", "gen")}
    with open(ready + ".tmp", "w") as f:
        json.dump(expected, f)
    import os
    os.rename(ready + ".tmp", ready)
    while True:
        time.sleep(1000)


park(sys.argv[1])
"""

_LOCAL = re.compile(r"^\s*(\w+) = (.*)$")


@contextlib.contextmanager
def parked_program(python):
    with tempfile.TemporaryDirectory(prefix="pyautopsy-reprs-") as work:
        script = os.path.join(work, "reprs_program.py")
        with open(script, "w") as f:
            f.write(PROGRAM)
        ready = os.path.join(work, "ready")
        proc = subprocess.Popen([python, script, ready], cwd=work, env=environment.for_target(),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=_die_with_parent)
        try:
            live.wait_for_file(ready, proc, 60, "the program")
            time.sleep(0.2)   # from the ready file to time.sleep()
            with open(ready) as f:
                expected = json.load(f)
            yield proc, expected, work
        finally:
            live.kill_tree(proc)


def _die_with_parent():
    os.setpgrp()   # no terminal signals from the test's own group
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)   # PR_SET_PDEATHSIG


def compare(expected, shown):
    """shown: {name: repr} as a front end printed them."""
    wrong = ["%s: %r, expected %r" % (name, shown.get(name), want)
             for name, want in expected.items() if shown.get(name) != want]
    if wrong:
        raise Mismatch("%d of %d values differ:\n  %s" % (len(wrong), len(expected), "\n  ".join(wrong)))
    return "all %d values as repr() shows them" % len(expected)


def text_locals(text):
    """The `name = repr` lines of one frame's locals (the first seen of each name)."""
    shown = {}
    for line in text.splitlines():
        match = _LOCAL.match(line)
        if match:
            shown.setdefault(match.group(1), match.group(2))
    return shown


def json_locals(report):
    for thread in report["threads"]:
        for frame in thread["frames"]:
            if frame.get("function") == "park":
                found = frame.get("locals") or []
                return dict((l["name"], l["repr"]) for l in found) if isinstance(found, list) else found
    raise Mismatch("no park() frame in the JSON")


def run_cli(binary, args):
    proc = subprocess.run([binary] + args, capture_output=True, timeout=120, env=environment.for_target())
    if proc.returncode != 0:
        raise Mismatch("pyautopsy %s exited %d: %s" % (" ".join(args), proc.returncode,
                                                       proc.stderr.decode("utf-8", "replace").strip()))
    return proc.stdout.decode("utf-8")


def park_frame_text(text):
    """CLI text: the locals under park()'s frame line only."""
    start = text.find(", in park")
    if start < 0:
        raise Mismatch("no park() frame in:\n%s" % text[-2000:])
    return text[start:]


def gdb_locals(target_args, library):
    return debugger_commands.gdb_output(target_args, "py-locals", library)


def lldb_locals(lldb, plugin, pre, extra=()):
    return debugger_commands.lldb_output(lldb, plugin, pre, "py-locals", extra)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    debugger_commands.add_front_end_arguments(parser)
    args = parser.parse_args()

    name = args.interpreter
    failures = 0
    try:
        with parked_program(args.python) as (proc, expected, work):
            pid = str(proc.pid)
            cli = args.pyautopsy
            failures += checks.run_all("%s live" % name, [
                ("cli text", lambda: compare(expected, text_locals(park_frame_text(run_cli(cli, ["pid", pid, "--locals"]))))),
                ("cli json", lambda: compare(expected, json_locals(json.loads(
                    run_cli(cli, ["pid", pid, "--json", "--locals"]))))),
                ("gdb py-locals", lambda: compare(expected, text_locals(gdb_locals(["-p", pid], args.library)))),
                ("lldb py-locals", lambda: compare(expected, text_locals(
                    lldb_locals(args.lldb, args.plugin, ["-p", pid], ["process detach"])))),
            ])
            core = os.path.join(work, "core.%s" % pid)
            subprocess.run(["gdb", "-batch", "-nx", "-p", pid, "-ex", "gcore %s" % core], capture_output=True,
                           timeout=120, env=environment.for_target())
            time.sleep(0.2)
            failures += checks.run("%s the process runs on" % name, lambda: live.ensure_running(proc))
            if not os.path.exists(core):
                raise Mismatch("gcore wrote no core")
            failures += checks.run_all("%s core" % name, [
                ("cli json", lambda: compare(expected, json_locals(json.loads(
                    run_cli(cli, ["core", core, "--json", "--locals"]))))),
                ("gdb py-locals", lambda: compare(expected, text_locals(gdb_locals([args.python, core], args.library)))),
                ("lldb py-locals", lambda: compare(expected, text_locals(
                    lldb_locals(args.lldb, args.plugin, ["--core", core, args.python])))),
            ])
    except Mismatch as e:
        checks.fail("%s reprs" % name, e)
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
