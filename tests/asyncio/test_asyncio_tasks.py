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
    awaits, and its coroutine stack frame by frame;
  - 3.14+: the offsets asyncio publishes itself (_AsyncioDebug) were found
    and agree with the layout tables generated from the headers.
"""

import sys

from pyautopsy_testing import Mismatch, scenario_runs, truthcheck


def compare(truth, report):
    """Raises Mismatch at the first difference; says how many tasks it checked."""
    loops = {loop["thread_id"]: loop for loop in report["asyncio"]["loops"]}
    checked = 0
    for want_loop in truth["facts"]["asyncio"]["loops"]:
        where = "loop of thread %r" % want_loop["thread_name"]
        got_loop = loops.get(want_loop["thread_ident"])
        if got_loop is None:
            raise Mismatch("%s: not found (loops found for threads %r; notes %r)" % (
                where, sorted(loops), report["asyncio"]["notes"]))
        if got_loop["type"] != want_loop["loop_type"]:
            raise Mismatch("%s: type %r, expected %r" % (where, got_loop["type"], want_loop["loop_type"]))
        got_tasks = {t["name"]: t for t in got_loop["tasks"]}
        want_names = sorted(t["name"] for t in want_loop["tasks"])
        if sorted(got_tasks) != want_names:
            raise Mismatch("%s: tasks %r, expected %r" % (where, sorted(got_tasks), want_names))
        for want in want_loop["tasks"]:
            got = got_tasks[want["name"]]
            label = "%s, task %r" % (where, want["name"])
            if got["state"] != want["state"].lower():
                raise Mismatch("%s: state %r, expected %r" % (label, got["state"], want["state"]))
            if got["running"] != want["current"]:
                raise Mismatch("%s: running %r, expected %r" % (label, got["running"], want["current"]))
            awaits = sorted(a["name"] for a in got["awaits"])
            if awaits != want["awaits"]:
                raise Mismatch("%s: awaits %r, expected %r" % (label, awaits, want["awaits"]))
            try:
                truthcheck.compare_frames(want["coroutine_stack"], got["coroutine_stack"], check_qualname=False)
            except Mismatch as e:
                raise Mismatch("%s: coroutine stack: %s" % (label, e))
            checked += 1
    python = report["python"]
    if tuple(int(x) for x in python["version"].split(".")[:2]) >= (3, 14):
        if "_AsyncioDebug" not in python["layout_source"]:
            raise Mismatch("asyncio's own offsets were not used: %s" % python["layout_source"])
        disagree = [n for n in python["layout_notes"] if n.startswith("_AsyncioDebug")]
        if disagree:
            raise Mismatch("_AsyncioDebug disagrees with the generated layout: %s" % disagree)
    return "%d tasks equal the truth" % checked


if __name__ == "__main__":
    sys.exit(scenario_runs.core_and_live_main("asyncio_tasks", compare))
