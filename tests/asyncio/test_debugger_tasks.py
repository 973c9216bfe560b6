"""`pyautopsy tasks` in the real LLDB and GDB shows the truth of a core.

For one interpreter: load the asyncio_tasks core into LLDB (the plugin) or GDB
(gdb-scripts/pyautopsy.py), run `pyautopsy tasks`, and read its text back:
every task the process recorded is printed once, with the tasks it awaits
and its coroutine stack (traceback order: outermost first) frame by frame.
"""

import argparse
import re
import sys

from pyautopsy_testing import Mismatch, checks, cores, gdb_runner, lldb_runner, truthcheck

_TASK = re.compile(r'^\s*Task "(.*)" \((.*)\)$')
_FRAME = re.compile(r'^\s*File "(.*)", line (\d+), in (.*)$')
_AWAITS = re.compile(r'awaits ((?:"[^"]*"(?:, )?)+)')


def parse_tasks(text):
    """-> {name: {"awaits": [names], "stack": [frames innermost first]}}"""
    tasks = {}
    current = None
    for line in text.splitlines():
        m = _TASK.match(line)
        if m:
            if m.group(1) in tasks:
                raise Mismatch("task %r printed twice" % m.group(1))
            awaits = _AWAITS.search(m.group(2))
            current = tasks[m.group(1)] = {
                "awaits": sorted(re.findall(r'"([^"]*)"', awaits.group(1))) if awaits else [], "stack": []}
            continue
        m = _FRAME.match(line)
        if m and current is not None:
            current["stack"].insert(0, {"file": m.group(1), "line": int(m.group(2)), "function": m.group(3)})
    return tasks


def compare(truth, text):
    tasks = parse_tasks(text)
    want = [t for loop in truth["facts"]["asyncio"]["loops"] for t in loop["tasks"]]
    if sorted(tasks) != sorted(t["name"] for t in want):
        raise Mismatch("tasks %r, expected %r" % (sorted(tasks), sorted(t["name"] for t in want)))
    for task in want:
        got = tasks[task["name"]]
        if got["awaits"] != task["awaits"]:
            raise Mismatch("task %r awaits %r, expected %r" % (task["name"], got["awaits"], task["awaits"]))
        try:
            truthcheck.compare_frames(task["coroutine_stack"], got["stack"], check_qualname=False)
        except Mismatch as e:
            raise Mismatch("task %r: %s" % (task["name"], e))
    return len(want)


def run_lldb(args, core):
    outputs = lldb_runner.run_lldb(args.lldb, args.plugin, ["target create %s --core %s" % (args.python, core),
                                                            "pyautopsy tasks"])
    return outputs["pyautopsy tasks"]


def run_gdb(args, core):
    result = gdb_runner.run_gdb([args.python, core], [("tasks", "pyautopsy tasks")], args.library)
    return result.sections.get("tasks", "")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("interpreter")
    ap.add_argument("--debugger", choices=("lldb", "gdb"), required=True)
    ap.add_argument("--python", required=True)
    ap.add_argument("--lldb")
    ap.add_argument("--plugin")
    ap.add_argument("--library")
    ap.add_argument("--cache", default=cores.default_cache())
    args = ap.parse_args()
    label = "%s/asyncio_tasks %s `pyautopsy tasks`" % (args.interpreter, args.debugger)
    try:
        core, truth = cores.core_and_truth(args.cache, args.interpreter, "asyncio_tasks")
        text = (run_lldb if args.debugger == "lldb" else run_gdb)(args, core)
        count = compare(truth, text)
    except Exception as e:  # a debugger failing to start is a failure too, with its message
        checks.fail(label, e)
        return 1
    checks.ok(label, "%d tasks equal the truth" % count)
    return 0


if __name__ == "__main__":
    sys.exit(main())
