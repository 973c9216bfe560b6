#!/usr/bin/env python3
"""Every thread's stack from a live process equals what it recorded.

Starts corefiles/scenarios/threads_abort.py under one interpreter with
os.abort() replaced by a parking function, waits for its truth, then runs
`pyautopsy pid PID --json` (stopping the process) and with --nonblocking, and
compares every thread. Also checks the target runs again afterwards.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import truthcheck  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(HERE))


def process_state(pid):
    with open("/proc/%d/stat" % pid) as f:
        return f.read().rsplit(")", 1)[1].split()[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("interpreter")
    parser.add_argument("--python", required=True)
    parser.add_argument("--pyautopsy", required=True)
    parser.add_argument("--scenario", default="threads_abort")
    args = parser.parse_args()

    failures = 0
    with tempfile.TemporaryDirectory(prefix="pyautopsy-live-") as work:
        truth_path = os.path.join(work, "truth.json")
        env = dict(os.environ, PYAUTOPSY_TRUTH=truth_path)
        scenario = os.path.join(ROOT, "corefiles", "scenarios", args.scenario + ".py")
        proc = subprocess.Popen([args.python, os.path.join(HERE, "park_instead_of_abort.py"), scenario],
                                cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 60
            while not os.path.exists(truth_path):
                if proc.poll() is not None:
                    print("FAIL %s: scenario exited %d: %s" % (args.interpreter, proc.returncode,
                                                               proc.stderr.read().decode(errors="replace")))
                    return 1
                if time.monotonic() > deadline:
                    print("FAIL %s: scenario wrote no truth in 60 s" % args.interpreter)
                    return 1
                time.sleep(0.05)
            truth = truthcheck.load_truth(truth_path)
            # The committing thread has written its truth; give it time to reach park().
            time.sleep(0.3)
            for mode in ([], ["--nonblocking"]):
                label = "pid" + (" --nonblocking" if mode else "")
                code, report, stderr = truthcheck.run_pyautopsy(args.pyautopsy, ["pid", str(proc.pid)] + mode)
                if code != 0:
                    print("FAIL %s %s: exited %d: %s" % (args.interpreter, label, code, stderr.strip()))
                    failures += 1
                    continue
                try:
                    threads = truthcheck.compare_report(truth, report, extra_innermost="park")
                    print("ok   %s %s: %d threads match" % (args.interpreter, label, threads))
                except truthcheck.Mismatch as e:
                    print("FAIL %s %s: %s" % (args.interpreter, label, e))
                    failures += 1
                state = process_state(proc.pid)
                if state in ("t", "T"):
                    print("FAIL %s %s: target left stopped (state %s)" % (args.interpreter, label, state))
                    failures += 1
        finally:
            proc.kill()
            proc.wait()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
