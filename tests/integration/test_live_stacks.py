#!/usr/bin/env python3
"""Every thread's stack from a live process equals what it recorded.

Starts corefiles/scenarios/threads_abort.py under one interpreter with
os.abort() replaced by a parking function, waits for its truth, then runs
`pyautopsy pid PID --json` (stopping the process) and with --nonblocking, and
compares every thread. Also checks the target runs again afterwards.
"""

import argparse
import sys

from pyautopsy_testing import scenario_runs, truthcheck


def check_stopped(truth, report):
    threads = truthcheck.compare_report(truth, report, extra_innermost="park")
    # Every thread is parked in C with the GIL released.
    truthcheck.check_gil_holder(report, None)
    truthcheck.check_attach_state(truth, report, None)
    return "%d threads match" % threads


def check_nonblocking(truth, report):
    return "%d threads match" % truthcheck.compare_report(truth, report, extra_innermost="park")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("interpreter")
    parser.add_argument("--python", required=True)
    parser.add_argument("--pyautopsy", required=True)
    parser.add_argument("--scenario", default="threads_abort")
    args = parser.parse_args()

    failures = scenario_runs.run_live(args.interpreter, args.scenario, args.pyautopsy, args.python,
                                      [([], check_stopped), (["--nonblocking"], check_nonblocking)],
                                      ensure_running=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
