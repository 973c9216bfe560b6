#!/usr/bin/env python3
"""The C callable a Python frame is calling, shown next to it as libpython
shows it at the top of py-bt, in every front end, live and from a core.

For one interpreter: a program parks five threads inside C calls --
time.sleep(), a lock's acquire(), select.select(), a list.sort() whose key
function parks in time.sleep(), and a list subclass's __init__ whose
super().__init__() consumes a generator that parks -- and writes, per
thread, each (function, repr() of the callable it calls) pair. Each pair
must show -- from 3.14 where the frame records its stack for a call into C,
before from the stack depth computed from the bytecode -- in the CLI's
traceback order the callable's line right after its frame's line, in py-bt
(most recent call first) right before it, and in the JSON as the frame's
"calling". Checked with CLI `pid`/`core` (text and JSON) and GDB's and LLDB's
`py-bt -a`, attached and on a core gcore wrote; the process must run on.
Then one thread parked in a gc.callbacks function inside gc.collect(): its
header says garbage-collecting (it is the one thread state); and again
beside a second thread, the collector parked holding the GIL: only its
header says so (it holds the GIL). From 3.15,
where the GC state records the frame that started the collection,
`Garbage-collecting` sits beside that frame, next to its
<built-in function collect>.
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
# Parked in C calls for pyautopsy's calls-in-progress test (written by the test).
import json
import os
import select
import sys
import threading
import time

expected = {}
ready = threading.Barrier(6)


def sleeper():
    expected["sleeper"] = [["sleeper", repr(time.sleep)]]
    ready.wait()
    time.sleep(1000)


def locker(lock):
    expected["locker"] = [["locker", repr(lock.acquire)]]
    ready.wait()
    lock.acquire()


def selector(fd):
    expected["selector"] = [["selector", repr(select.select)]]
    ready.wait()
    select.select([fd], [], [])


def park_key(item):
    ready.wait()
    time.sleep(1000)
    return item


def sorter():
    data = [3, 1, 2]
    expected["sorter"] = [["sorter", repr(data.sort)], ["park_key", repr(time.sleep)]]
    data.sort(key=park_key)


class MyList(list):
    def __init__(self, items):
        expected["init"] = [["__init__", repr(super().__init__)], ["parked_items", repr(time.sleep)]]
        super().__init__(items)


def parked_items():
    ready.wait()
    time.sleep(1000)
    yield 1


def initializer():
    MyList(parked_items())


held = threading.Lock()
held.acquire()
r, w = os.pipe()
for name, target, args in [("sleeper", sleeper, ()), ("locker", locker, (held,)), ("selector", selector, (r,)),
                           ("sorter", sorter, ()), ("init", initializer, ())]:
    threading.Thread(target=target, args=args, name=name, daemon=True).start()
ready.wait()
time.sleep(0.3)   # from the barrier into the calls
expected = {"recorded": True, "threads": expected}
with open(sys.argv[1] + ".tmp", "w") as f:
    json.dump(expected, f)
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    time.sleep(1000)
"""

# One thread parked in a gc.callbacks function, inside gc.collect().
GC_PROGRAM = """\
# Parked inside a garbage collection for pyautopsy's calls-in-progress test.
import gc
import json
import sys
import time


def callback(phase, info):
    if phase == "start":
        with open(sys.argv[1] + ".tmp", "w") as f:
            json.dump({"frame_recorded": sys.version_info >= (3, 15), "calls_recorded": True,
                       "collect": repr(gc.collect), "sleep": repr(time.sleep)}, f)
        import os
        os.rename(sys.argv[1] + ".tmp", sys.argv[1])
        time.sleep(1000)


gc.callbacks.append(callback)
gc.collect()
"""

# The collector holds the GIL, parked in libc's sleep() called through
# ctypes.PyDLL (which keeps the GIL), while a second thread waits for the GIL:
# with two thread states, the GIL holder is the collector.
GC_THREADS_PROGRAM = """\
# Parked inside a garbage collection, holding the GIL, beside another thread.
import ctypes
import gc
import json
import sys
import threading
import time

started = threading.Event()


def bystander():
    started.set()
    time.sleep(1000)


def callback(phase, info):
    if phase == "start":
        with open(sys.argv[1] + ".tmp", "w") as f:
            json.dump({"frame_recorded": sys.version_info >= (3, 15), "calls_recorded": True,
                       "collect": repr(gc.collect), "sleep": repr(time.sleep), "collector": "MainThread",
                       "bystander": "bystander"}, f)
        import os
        os.rename(sys.argv[1] + ".tmp", sys.argv[1])
        ctypes.PyDLL(None).sleep(1000)


threading.Thread(target=bystander, name="bystander", daemon=True).start()
started.wait()
time.sleep(0.3)   # into its time.sleep()
gc.callbacks.append(callback)
gc.collect()
"""

