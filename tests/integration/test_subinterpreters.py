"""Every interpreter with its threads: a thread parked in a subinterpreter.

The subinterpreters scenario parks the thread "sub-runner" inside a
subinterpreter (run_string) and records the subinterpreter's id and the
stack its code saw there. For one interpreter of the test bed, from the core
and from the scenario kept alive, pyautopsy must list the subinterpreter,
show the parked stack (function, file, line) in a thread of that
subinterpreter, attribute it to the thread that runs it (its ident; before
3.13 the thread state itself names the thread that created it), and never
call that thread the crashing one; the runner's main-interpreter thread
state must show the call into the subinterpreter.
"""

import sys

from pyautopsy_testing import Mismatch, scenario_runs, truthcheck


def compare(truth, report):
    want = truth["facts"]["subinterpreter"]
    ids = [i["id"] for i in report["interpreters"]]
    if want["id"] not in ids:
        raise Mismatch("subinterpreter %d not listed (interpreters %r)" % (want["id"], ids))
    subs = [t for t in report["threads"] if t["interpreter_id"] == want["id"]]
    parked_threads = [t for t in subs if any(f["function"] == "park_in_subinterpreter" for f in t["frames"])]
    if len(parked_threads) != 1:
        raise Mismatch("%d threads of subinterpreter %d show the parked stack" % (
            len(parked_threads), want["id"]))
    thread = parked_threads[0]
    frames = [f for f in thread["frames"] if f["kind"] == "python"]
    # Live, the parked thread is blocked in the same acquire(); nothing extra.
    truthcheck.compare_frames(want["stack"], frames, check_qualname=False)
    if thread["thread_id"] != want["thread_ident"]:
        raise Mismatch("the parked subinterpreter thread is attributed to %s, expected the runner %#x "
                       "(notes: %s)" % (hex(thread["thread_id"] or 0), want["thread_ident"], thread["notes"]))
    if thread["crashed"]:
        raise Mismatch("the parked subinterpreter thread is called the crashing one")
    runner = [t for t in report["threads"] if t["interpreter_id"] == 0 and t["thread_id"] == want["thread_ident"]]
    if not runner or not any(f["function"] == "run_in_subinterpreter" for f in runner[0]["frames"]):
        raise Mismatch("the runner's main-interpreter thread state does not show run_in_subinterpreter")
    return "%d frames in the subinterpreter equal the truth" % len(frames)


if __name__ == "__main__":
    sys.exit(scenario_runs.core_and_live_main("subinterpreters", compare))
