#!/usr/bin/env python3
"""Thread names and daemon flags come from the target's threading module.

For one interpreter: the threads_abort scenario (daemon and non-daemon
threads, one named "café-线程") from its core and from a live run; every
thread's name, daemon flag and native id must equal what threading.enumerate()
recorded.
"""

import sys

import deepcheck  # beside this script: Python puts a script's own directory on sys.path
from pyautopsy_testing import scenario_runs


def check(truth, report):
    return "%d thread names match" % deepcheck.compare_names(truth, report)


def main():
    args = deepcheck.parse_args(__doc__)
    failures = scenario_runs.run_core(args.interpreter, "threads_abort", args.pyautopsy, args.cache, [([], check)])
    failures += scenario_runs.run_live(args.interpreter, "threads_abort", args.pyautopsy, args.python,
                                       [([], check), (["--nonblocking"], check)])
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
