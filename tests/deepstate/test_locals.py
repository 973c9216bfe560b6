#!/usr/bin/env python3
"""`--locals` shows each local as Python's own repr() wrote it.

For one interpreter: runs `pyautopsy core CORE --json --locals` on the
locals_zoo core (corefiles/scenarios/locals_zoo.py) and then on a live run of
the same scenario, and compares every local of every recorded frame with the
repr the process recorded: exact equality, except the values the scenario
names as too long or too deep, which must be a prefix plus "..." (or the
depth-elided form).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deepcheck  # noqa: E402


def main():
    args = deepcheck.parse_args(__doc__)

    failures = 0
    try:
        core, truth = deepcheck.core_and_truth(args.cache, args.interpreter, "locals_zoo")
        report = deepcheck.run_json(args.pyautopsy, ["core", core, "--locals"])
        print("ok   %s core: %d locals match" % (args.interpreter, deepcheck.compare_locals(truth, report)))
    except deepcheck.Mismatch as e:
        print("FAIL %s core: %s" % (args.interpreter, e))
        failures += 1

    try:
        with deepcheck.parked.parked_scenario(args.python, "locals_zoo") as (proc, truth):
            report = deepcheck.run_json(args.pyautopsy, ["pid", str(proc.pid), "--locals"])
            print("ok   %s live: %d locals match" % (args.interpreter, deepcheck.compare_locals(truth, report)))
    except deepcheck.Mismatch as e:
        print("FAIL %s live: %s" % (args.interpreter, e))
        failures += 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
