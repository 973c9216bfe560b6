#!/usr/bin/env python3
"""`--locals` shows each local as Python's own repr() wrote it.

For one interpreter: runs `pyautopsy core CORE --json --locals` on the
locals_zoo core (corefiles/scenarios/locals_zoo.py) and then on a live run of
the same scenario, and compares every local of every recorded frame with the
repr the process recorded: exact equality, except the values the scenario
names as too long or too deep, which must be a prefix plus "..." (or the
depth-elided form).
"""

import sys

import deepcheck  # beside this script: Python puts a script's own directory on sys.path
from pyautopsy_testing import scenario_runs


def check(truth, report):
    return "%d locals match" % deepcheck.compare_locals(truth, report)


def main():
    args = deepcheck.parse_args(__doc__)
    failures = scenario_runs.run_core_and_live(args.interpreter, "locals_zoo", args.pyautopsy, args.cache,
                                               args.python, check, args=["--locals"])
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
