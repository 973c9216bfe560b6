#!/usr/bin/env python3
"""GDB with gdb-scripts/pyautopsy.py attached to a live process: every thread's frames equal the truth.

Starts corefiles/scenarios/threads_abort.py under one interpreter with
os.abort() replaced by a parking function (pyautopsy_testing/parking/
park_instead_of_abort.py), waits for its truth, then runs the real
`gdb -batch -nx -p PID`, sources the script, and checks `py-bt --all` and
`pyautopsy report --json` against the truth (the committing thread has one
extra innermost frame, park), and that `bt` on that thread shows a decorated
eval-loop frame naming park. GDB detaches at the end; the process must be
running again afterwards, not stopped.
"""

import argparse
import sys
import time

from pyautopsy_testing import Mismatch, checks, gdb_runner, live


def check_live(args, proc, truth):
    """Runs GDB on the parked process; returns the number of failures."""
    # GDB selects the thread it stopped first (any thread); select the
    # committing one by its LWP for py-bt and bt.
    crashed = [t for t in truth["threads"] if t["ident"] == truth["committing_thread"]][0]
    select = "python [t.switch() for t in gdb.selected_inferior().threads() if t.ptid[1] == %d]" % (
        crashed["native_id"])
    result = gdb_runner.run_gdb(["-p", str(proc.pid)],
                                [("select", select)] + gdb_runner.SESSION + [("detach", "detach")], args.library)
    label = "%s gdb-live" % args.interpreter
    failures = checks.run_all(label, gdb_runner.session_checks(truth, result, extra_innermost="park"))
    time.sleep(0.2)  # let the detach finish
    failures += checks.run(label, lambda: live.ensure_running(proc))
    if failures:
        print("---- gdb output ----\n" + result.output[-6000:])
    print("%s: gdb-live %.1f s (attach, analysis, printing, detach), %d failures" % (
        args.interpreter, result.seconds, failures))
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("interpreter")
    parser.add_argument("--python", required=True)
    parser.add_argument("--library", required=True, help="libpyautopsy.so")
    parser.add_argument("--scenario", default="threads_abort")
    args = parser.parse_args()

    try:
        with live.parked_scenario(args.python, args.scenario) as (proc, truth):
            return 1 if check_live(args, proc, truth) else 0
    except Mismatch as e:
        checks.fail("%s gdb-live" % args.interpreter, e)
        return 1


if __name__ == "__main__":
    sys.exit(main())
