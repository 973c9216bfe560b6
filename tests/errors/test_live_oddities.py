#!/usr/bin/env python3
"""Live processes that are odd but real: `pid` reports them, or says in one
line what to do.

- Text that is not UTF-8: the interpreter runs from a directory whose name
  has the byte 0xff, so the executable path pyautopsy reports is not UTF-8.
  `pid --json` and `pid --nonblocking --json` must print a valid document
  (the byte replaced by U+FFFD) with the process's frames, not end in an
  internal error.
- A process a debugger already traces: `pid` must name the tracer (gdb and
  its pid) and suggest --nonblocking, in one line, exit 1; and
  `pid --nonblocking` must still read it.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from pyautopsy_testing import checks

SCRIPT = b"""
import sys, time
def parked():
    sys.stdout.write("ready\\n"); sys.stdout.flush()
    time.sleep(600)
parked()
"""
TIMEOUT = 60


def start(python, work):
    script = os.path.join(work, b"parked.py")
    with open(script, "wb") as f:
        f.write(SCRIPT)
    proc = subprocess.Popen([python, script], stdout=subprocess.PIPE)
    if proc.stdout.readline().strip() != b"ready":
        proc.kill()
        raise RuntimeError("the parked process did not start")
    return proc


def pyautopsy(binary, args):
    proc = subprocess.run([binary] + args, capture_output=True, timeout=TIMEOUT)
    return proc.returncode, proc.stdout, proc.stderr.decode("utf-8", "replace")


def check_not_utf8(binary, python, work, failures):
    odd = os.path.join(work, b"bin-\xff")
    os.mkdir(odd)
    copy = os.path.join(odd, os.path.basename(python.encode()))
    shutil.copy2(python, copy)
    proc = start(copy, work)
    try:
        for flags in ([], ["--nonblocking"]):
            label = "pid %s--json of %r" % (" ".join(flags) + " " if flags else "", copy)
            code, out, err = pyautopsy(binary, ["pid", str(proc.pid), "--json"] + flags)

            def check():
                if code != 0:
                    raise checks.Mismatch("exit %d: %s" % (code, err.strip()))
                report = json.loads(out.decode("utf-8"))
                executable = report["target"]["executable"]
                if "\ufffd" not in executable:
                    raise checks.Mismatch("executable %r keeps no replacement character" % executable)
                functions = [f["function"] for t in report["threads"] for f in t["frames"]]
                if "parked" not in functions:
                    raise checks.Mismatch("no frame of parked(): %s" % functions)
                return "executable %r, parked() found" % executable
            failures += checks.run(label, check)
    finally:
        proc.kill()
        proc.wait()
    return failures


def check_traced(binary, python, work, failures):
    gdb = shutil.which("gdb")
    if gdb is None:
        print("SKIP traced: no gdb")
        return failures
    proc = start(python, work)
    debugger = None
    try:
        # gdb attaches, then sleeps while holding the process.
        debugger = subprocess.Popen([gdb, "-nx", "-batch", "-p", str(proc.pid), "-ex", "shell sleep 20"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with open("/proc/%d/status" % proc.pid) as f:
                if any(line.startswith("TracerPid:") and line.split()[1] != "0" for line in f):
                    break
            time.sleep(0.05)
        code, out, err = pyautopsy(binary, ["pid", str(proc.pid)])

        def refused():
            lines = err.strip().splitlines()
            if code != 1 or len(lines) != 1:
                raise checks.Mismatch("exit %d, stderr %r" % (code, err))
            if "already traced by gdb" not in err or str(debugger.pid) not in err or "--nonblocking" not in err:
                raise checks.Mismatch("the message does not name gdb, its pid and --nonblocking: %s" % err)
            return err.strip()
        failures += checks.run("pid of a process gdb traces", refused)

        code, out, err = pyautopsy(binary, ["pid", str(proc.pid), "--nonblocking"])

        def read():
            if code != 0 or b"in parked" not in out:
                raise checks.Mismatch("exit %d, %s" % (code, err.strip() or out[-300:]))
            return "parked() found"
        failures += checks.run("pid --nonblocking of a process gdb traces", read)
    finally:
        if debugger is not None:
            debugger.kill()
            debugger.wait()
        proc.kill()
        proc.wait()
    return failures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pyautopsy", required=True)
    parser.add_argument("--python", default="/usr/bin/python3.11")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="pyautopsy-oddities-").encode()
    failures = 0
    try:
        failures = check_not_utf8(args.pyautopsy, args.python, work, failures)
        failures = check_traced(args.pyautopsy, args.python, work, failures)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
