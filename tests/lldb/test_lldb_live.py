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
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
INTEGRATION = os.path.join(os.path.dirname(HERE), "integration")
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, INTEGRATION)
import lldbrun  # noqa: E402
import truthcheck  # noqa: E402
from test_lldb_core import check_text_stacks  # noqa: E402  (shared checks)


def process_state(pid):
    with open("/proc/%d/stat" % pid) as f:
        return f.read().rsplit(")", 1)[1].split()[0]


def wait_for_truth(proc, truth_path, label):
    deadline = time.monotonic() + 60
    while not os.path.exists(truth_path):
        if proc.poll() is not None:
            raise truthcheck.Mismatch("%s: scenario exited %d: %s" % (
                label, proc.returncode, proc.stderr.read().decode(errors="replace")))
        if time.monotonic() > deadline:
            raise truthcheck.Mismatch("%s: scenario wrote no truth in 60 s" % label)
        time.sleep(0.05)
    # The committing thread has written its truth; give it time to reach park().
    time.sleep(0.3)
    return truthcheck.load_truth(truth_path)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("interpreter")
    parser.add_argument("--python", required=True)
    parser.add_argument("--lldb", required=True)
    parser.add_argument("--plugin", required=True)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="pyautopsy-lldb-live-") as work:
        truth_path = os.path.join(work, "truth.json")
        env = dict(os.environ, PYAUTOPSY_TRUTH=truth_path)
        scenario = os.path.join(ROOT, "corefiles", "scenarios", "threads_abort.py")
        proc = subprocess.Popen([args.python, os.path.join(INTEGRATION, "park_instead_of_abort.py"), scenario],
                                cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            truth = wait_for_truth(proc, truth_path, args.interpreter)
            started = time.monotonic()
            outputs = lldbrun.run_lldb(args.lldb, args.plugin,
                                       ["pyautopsy report --json", "py-bt --all", "py-bt", "process detach"],
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
            selected = lldbrun.parse_backtrace(outputs["py-bt"])
            if list(selected) != [truth["main_thread"]]:
                raise truthcheck.Mismatch("py-bt showed %s, expected the main thread" % [hex(t) for t in selected])
            time.sleep(0.2)
            if proc.poll() is not None:
                raise truthcheck.Mismatch("the process died (exit %s) after LLDB detached" % proc.returncode)
            state = process_state(proc.pid)
            if state in ("t", "T"):
                raise truthcheck.Mismatch("the process was left stopped (state %s)" % state)
        except (truthcheck.Mismatch, lldbrun.LldbError, subprocess.TimeoutExpired) as e:
            print("FAIL %s live: %s" % (args.interpreter, e))
            return 1
        finally:
            proc.kill()
            proc.wait()
    print("ok   %s live: %d threads match in lldb -p (%.1f s)" % (args.interpreter, threads, seconds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
