#!/usr/bin/env python3
"""`pyautopsy run`: a multiprocessing worker crashes under it, and its core is found.

The machine writes a plain `core` into the working directory (core_pattern
"core", core_uses_pid 0), so run must rename it after the pid in the core's
own notes. Checks the core's name against the worker's pid (which the command
prints), the report's top frame (boom() in the command's script), that no
plain `core` is left behind, and the exit-status rule: the command's own
status when it failed, 1 when it succeeded but a core appeared, 0 otherwise.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

SCRIPT = """
import multiprocessing, os, sys
def boom():
    os.abort()
if __name__ == "__main__":
    ctx = multiprocessing.get_context("fork")
    p = ctx.Process(target=boom)
    p.start()
    p.join()
    print("worker", p.pid, p.exitcode, flush=True)
    sys.exit(int(sys.argv[1]))
"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pyautopsy", required=True)
    parser.add_argument("--python", required=True)
    args = parser.parse_args()
    args.pyautopsy = os.path.abspath(args.pyautopsy)
    pattern = open("/proc/sys/kernel/core_pattern").read().strip()
    if pattern.startswith("|"):
        print("SKIP: core_pattern pipes cores to %s" % pattern)
        return 77
    failures = []
    work = tempfile.mkdtemp(prefix="pyautopsy-run-test-")
    try:
        open(os.path.join(work, "crash.py"), "w").write(SCRIPT)
        for status in (0, 3):
            cores = os.path.join(work, "cores%d" % status)
            report = os.path.join(work, "report%d.json" % status)
            proc = subprocess.run([args.pyautopsy, "run", "--cores", cores, "--json", report, "--",
                                   args.python, "crash.py", str(status)],
                                  cwd=work, capture_output=True, text=True, timeout=300)
            print(proc.stdout, proc.stderr)
            worker = next((line.split() for line in proc.stdout.splitlines() if line.startswith("worker ")), None)
            if worker is None:
                failures.append("the command did not run: %s" % proc.stderr)
                continue
            pid, exitcode = int(worker[1]), int(worker[2])
            if exitcode != -6:
                failures.append("the worker ended with %d, not SIGABRT" % exitcode)
            want = 1 if status == 0 else status
            if proc.returncode != want:
                failures.append("command status %d: run exited %d, want %d" % (status, proc.returncode, want))
            found = sorted(os.listdir(cores)) if os.path.isdir(cores) else []
            if found != ["core.%d" % pid]:
                failures.append("cores collected: %s, want ['core.%d']" % (found, pid))
            if any(name == "core" or name.startswith("core.") for name in os.listdir(work)):
                failures.append("a core was left in the working directory: %s" % os.listdir(work))
            doc = json.load(open(report))
            groups = doc["groups"]
            if len(groups) != 1 or not groups[0]["top_frames"] or groups[0]["top_frames"][0] != "boom (crash.py:4)":
                failures.append("the report's top frame is not boom (crash.py:4): %s" % groups)
            if [c["pid"] for c in doc["cores"]] != [pid]:
                failures.append("the report is not about pid %d: %s" % (pid, [c["pid"] for c in doc["cores"]]))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for failure in failures:
        print("FAIL:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