_FRAME = re.compile(r'^\s*(?:#\d+\s*)?File "(.*)", line (?:\d+|\?), in (\S+)')
_THREAD = re.compile(r'^Thread (?:0x[0-9a-f]+|\?) \(.*"(\w+)"')


@contextlib.contextmanager
def parked_program(python, program=PROGRAM):
    with tempfile.TemporaryDirectory(prefix="pyautopsy-calls-") as work:
        script = os.path.join(work, "calls_program.py")
        with open(script, "w") as f:
            f.write(program)
        ready = os.path.join(work, "ready")
        proc = subprocess.Popen([python, script, ready], cwd=work, env=environment.for_target(),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=_die_with_parent)
        try:
            live.wait_for_file(ready, proc, 60, "the program")
            with open(ready) as f:
                expected = json.load(f)
            yield proc, expected, work
        finally:
            live.kill_tree(proc)


def _die_with_parent():
    os.setpgrp()   # no terminal signals from the test's own group
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)   # PR_SET_PDEATHSIG


def thread_blocks(text):
    """{thread name: [lines]} of a text report or py-bt -a."""
    blocks, current = {}, None
    for line in text.splitlines():
        match = _THREAD.match(line)
        if match:
            current = blocks.setdefault(match.group(1), [])
        elif current is not None:
            current.append(line)
    return blocks


# gcore of a 3.13+ process writes zeros where a thread's C stack holds the
# entry frame of a Python function called from C (list.sort's key, a
# generator list() consumes): the frames older than it are lost from the
# core, and pyautopsy says so in this note. Their pairs cannot be checked there.
LOST = "frame chain ends at a zeroed frame"


def check_text(expected, text, newest_first, core=False):
    blocks = thread_blocks(text)
    found = lost = 0
    for name, pairs in expected["threads"].items():
        lines = blocks.get(name)
        if lines is None:
            raise Mismatch("no thread %r in:\n%s" % (name, text[-3000:]))
        named = [line.strip() for line in lines if line.strip().startswith("<")]
        if not expected["recorded"]:
            if named:
                raise Mismatch("thread %s names a callable this version does not record: %r" % (name, named[0]))
            continue
        for function, callable_repr in pairs:
            at = next((i for i, line in enumerate(lines)
                       if _FRAME.match(line) and _FRAME.match(line).group(2) == function), None)
            if at is None and core and any(LOST in line for line in lines):
                lost += 1
                continue
            if at is None:
                raise Mismatch("thread %s has no frame of %s:\n%s" % (name, function, "\n".join(lines)))
            beside = at - 1 if newest_first else at + 1
            shown = lines[beside].strip() if 0 <= beside < len(lines) else ""
            if shown != callable_repr:
                raise Mismatch("thread %s: %r beside %s's frame, expected %r:\n%s" % (
                    name, shown, function, callable_repr, "\n".join(lines)))
            found += 1
    if not expected["recorded"]:
        return "no callable named (not recorded before 3.14)"
    return "%d callables beside their frames%s" % (found, ", %d frames lost from the core" % lost if lost else "")


def check_json(expected, report, core=False):
    by_name = dict((t.get("name"), t) for t in report["threads"])
    found = lost = 0
    for name, pairs in expected["threads"].items():
        frames = [f for f in by_name[name]["frames"] if f.get("kind") == "python"]
        for function, callable_repr in pairs:
            frame = next((f for f in frames if f.get("function") == function), None)
            if frame is None and core and any(LOST in note for note in by_name[name].get("notes") or []):
                lost += 1
                continue
            if frame is None:
                raise Mismatch("thread %s has no %s frame in the JSON" % (name, function))
            want = callable_repr if expected["recorded"] else None
            if frame.get("calling") != want:
                raise Mismatch("thread %s, %s: \"calling\" is %r, expected %r" % (
                    name, function, frame.get("calling"), want))
            found += 1
    return "%d frames' \"calling\" as expected%s" % (found, ", %d frames lost from the core" % lost if lost else "")


def check_gc_text(expected, text, newest_first):
    """The collector is marked in its header, no other thread is; from 3.15
    `Garbage-collecting` sits between the module frame (calling gc.collect)
    and the callback."""
    collector = expected.get("collector")
    headers = [line for line in text.splitlines() if line.startswith("Thread ")]
    header = next((h for h in headers if collector is None or '"%s"' % collector in h), "")
    if "garbage-collecting" not in header:
        raise Mismatch("the thread header does not say garbage-collecting: %r" % header)
    others = [h for h in headers if h != header and "garbage-collecting" in h]
    if others:
        raise Mismatch("a thread other than the collector says garbage-collecting: %r" % others[0])
    lines = [line.strip() for line in text.splitlines()]
    if not expected["frame_recorded"]:
        if "Garbage-collecting" in lines:
            raise Mismatch("a Garbage-collecting line where no frame records the collection:\n%s" % text[-2000:])
        return "header says garbage-collecting" + (", only the collector's" if len(headers) > 1 else "")
    module = next(i for i, line in enumerate(lines) if line.endswith("in <module>") and line.startswith("File"))
    wanted = [expected["collect"], "Garbage-collecting"]
    shown = lines[module - 2:module][::-1] if newest_first else lines[module + 1:module + 3]
    if shown != wanted:
        raise Mismatch("beside the module frame %r, expected %r:\n%s" % (shown, wanted, text[-2000:]))
    return "header says garbage-collecting; Garbage-collecting beside the frame that started it"


