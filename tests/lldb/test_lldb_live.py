#!/usr/bin/env python3
"""The LLDB plugin reads every thread of a live process LLDB attached to.

Starts corefiles/scenarios/threads_abort.py under one interpreter with
os.abort() replaced by a parking function (tests/integration/
park_instead_of_abort.py), attaches the real LLDB (`lldb -p PID`), runs
`pyautopsy report --json`, `py-bt --all` and `py-bt`, detaches, and compares
every thread with the truth the process recorded. The process must run on
afterwards.
"""

import argparse
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
INTEGRATION = os.path.join(os.path.dirname(HERE), "integration")
sys.path.insert(0, HERE)
sys.path.insert(0, INTEGRATION)
import lldbrun  # noqa: E402
import parked  # noqa: E402
import truthcheck  # noqa: E402
from test_lldb_core import check_text_stacks  # noqa: E402  (shared checks)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("interpreter")
    parser.add_argument("--python", required=True)
    parser.add_argument("--lldb", required=True)
    parser.add_argument("--plugin", required=True)
    args = parser.parse_args()

    try:
        with parked.parked_scenario(args.python) as (proc, truth):
            started = time.monotonic()
            outputs = lldbrun.run_lldb(args.lldb, args.plugin,
                                       ["pyautopsy report --json", "py-bt --all", "thread select 1", "py-bt", "process detach"],
                                       pre=["-p", str(proc.pid)])
            seconds = time.monotonic() - started
            report = lldbrun.parse_json(outputs["pyautopsy report --json"])
            threads = truthcheck.compare_report(truth, report, extra_innermost="park")
            text = lldbrun.parse_backtrace(outputs["py-bt --all"])
            committing = truth["committing_thread"]
            if not text.get(committing) or text[committing][0]["function"] != "park":
                raise truthcheck.Mismatch("py-bt --all: the committing thread does not end in park()")
            text[committing] = text[committing][1:]
            check_text_stacks(truth, text, "py-bt --all")
            # LLDB selects whichever thread it saw stop first; thread #1 is the
            # process's first (main) thread.
            selected = lldbrun.parse_backtrace(outputs["py-bt"])
            if list(selected) != [truth["main_thread"]]:
                raise truthcheck.Mismatch("py-bt showed %s, expected the main thread" % [hex(t) for t in selected])
            time.sleep(0.2)
            if proc.poll() is not None:
                raise truthcheck.Mismatch("the process died (exit %s) after LLDB detached" % proc.returncode)
            state = parked.process_state(proc.pid)
            if state in ("t", "T"):
                raise truthcheck.Mismatch("the process was left stopped (state %s)" % state)
    except (truthcheck.Mismatch, lldbrun.LldbError, subprocess.TimeoutExpired) as e:
        print("FAIL %s live: %s" % (args.interpreter, e))
        return 1
    print("ok   %s live: %d threads match in lldb -p (%.1f s)" % (args.interpreter, threads, seconds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
