#!/usr/bin/env python3
"""The pytest plugin on a real project with real pytest and pytest-xdist.

tests/pytest/project has passing tests, a test that crashes its process
(SIGSEGV in a C call) and a test that deadlocks. Two sessions:
- `-n 2 --autopsy --autopsy-timeout T`: the crash and the hang fail with
  pyautopsy's report in the JUnit XML (signal, diagnosis, the right
  function on the right thread), the passing tests pass, and the session
  finishes with nothing of it left running;
- no xdist, crash test deselected: the hang fails with its report through the
  main-thread signal, and the session goes on to the passing tests.
Runs under the interpreter given (one that can import pytest and xdist:
Debian's python3-pytest and python3-pytest-xdist).
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

from pyautopsy_testing import checks

HERE = os.path.dirname(os.path.abspath(__file__))
PLUGIN_DIR = os.path.join(HERE, "..", "..", "python")
SESSION_TIMEOUT = 240
HANG_TIMEOUT = 4


class Result:
    """Counts failed checks; each check prints one ok/FAIL line."""

    def __init__(self, label):
        self.label = label
        self.failures = 0

    def check(self, what, passed, found):
        if passed:
            checks.ok("%s %s" % (self.label, what), found if not isinstance(found, str) else found[:80])
        else:
            checks.fail("%s %s" % (self.label, what), found)
            self.failures += 1

    def finish(self):
        return 1 if self.failures else 0


def run_session(python, pyautopsy, work, extra):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.path.abspath(PLUGIN_DIR)
    env["PYAUTOPSY"] = pyautopsy
    junit = os.path.join(work, "junit.xml")
    command = [python, "-m", "pytest", "-p", "pyautopsy_pytest", "--autopsy",
               "--autopsy-timeout", str(HANG_TIMEOUT), "--autopsy-dir", os.path.join(work, "autopsy"),
               "--junitxml", junit, "-p", "no:cacheprovider", "-q"] + extra
    started = time.monotonic()
    proc = subprocess.run(command, cwd=os.path.join(work, "project"), env=env, capture_output=True, text=True,
                          timeout=SESSION_TIMEOUT)
    print("$ %s\n(%.1f s, exit %d)\n%s\n%s" % (" ".join(command), time.monotonic() - started, proc.returncode,
                                               proc.stdout[-6000:], proc.stderr[-3000:]))
    return proc, junit


def cases(junit):
    """{test name: (outcome, failure text)} from the JUnit XML."""
    out = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        failure = case.find("failure")
        if failure is None:
            failure = case.find("error")
        text = "" if failure is None else (failure.get("message") or "") + "\n" + (failure.text or "")
        out[case.get("name")] = ("failed" if failure is not None else "passed", text)
    return out


def leftovers(work):
    """Processes still running from this session (their cwd is under work)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            if os.readlink("/proc/%s/cwd" % pid).startswith(work):
                found.append(int(pid))
        except OSError:
            continue
    return found


def expect_reports(result, by_name, crash):
    outcome, text = by_name.get("test_deadlock", ("missing", ""))
    result.check("the hung test failed", outcome == "failed", outcome)
    result.check("its failure says it outlived the timeout", "still running after" in text, text[:300])
    result.check("its failure names the deadlock", "deadlock" in text, text[:2000])
    result.check("its failure shows the threads in transfer()", text.count("in transfer") >= 2, text[:2000])
    for name in ("test_arithmetic", "test_strings"):
        result.check("%s passed" % name, by_name.get(name, ("missing",))[0] == "passed", by_name.get(name))
    if crash:
        outcome, text = by_name.get("test_segfault", ("missing", ""))
        result.check("the crashing test failed", outcome == "failed", outcome)
        result.check("its failure says the worker crashed, from its core", "crashed; its core" in text, text[:500])
        result.check("its failure names SIGSEGV", "SIGSEGV" in text, text[:500])
        result.check("its failure shows crash_in_extension on the crashing thread",
                     "crash_in_extension" in text, text[:3000])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("interpreter")
    parser.add_argument("--python", required=True)
    parser.add_argument("--pyautopsy", required=True)
    args = parser.parse_args()
    probe = subprocess.run([args.python, "-c", "import pytest, xdist"], capture_output=True)
    if probe.returncode != 0:
        print("SKIP: %s cannot import pytest and xdist" % args.python)
        return 77
    pattern = open("/proc/sys/kernel/core_pattern").read().strip()
    result = Result(args.interpreter)
    work = tempfile.mkdtemp(prefix="pyautopsy-pytest-test-")
    try:
        shutil.copytree(os.path.join(HERE, "project"), os.path.join(work, "project"))
        proc, junit = run_session(args.python, os.path.abspath(args.pyautopsy), work, ["-n", "2"])
        result.check("xdist session finished with failures (exit 1)", proc.returncode == 1, proc.returncode)
        if os.path.exists(junit):
            expect_reports(result, cases(junit), crash=not pattern.startswith("|"))
        else:
            result.check("JUnit XML written", False, junit)
        result.check("nothing of the xdist session left running", not leftovers(work), leftovers(work))

        os.remove(junit)
        proc, junit = run_session(args.python, os.path.abspath(args.pyautopsy), work,
                                  ["-p", "no:xdist", "-k", "not segfault"])
        result.check("plain session finished with failures (exit 1)", proc.returncode == 1, proc.returncode)
        if os.path.exists(junit):
            expect_reports(result, cases(junit), crash=False)
        else:
            result.check("JUnit XML written", False, junit)
        result.check("nothing of the plain session left running", not leftovers(work), leftovers(work))
    finally:
        for pid in leftovers(work):
            try:
                os.kill(pid, 9)
            except OSError:
                pass
        shutil.rmtree(work, ignore_errors=True)
    return result.finish()


if __name__ == "__main__":
    sys.exit(main())