def check_gc_json(expected, report):
    collector = expected.get("collector")
    thread = next(t for t in report["threads"] if collector is None or t.get("name") == collector)
    if not thread.get("garbage_collecting"):
        raise Mismatch("garbage_collecting is %r" % thread.get("garbage_collecting"))
    others = [t.get("name") for t in report["threads"] if t is not thread and t.get("garbage_collecting")]
    if others:
        raise Mismatch("garbage_collecting is set on %r too" % others)
    module = next(f for f in thread["frames"] if f.get("function") == "<module>")
    if module.get("started_gc") != expected["frame_recorded"]:
        raise Mismatch("the module frame's started_gc is %r" % module.get("started_gc"))
    want = expected["collect"] if expected["calls_recorded"] else None
    if module.get("calling") != want:
        raise Mismatch("the module frame's calling is %r, expected %r" % (module.get("calling"), want))
    return "garbage_collecting, started_gc %s, calling %r" % (module.get("started_gc"), module.get("calling"))


def gc_checks(name, args, program=GC_PROGRAM, label="gc"):
    cli = args.pyautopsy
    with parked_program(args.python, program) as (proc, expected, _work):
        pid = str(proc.pid)
        return checks.run_all("%s %s live" % (name, label), [
            ("cli text", lambda: check_gc_text(expected, run_cli(cli, ["pid", pid, "--no-source"]), False)),
            ("cli json", lambda: check_gc_json(expected, json.loads(run_cli(cli, ["pid", pid, "--json"])))),
            ("gdb py-bt", lambda: check_gc_text(expected, gdb_bt(["-p", pid], args.library), True)),
            ("lldb py-bt", lambda: check_gc_text(expected, lldb_bt(args.lldb, args.plugin, ["-p", pid],
                                                                   ["process detach"]), True)),
        ])


def run_cli(binary, args):
    proc = subprocess.run([binary] + args, capture_output=True, timeout=120, env=environment.for_target())
    if proc.returncode != 0:
        raise Mismatch("pyautopsy %s exited %d: %s" % (" ".join(args), proc.returncode,
                                                       proc.stderr.decode("utf-8", "replace").strip()))
    return proc.stdout.decode("utf-8")


def gdb_bt(target_args, library):
    return debugger_commands.gdb_output(target_args, "py-bt -a --no-source", library)


def lldb_bt(lldb, plugin, pre, extra=()):
    return debugger_commands.lldb_output(lldb, plugin, pre, "py-bt -a --no-source", extra)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    debugger_commands.add_front_end_arguments(parser)
    args = parser.parse_args()

    name = args.interpreter
    cli = args.pyautopsy
    failures = 0
    try:
        with parked_program(args.python) as (proc, expected, work):
            pid = str(proc.pid)
            failures += checks.run_all("%s live" % name, [
                ("cli text", lambda: check_text(expected, run_cli(cli, ["pid", pid, "--no-source"]), False)),
                ("cli json", lambda: check_json(expected, json.loads(run_cli(cli, ["pid", pid, "--json"])))),
                ("gdb py-bt -a", lambda: check_text(expected, gdb_bt(["-p", pid], args.library), True)),
                ("lldb py-bt -a", lambda: check_text(expected, lldb_bt(args.lldb, args.plugin, ["-p", pid],
                                                                       ["process detach"]), True)),
            ])
            core = os.path.join(work, "core.%s" % pid)
            subprocess.run(["gdb", "-batch", "-nx", "-p", pid, "-ex", "gcore %s" % core], capture_output=True,
                           timeout=120, env=environment.for_target())
            time.sleep(0.2)
            failures += checks.run("%s the process runs on" % name, lambda: live.ensure_running(proc))
            if not os.path.exists(core):
                raise Mismatch("gcore wrote no core")
            failures += checks.run_all("%s core" % name, [
                ("cli text", lambda: check_text(expected, run_cli(cli, ["core", core, "--no-source"]), False, True)),
                ("cli json", lambda: check_json(expected, json.loads(run_cli(cli, ["core", core, "--json"])), True)),
                ("gdb py-bt -a", lambda: check_text(expected, gdb_bt([args.python, core], args.library), True, True)),
                ("lldb py-bt -a", lambda: check_text(expected, lldb_bt(args.lldb, args.plugin,
                                                                       ["--core", core, args.python]), True, True)),
            ])
        failures += gc_checks(name, args)
        failures += gc_checks(name, args, GC_THREADS_PROGRAM, "gc with two threads")
    except Mismatch as e:
        checks.fail("%s calls-in-progress" % name, e)
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
