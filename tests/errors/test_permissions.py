#!/usr/bin/env python3
"""Each refusal of `pyautopsy pid` is one line with its cause and its fix.

As root, on a process parked in time.sleep():
  - another user's process: the target runs as `nobody` (setpriv), pyautopsy
    as another uid: the line says whose process it is and `sudo`;
  - CAP_SYS_PTRACE missing: pyautopsy as root with the capability dropped
    (capsh --drop): the line says so and how containers grant it;
  - Yama's ptrace_scope, where this kernel has Yama: set to 1 (restored
    after), pyautopsy as the target's own user but not its parent: the line
    names the value and the sysctl that changes it.
Exit 77 (skipped) when not root or setpriv/capsh are missing.
"""

import argparse
import os
import shutil
import subprocess
import sys

from pyautopsy_testing import Mismatch, checks

YAMA = "/proc/sys/kernel/yama/ptrace_scope"
NOBODY = "65534"
OTHER_UID = "4242"


def park(prefix):
    """python3 parked in sleep, started under `prefix` (setpriv ...); its own process group."""
    proc = subprocess.Popen(prefix + [sys.executable, "-c", "import sys, time; print('ready', flush=True); "
                                      "time.sleep(600)"],
                            stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, preexec_fn=os.setpgrp)
    if proc.stdout.readline().strip() != b"ready":
        proc.kill()
        raise Mismatch("the parked process did not start")
    return proc


def as_user(uid):
    return ["setpriv", "--reuid=%s" % uid, "--regid=%s" % uid, "--clear-groups"]


def refusal(argv, pid, wanted):
    proc = subprocess.run(argv + ["pid", str(pid)], capture_output=True, text=True, timeout=60)
    lines = proc.stderr.strip().splitlines()
    if proc.returncode != 1 or len(lines) != 1 or proc.stdout.strip():
        raise Mismatch("exit %d, stderr %r" % (proc.returncode, proc.stderr[-800:]))
    missing = [w for w in wanted if w not in lines[0]]
    if missing:
        raise Mismatch("the line lacks %s: %s" % (missing, lines[0]))
    return lines[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pyautopsy", required=True)
    args = parser.parse_args()
    if os.geteuid() != 0 or not shutil.which("setpriv") or not shutil.which("capsh"):
        print("skip: needs root, setpriv and capsh")
        return 77

    failures = 0
    target = park(as_user(NOBODY))
    try:
        failures += checks.run("other user", lambda: refusal(
            as_user(OTHER_UID) + [args.pyautopsy], target.pid,
            ["cannot attach to PID %d: it belongs to nobody" % target.pid, "sudo pyautopsy pid %d" % target.pid]))
        failures += checks.run("no CAP_SYS_PTRACE", lambda: refusal(
            ["capsh", "--drop=cap_sys_ptrace", "--", "-c", 'exec "$0" "$@"', args.pyautopsy], target.pid,
            ["runs as root but without CAP_SYS_PTRACE", "--cap-add=SYS_PTRACE"]))
    finally:
        target.kill()
        target.wait()

    if not os.path.exists(YAMA):
        print("info ptrace_scope: this kernel has no Yama (%s); the unit tests cover its messages" % YAMA)
    else:
        with open(YAMA) as f:
            saved = f.read().strip()
        target = park(as_user(OTHER_UID))
        try:
            with open(YAMA, "w") as f:
                f.write("1")
            failures += checks.run("ptrace_scope 1", lambda: refusal(
                as_user(OTHER_UID) + [args.pyautopsy], target.pid,
                ["kernel.yama.ptrace_scope is 1", "sudo sysctl kernel.yama.ptrace_scope=0"]))
        finally:
            with open(YAMA, "w") as f:
                f.write(saved)
            target.kill()
            target.wait()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
