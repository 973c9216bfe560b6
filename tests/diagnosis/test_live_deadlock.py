"""A live deadlock is diagnosed by default, with the target held stopped briefly.

Runs the deadlock scenario (two workers taking two locks in opposite orders,
main joining them), waits for its truth, and runs plain `pyautopsy pid PID`:
no --native, so pyautopsy collects no native frames and releases the
process at once. The first finding must still be the deadlock, an error
(the cycle is proven) with no "not analysed" line beside it, naming for
each lock its holder and its waiter as the truth records them: the threads'
blocking system call (futex, from the registers) and the lock each frame is
acquiring are the evidence.
"""

import argparse
import sys

from pyautopsy_testing import Mismatch, scenario_runs
from test_diagnoses import check_deadlock_locks, expect_first  # beside this script


def check(truth, report):
    if any(f["kind"] == "native" for t in report["threads"] for f in t["frames"]):
        raise Mismatch("native frames shown without --native")
    finding = expect_first(report["diagnoses"], "deadlock")
    # Every edge of the cycle is proven: a deadlock even while the process lives.
    if finding["severity"] != "error":
        raise Mismatch("a proven cycle is a %s, expected an error" % finding["severity"])
    if any(n["rule"] == "deadlock" for n in report.get("diagnoses_not_analysed", [])):
        raise Mismatch("a 'not analysed' line for deadlock beside its finding")
    check_deadlock_locks(finding, truth["facts"]["locks"])
    return finding["summary"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("interpreter")
    ap.add_argument("--python", required=True)
    ap.add_argument("--pyautopsy", required=True)
    args = ap.parse_args()
    failures = scenario_runs.run_live(args.interpreter, "deadlock", args.pyautopsy, args.python, [([], check)])
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
