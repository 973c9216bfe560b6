#!/usr/bin/env python3
"""The LLDB plugin reads every thread of a live process LLDB attached to.

Starts corefiles/scenarios/threads_abort.py under one interpreter with
os.abort() replaced by a parking function (pyautopsy_testing/parking/
park_instead_of_abort.py), attaches the real LLDB (`lldb -p PID`), runs
`pyautopsy report --json`, `py-bt --all` and `py-bt`, detaches, and compares
every thread with the truth the process recorded. The process must run on
afterwards.
"""

import argparse
import sys
import time

from pyautopsy_testing import Mismatch, checks, live, lldb_runner, truthcheck


def check_live(args, proc, truth):
    """Runs LLDB on the parked process and checks what it printed; returns what matched."""
    started = time.monotonic()
    commands = ["pyautopsy report --json", "py-bt --all", "thread select 1", "py-bt", "process detach"]
    outputs = lldb_runner.run_lldb(args.lldb, args.plugin, commands, pre=["-p", str(proc.pid)])
    seconds = time.monotonic() - started
    report = lldb_runner.parse_json(outputs["pyautopsy report --json"])
    threads = truthcheck.compare_report(truth, report, extra_innermost="park")
    lldb_runner.compare_backtrace(truth, outputs["py-bt --all"], extra_innermost="park")
    # LLDB selects whichever thread it saw stop first; thread #1 is the
    # process's first (main) thread.
    selected = lldb_runner.parse_backtrace(outputs["py-bt"])
    if list(selected) != [truth["main_thread"]]:
        raise Mismatch("py-bt showed %s, expected the main thread" % [hex(t) for t in selected])
    time.sleep(0.2)  # let the detach finish
    live.ensure_running(proc)
    return "%d threads match in lldb -p (%.1f s)" % (threads, seconds)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("interpreter")
    parser.add_argument("--python", required=True)
    parser.add_argument("--lldb", required=True)
    parser.add_argument("--plugin", required=True)
    args = parser.parse_args()

    label = "%s live" % args.interpreter
    try:
        with live.parked_scenario(args.python) as (proc, truth):
            found = check_live(args, proc, truth)
    except Mismatch as e:
        checks.fail(label, e)
        return 1
    checks.ok(label, found)
    return 0


if __name__ == "__main__":
    sys.exit(main())
