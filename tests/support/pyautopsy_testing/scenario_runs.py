"""The core-and-live runner: a scenario read by pyautopsy from its core and
from the scenario kept alive, each report checked against the truth that
process recorded.

A test lists its runs: the extra arguments of one `pyautopsy core` or
`pyautopsy pid` command, and check(truth, report), which returns what it
found or raises (checks.CHECK_ERRORS). This module finds the core, parks
the scenario, runs pyautopsy, prints one "ok"/"FAIL" line per run, and kills
what it started. Every function returns the number of failures.
"""

import argparse

from pyautopsy_testing import Mismatch, checks, cli, cores, live


def run_core(interpreter, scenario, pyautopsy, cache, runs):
    """runs: [(args, check)], each `pyautopsy core CORE ARGS --json`."""
    where = "%s/%s core" % (interpreter, scenario)
    try:
        core, truth = cores.core_and_truth(cache, interpreter, scenario)
    except Mismatch as e:
        checks.fail(where, e)
        return 1
    failures = 0
    for args, check in runs:
        failures += checks.run(_label(where, args),
                               lambda: check(truth, cli.report_of(pyautopsy, ["core", core] + list(args))))
    return failures


def run_live(interpreter, scenario, pyautopsy, python, runs, runner=live.PARK_INSTEAD_OF_ABORT,
             ensure_running=False):
    """runs: [(args, check)], each `pyautopsy pid PID ARGS --json`, one after
    the other on one parked process started by `runner`. ensure_running:
    after each run, also check that the process runs again."""
    where = "%s/%s pid" % (interpreter, scenario)
    failures = 0
    try:
        with live.parked_scenario(python, scenario, runner) as (proc, truth):
            for args, check in runs:
                label = _label(where, args)
                failures += checks.run(label, lambda: check(truth, cli.report_of(
                    pyautopsy, ["pid", str(proc.pid)] + list(args))))
                if ensure_running:
                    failures += checks.run(label + ", afterwards", lambda: live.ensure_running(proc))
    except Mismatch as e:
        checks.fail(where, e)
        failures += 1
    return failures


def run_core_and_live(interpreter, scenario, pyautopsy, cache, python, check, args=()):
    """The common case: the same check of `pyautopsy core` and of `pyautopsy pid`."""
    return (run_core(interpreter, scenario, pyautopsy, cache, [(args, check)])
            + run_live(interpreter, scenario, pyautopsy, python, [(args, check)]))


def _label(where, args):
    return " ".join([where] + list(args))


def core_and_live_main(scenario, check, args=()):
    """The whole script of a test that checks one scenario from its core and
    live with one check: its command line (INTERPRETER --python --pyautopsy
    [--cache]) and its exit status."""
    parser = argparse.ArgumentParser()
    parser.add_argument("interpreter")
    parser.add_argument("--python", required=True)
    parser.add_argument("--pyautopsy", required=True)
    parser.add_argument("--cache", default=cores.default_cache())
    options = parser.parse_args()
    failures = run_core_and_live(options.interpreter, scenario, options.pyautopsy, options.cache, options.python,
                                 check, args)
    return 1 if failures else 0
