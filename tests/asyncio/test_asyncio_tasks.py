"""pyautopsy's asyncio task trees equal what the process recorded.

The asyncio_tasks scenario runs two event loops in two threads and records,
from inside the running task, every task's name, state, coroutine chain
(cr_await, innermost first: function, file, line) and the tasks it awaits
(fut_waiter, or the children of a gather()); then it aborts. For one
interpreter this checks, from the scenario's core and from the scenario kept
alive (os.abort() replaced by a parking call):
  - each loop is found, run by the thread that ran it;
  - the same set of task names per loop, none missing, none extra;
  - per task: state, whether it is the loop's running task, the tasks it
    awaits, and its coroutine stack frame by frame.
"""

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import parked  # noqa: E402
import truthcheck  # noqa: E402


def compare(truth, report):
    """Raises truthcheck.Mismatch at the first difference; returns the number of tasks checked."""
    loops = {loop["thread_id"]: loop for loop in report["asyncio"]["loops"]}
    checked = 0
    for want_loop in truth["facts"]["asyncio"]["loops"]:
        where = "loop of thread %r" % want_loop["thread_name"]
        got_loop = loops.get(want_loop["thread_ident"])
        if got_loop is None:
            raise truthcheck.Mismatch("%s: not found (loops found for threads %r; notes %r)" % (
                where, sorted(loops), report["asyncio"]["notes"]))
        if got_loop["type"] != want_loop["loop_type"]:
            raise truthcheck.Mismatch("%s: type %r, expected %r" % (where, got_loop["type"], want_loop["loop_type"]))
        got_tasks = {t["name"]: t for t in got_loop["tasks"]}
        want_names = sorted(t["name"] for t in want_loop["tasks"])
        if sorted(got_tasks) != want_names:
            raise truthcheck.Mismatch("%s: tasks %r, expected %r" % (where, sorted(got_tasks), want_names))
        for want in want_loop["tasks"]:
            got = got_tasks[want["name"]]
            label = "%s, task %r" % (where, want["name"])
            if got["state"] != want["state"].lower():
                raise truthcheck.Mismatch("%s: state %r, expected %r" % (label, got["state"], want["state"]))
            if got["running"] != want["current"]:
                raise truthcheck.Mismatch("%s: running %r, expected %r" % (label, got["running"], want["current"]))
            awaits = sorted(a["name"] for a in got["awaits"])
            if awaits != want["awaits"]:
                raise truthcheck.Mismatch("%s: awaits %r, expected %r" % (label, awaits, want["awaits"]))
            try:
                truthcheck.compare_frames(want["coroutine_stack"], got["coroutine_stack"], check_qualname=False)
            except truthcheck.Mismatch as e:
                raise truthcheck.Mismatch("%s: coroutine stack: %s" % (label, e))
            checked += 1
    return checked


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("interpreter")
    ap.add_argument("--python", required=True)
    ap.add_argument("--pyautopsy", required=True)
    ap.add_argument("--cache", default=os.path.expanduser("~/.cache/pyautopsy"))
    args = ap.parse_args()
    failures = parked.check_core_and_live(args.interpreter, args.python, args.pyautopsy, args.cache, "asyncio_tasks",
                                          compare, "tasks equal the truth")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
