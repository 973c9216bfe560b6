"""The hangs CI meets, diagnosed in live processes by `pyautopsy pid`.

Each scenario is started and kept alive (it hangs by itself), and read the
way a user would read a hung job: plain `pyautopsy pid PID` (no native
frames: the threads' system calls, GIL facts and the locks their frames
acquire are the evidence). The findings are checked against the truth the
scenario recorded, with the same checks as its cores:
- exit_hang: exit-hang, an error naming both non-daemon threads where they
  are, the idle daemon thread not blamed, no deadlock;
"""

import argparse
import sys

from pyautopsy_testing import Mismatch, checks, cli, live
from test_diagnoses import expect_exit_hang  # beside this script


def no_contradiction(report, rule):
    if any(n["rule"] == rule for n in report.get("diagnoses_not_analysed", [])):
        raise Mismatch("a 'not analysed' line for %s beside its finding" % rule)


def check_exit_hang(truth, report):
    expect_exit_hang(report["diagnoses"], truth["facts"], True, "live")
    no_contradiction(report, "exit-hang")
    return report["diagnoses"][0]["summary"]


def run_pid(pyautopsy, label, pid, args, check):
    return checks.run(label, lambda: check(cli.report_of(pyautopsy, ["pid", str(pid)] + args)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("interpreter")
    ap.add_argument("--python", required=True)
    ap.add_argument("--pyautopsy", required=True)
    args = ap.parse_args()
    failures = 0
    name = args.interpreter
    try:
        with live.parked_scenario(args.python, "exit_hang") as (proc, truth):
            failures += run_pid(args.pyautopsy, "%s/exit_hang pid" % name, proc.pid, [],
                                lambda report: check_exit_hang(truth, report))
    except Mismatch as e:
        checks.fail("%s live hangs" % name, e)
        failures += 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
