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
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
import parked  # noqa: E402
import truthcheck  # noqa: E402
import nativecheck  # noqa: E402


def check_stopped(truth, report):
    truthcheck.compare_report(truth, nativecheck.python_only(report), extra_innermost="park")
    runs = nativecheck.check_interleaving(report, one_frame_per_eval=truth["hexversion"] < 0x030B0000)
    nativecheck.check_status(report, {t["ident"]: "in_c_call" for t in truth["threads"]})
    c_threads = [t for t in report["threads"] if t.get("thread_id") is None]
    if not c_threads:
        raise truthcheck.Mismatch("faulthandler's watchdog thread (no thread state) is missing")
    if not any(len(t["frames"]) >= 3 for t in c_threads):
        raise truthcheck.Mismatch("the thread without a thread state has fewer than 3 native frames")
    names = [f["function"] or "??" for f in c_threads[0]["frames"]]
    return "%d Python groups interleaved; C thread: %s" % (runs, " <- ".join(names))


def check_nonblocking(truth, report):
    truthcheck.compare_report(truth, report, extra_innermost="park")
    for thread in report["threads"]:
        if any(f["kind"] == "native" for f in thread["frames"]):
            raise truthcheck.Mismatch("native frames without registers in thread %s" % thread.get("name"))
        if not any("no registers" in note for note in thread["notes"]):
            raise truthcheck.Mismatch("thread %s does not say why native frames are missing" % thread.get("name"))
    return "Python frames match; every thread notes the missing registers"


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("interpreter")
    parser.add_argument("--python", required=True)
    parser.add_argument("--pyautopsy", required=True)
    args = parser.parse_args()

    failures = 0
    runner = os.path.join(HERE, "park_with_c_thread.py")
    try:
        with parked.parked_scenario(args.python, runner=runner) as (proc, truth):
            for mode, check in (([], check_stopped), (["--nonblocking"], check_nonblocking)):
                label = "pid --native" + (" --nonblocking" if mode else "")
                code, report, stderr = truthcheck.run_pyautopsy(args.pyautopsy,
                                                                ["pid", str(proc.pid), "--native"] + mode)
                if code != 0:
                    print("FAIL %s %s: exited %d: %s" % (args.interpreter, label, code, stderr.strip()))
                    failures += 1
                    continue
                try:
                    print("ok   %s %s: %s" % (args.interpreter, label, check(truth, report)))
                except truthcheck.Mismatch as e:
                    print("FAIL %s %s: %s" % (args.interpreter, label, e))
                    failures += 1
                state = parked.process_state(proc.pid)
                if state in ("t", "T"):
                    print("FAIL %s %s: target left stopped (state %s)" % (args.interpreter, label, state))
                    failures += 1
    except truthcheck.Mismatch as e:
        print("FAIL %s: %s" % (args.interpreter, e))
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
