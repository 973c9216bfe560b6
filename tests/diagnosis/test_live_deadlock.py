"""A live deadlock is diagnosed by default, with the target held stopped briefly.

Runs the deadlock scenario (two workers taking two locks in opposite orders,
main joining them), waits for its truth, and runs plain `pyautopsy pid PID`:
no --native, so pyautopsy collects no native frames and releases the
process at once. The first finding must still be the deadlock, naming for
each lock its holder and its waiter as the truth records them: the threads'
blocking system call (futex, from the registers) and the lock each frame is
acquiring are the evidence.
"""

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import parked  # noqa: E402
import truthcheck  # noqa: E402
from test_diagnoses import Mismatch, check_deadlock_locks, expect_first  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("interpreter")
    ap.add_argument("--python", required=True)
    ap.add_argument("--pyautopsy", required=True)
    args = ap.parse_args()
    try:
        with parked.parked_scenario(args.python, "deadlock") as (proc, truth):
            code, report, err = truthcheck.run_pyautopsy(args.pyautopsy, ["pid", str(proc.pid)])
            if code != 0:
                raise Mismatch("pyautopsy pid exited %d: %s" % (code, err.strip()))
            if any(f["kind"] == "native" for t in report["threads"] for f in t["frames"]):
                raise Mismatch("native frames shown without --native")
            finding = expect_first(report["diagnoses"], "deadlock")
            check_deadlock_locks(finding, truth["facts"]["locks"])
    except (Mismatch, truthcheck.Mismatch) as e:
        print("FAIL %s/deadlock live: %s" % (args.interpreter, e))
        return 1
    print("ok   %s/deadlock live: %s" % (args.interpreter, finding["summary"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
