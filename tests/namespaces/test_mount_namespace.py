#!/usr/bin/env python3
"""A container seen from the host: `pyautopsy pid` on a process in other namespaces.

The interpreter's directory is bind-mounted, inside `unshare --mount --pid
--fork`, onto a directory that is empty on the host, and the interpreter runs
from there: the executable path in /proc/PID/maps does not exist on the host,
and the process is pid 1 of its own pid namespace. From the host,
`pyautopsy pid HOSTPID --json` must read its binaries through /proc/PID/root
and show
  - every thread's Python stack (the parked functions, file and line);
  - the threads' native ids as the host sees them (/proc/HOSTPID/task).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from pyautopsy_testing import Mismatch, checks, live

SCRIPT = """
import sys, threading, time

def worker_in_namespace(ready):
    ready.set()
    time.sleep(600)

def main_in_namespace():
    ready = threading.Event()
    threading.Thread(target=worker_in_namespace, args=(ready,), name="ns-worker", daemon=True).start()
    ready.wait()
    print("ready", flush=True)
    time.sleep(600)

main_in_namespace()
"""


def host_pid_of(unshare_pid, timeout=10):
    """The namespaced child unshare forked (pid 1 inside)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children = live.child_pids(unshare_pid)
        if children:
            return children[0]
        time.sleep(0.05)
    raise Mismatch("unshare started no child")


def check_report(binary, pid, script, nsroot):
    proc = subprocess.run([binary, "pid", str(pid), "--json"], capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        raise Mismatch("exit %d: %s" % (proc.returncode, proc.stderr.strip()[-1000:]))
    report = json.loads(proc.stdout)
    host_tids = {int(t) for t in os.listdir("/proc/%d/task" % pid)}
    stacks = {}
    for thread in report["threads"]:
        if thread.get("native_id") not in host_tids:
            raise Mismatch("thread %r has native id %r; the host's are %s" % (thread.get("name"),
                                                                               thread.get("native_id"), sorted(host_tids)))
        stacks[thread.get("name")] = [(f.get("function"), f.get("file"), f.get("line"))
                                      for f in thread.get("frames", []) if f.get("kind") == "python"]
    sleeps = [n for n, text in enumerate(SCRIPT.splitlines(), 1) if "time.sleep(600)" in text]
    for name, function, line in (("ns-worker", "worker_in_namespace", sleeps[0]),
                                 ("MainThread", "main_in_namespace", sleeps[1])):
        frames = stacks.get(name) or []
        if not frames or frames[0] != (function, script, line):
            raise Mismatch("thread %s: innermost Python frame %r, expected %r" % (
                name, frames[0] if frames else None, (function, script, line)))
    missing = [w for w in report.get("warnings", []) if "cannot open module" in w and nsroot in w]
    if missing:
        raise Mismatch("binaries not read through /proc/PID/root: %s" % missing)
    return "%d threads, native ids %s as the host sees them, stacks right" % (
        len(report["threads"]), sorted(t["native_id"] for t in report["threads"]))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pyautopsy", required=True)
    parser.add_argument("--python", required=True)
    args = parser.parse_args()
    if os.geteuid() != 0 or not shutil.which("unshare"):
        print("skip: needs root and unshare")
        return 77

    work = tempfile.mkdtemp(prefix="pyautopsy-ns-")
    proc = None
    try:
        nsroot = os.path.join(work, "nsroot")
        os.mkdir(nsroot)
        script = os.path.join(work, "parked.py")
        with open(script, "w") as f:
            f.write(SCRIPT)
        python = os.path.realpath(args.python)
        inside = os.path.join(nsroot, os.path.basename(python))
        proc = subprocess.Popen(
            ["unshare", "--mount", "--pid", "--fork", "sh", "-c", 'mount --bind "$1" "$2" && exec "$3" "$4"', "sh",
             os.path.dirname(python), nsroot, inside, script],
            stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, preexec_fn=os.setpgrp)
        if proc.stdout.readline().strip() != b"ready":
            checks.fail("namespace", "the namespaced interpreter did not start")
            return 1
        pid = host_pid_of(proc.pid)
        if os.path.exists(inside):
            checks.fail("namespace", "%s exists on the host: the bind mount leaked" % inside)
            return 1
        return checks.run("namespace pid %d" % pid, lambda: check_report(args.pyautopsy, pid, script, nsroot))
    finally:
        if proc is not None:
            live.kill_tree(proc)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
