#!/usr/bin/env python3
"""Thread names and daemon flags come from the target's threading module.

For one interpreter: the threads_abort scenario (daemon and non-daemon
threads, one named "café-线程") from its core and from a live run; every
thread's name, daemon flag and native id must equal what threading.enumerate()
recorded.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deepcheck  # noqa: E402


def main():
    args = deepcheck.parse_args(__doc__)

    failures = 0
    try:
        core, truth = deepcheck.core_and_truth(args.cache, args.interpreter, "threads_abort")
        report = deepcheck.run_json(args.pyautopsy, ["core", core])
        print("ok   %s core: %d thread names match" % (args.interpreter, deepcheck.compare_names(truth, report)))
    except deepcheck.Mismatch as e:
        print("FAIL %s core: %s" % (args.interpreter, e))
        failures += 1

    try:
        with deepcheck.parked.parked_scenario(args.python, "threads_abort") as (proc, truth):
            for mode in ([], ["--nonblocking"]):
                report = deepcheck.run_json(args.pyautopsy, ["pid", str(proc.pid)] + mode)
                print("ok   %s live%s: %d thread names match" % (
                    args.interpreter, " " + mode[0] if mode else "", deepcheck.compare_names(truth, report)))
    except deepcheck.Mismatch as e:
        print("FAIL %s live: %s" % (args.interpreter, e))
        failures += 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
