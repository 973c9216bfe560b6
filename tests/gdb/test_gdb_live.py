#!/usr/bin/env python3
"""GDB with gdb-scripts/pyautopsy.py attached to a live process: every thread's frames equal the truth.

Starts corefiles/scenarios/threads_abort.py under one interpreter with
os.abort() replaced by a parking function (tests/integration/
park_instead_of_abort.py), waits for its truth, then runs the real
`gdb -batch -nx -p PID`, sources the script, and checks `py-bt --all` and
`pyautopsy report --json` against the truth (the committing thread has one
extra innermost frame, park), and that `bt` on that thread shows a decorated
eval-loop frame naming park. GDB detaches at the end; the process must be
running again afterwards, not stopped.
"""

import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
INTEGRATION = os.path.join(os.path.dirname(HERE), "integration")
sys.path.insert(0, HERE)
sys.path.insert(0, INTEGRATION)
import gdbrun  # noqa: E402
import parked  # noqa: E402
import truthcheck  # noqa: E402


def check_live(args, proc, truth):
    """Runs GDB on the parked process; returns the number of failures."""
    failures = 0
    # GDB selects the thread it stopped first (any thread); select the
    # committing one by its LWP for py-bt and bt.
    crashed = [t for t in truth["threads"] if t["ident"] == truth["committing_thread"]][0]
    select = "python [t.switch() for t in gdb.selected_inferior().threads() if t.ptid[1] == %d]" % (
        crashed["native_id"])
    result = gdbrun.run_gdb(["-p", str(proc.pid)],
                            [("select", select), ("py-bt", "py-bt"), ("py-bt-all", "py-bt --all"),
                             ("json", "pyautopsy report --json"), ("bt", "bt"), ("detach", "detach")],
                            args.library)
    checks = [
        ("py-bt --all", lambda: "%d threads match" % gdbrun.compare_text(
            truth, result.sections.get("py-bt-all", ""), extra_innermost="park")),
        ("report --json", lambda: "%d threads match" % truthcheck.compare_report(
            truth, result.json("json"), extra_innermost="park")),
        ("py-bt", lambda: gdbrun.check_selected_thread(truth, result.sections.get("py-bt", ""),
                                                       extra_innermost="park")),
        ("bt decorator", lambda: gdbrun.check_decorated_bt(truth, result.sections.get("bt", ""),
                                                           extra_innermost="park")),
    ]
    for name, check in checks:
        try:
            print("ok   %s gdb-live %s: %s" % (args.interpreter, name, check()))
        except (ValueError, truthcheck.Mismatch, KeyError, IndexError) as e:
            print("FAIL %s gdb-live %s: %s" % (args.interpreter, name, e))
            failures += 1
    time.sleep(0.2)
    if proc.poll() is not None:
        print("FAIL %s gdb-live: the process died (exit %s)" % (args.interpreter, proc.returncode))
        failures += 1
    elif parked.process_state(proc.pid) in ("t", "T"):
        print("FAIL %s gdb-live: the process was left stopped" % args.interpreter)
        failures += 1
    else:
        print("ok   %s gdb-live: process running again after detach" % args.interpreter)
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
        with parked.parked_scenario(args.python, args.scenario) as (proc, truth):
            return 1 if check_live(args, proc, truth) else 0
    except truthcheck.Mismatch as e:
        print("FAIL %s gdb-live: %s" % (args.interpreter, e))
        return 1


if __name__ == "__main__":
    sys.exit(main())
