"""`pyautopsy tasks` in the real LLDB and GDB shows the truth of a core.

For one interpreter: load the asyncio_tasks core into LLDB (the plugin) or GDB
(gdb-scripts/pyautopsy.py), run `pyautopsy tasks`, and read its text back:
every task the process recorded is printed once, with the tasks it awaits
and its coroutine stack (traceback order: outermost first) frame by frame.
"""

import argparse
import re
import sys

from pyautopsy_testing import Mismatch, checks, cores, debugger_commands, truthcheck

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


def main():
    ap = argparse.ArgumentParser()
    debugger_commands.add_arguments(ap)
    args = ap.parse_args()
    label = "%s/asyncio_tasks %s `pyautopsy tasks`" % (args.interpreter, args.debugger)
    try:
        core, truth = cores.core_and_truth(args.cache, args.interpreter, "asyncio_tasks")
        text = debugger_commands.run_command(args, "pyautopsy tasks", core=core)
        count = compare(truth, text)
    except Exception as e:  # a debugger failing to start is a failure too, with its message
        checks.fail(label, e)
        return 1
    checks.ok(label, "%d tasks equal the truth" % count)
    return 0


if __name__ == "__main__":
    sys.exit(main())
