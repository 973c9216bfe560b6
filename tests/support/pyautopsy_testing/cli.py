"""Runs the pyautopsy CLI and reads its --json report (docs/json-schema.md)."""

import json
import subprocess

from pyautopsy_testing import Mismatch, environment


def run_pyautopsy(binary, args, timeout=60, report_codes=(0,)):
    """Runs `binary ARGS --json`. Returns (exit code, report, stderr); the
    report is the parsed JSON when the exit code is one of `report_codes`
    and something was printed, else None. (A damaged core exits 1 after
    printing what could be read.) A run that hangs is a Mismatch."""
    argv = [binary] + list(args) + ["--json"]
    try:
        proc = subprocess.run(argv, capture_output=True, timeout=timeout, env=environment.for_target())
    except subprocess.TimeoutExpired:
        raise Mismatch("%s did not finish in %d s" % (" ".join(argv), timeout))
    report = None
    if proc.returncode in report_codes and (proc.returncode == 0 or proc.stdout.strip()):
        report = json.loads(proc.stdout.decode("utf-8"))
    return proc.returncode, report, proc.stderr.decode("utf-8", "replace")


def report_of(binary, args, timeout=60):
    """The report of a run that must succeed; a Mismatch naming the command
    line, exit code and stderr if it does not."""
    code, report, stderr = run_pyautopsy(binary, args, timeout)
    if code != 0:
        raise Mismatch("pyautopsy %s exited %d: %s" % (" ".join(args), code, stderr.strip()))
    return report
