#!/usr/bin/env python3
"""Mixed native/Python stacks from a live process (`pyautopsy pid PID --native`).

Starts corefiles/scenarios/threads_abort.py under one interpreter, parked
instead of aborting and with faulthandler's C watchdog thread running, then:
  - stopped (the default): every thread's Python frames equal the truth, each
    run of Python frames sits above its eval-loop native frame, every Python
    thread is in a C call (parked in lock.acquire), and the watchdog shows up
    as a thread without a thread state, with native frames only;
  - with --nonblocking: Python frames still equal the truth, and every thread
    says why it has no native frames (no registers).
Also checks that the target runs again afterwards.
"""

import argparse
import sys

import nativecheck  # beside this script: Python puts a script's own directory on sys.path
from pyautopsy_testing import Mismatch, live, scenario_runs, truthcheck


def check_stopped(truth, report):
    truthcheck.compare_report(truth, nativecheck.python_only(report), extra_innermost="park")
    runs = nativecheck.check_interleaving(report, one_frame_per_eval=truth["hexversion"] < 0x030B0000)
    nativecheck.check_status(report, {t["ident"]: "in_c_call" for t in truth["threads"]})
    c_threads = [t for t in report["threads"] if t.get("thread_id") is None]
    if not c_threads:
        raise Mismatch("faulthandler's watchdog thread (no thread state) is missing")
    if not any(len(t["frames"]) >= 3 for t in c_threads):
        raise Mismatch("the thread without a thread state has fewer than 3 native frames")
    names = [f["function"] or "??" for f in c_threads[0]["frames"]]
    return "%d Python groups interleaved; C thread: %s" % (runs, " <- ".join(names))


def check_nonblocking(truth, report):
    truthcheck.compare_report(truth, report, extra_innermost="park")
    for thread in report["threads"]:
        if any(f["kind"] == "native" for f in thread["frames"]):
            raise Mismatch("native frames without registers in thread %s" % thread.get("name"))
        if not any("no registers" in note for note in thread["notes"]):
            raise Mismatch("thread %s does not say why native frames are missing" % thread.get("name"))
    return "Python frames match; every thread notes the missing registers"


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("interpreter")
    parser.add_argument("--python", required=True)
    parser.add_argument("--pyautopsy", required=True)
    args = parser.parse_args()

    runs = [(["--native"], check_stopped), (["--native", "--nonblocking"], check_nonblocking)]
    failures = scenario_runs.run_live(args.interpreter, "threads_abort", args.pyautopsy, args.python, runs,
                                      runner=live.PARK_WITH_C_THREAD, ensure_running=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
