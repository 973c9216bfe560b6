#!/usr/bin/env python3
"""Every thread's stack from a live process equals what it recorded.

Starts corefiles/scenarios/threads_abort.py under one interpreter with
os.abort() replaced by a parking function, waits for its truth, then runs
`pyautopsy pid PID --json` (stopping the process) and with --nonblocking, and
compares every thread. Also checks the target runs again afterwards.
"""

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import parked  # noqa: E402
import truthcheck  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("interpreter")
    parser.add_argument("--python", required=True)
    parser.add_argument("--pyautopsy", required=True)
    parser.add_argument("--scenario", default="threads_abort")
    args = parser.parse_args()

    failures = 0
    try:
        with parked.parked_scenario(args.python, args.scenario) as (proc, truth):
            for mode in ([], ["--nonblocking"]):
                label = "pid" + (" --nonblocking" if mode else "")
                code, report, stderr = truthcheck.run_pyautopsy(args.pyautopsy, ["pid", str(proc.pid)] + mode)
                if code != 0:
                    print("FAIL %s %s: exited %d: %s" % (args.interpreter, label, code, stderr.strip()))
                    failures += 1
                    continue
                try:
                    threads = truthcheck.compare_report(truth, report, extra_innermost="park")
                    if not mode:
                        # Every thread is parked in C with the GIL released.
                        truthcheck.check_gil_holder(report, None)
                        truthcheck.check_attach_state(truth, report, None)
                    print("ok   %s %s: %d threads match" % (args.interpreter, label, threads))
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
