#!/usr/bin/env python3
"""A live target is never held stopped for long, whatever happens to pyautopsy.

`pyautopsy pid` holds a parked interpreter stopped; the test hook
PYAUTOPSY_TEST_HOLD_MS widens that hold so the test can act inside it:
- SIGSTOP to pyautopsy: its watchdog kills it once the hold outlives
  --max-stop-ms (+ a short grace), and the kernel lets the target go;
- SIGTSTP (Ctrl-Z): the target is let go at once; continued, pyautopsy
  finishes, exit 0, and its report says the hold was cut short;
- SIGKILL: the kernel lets the target go;
- a limit shorter than the hold (--max-stop-ms 1, the hook holding 30 ms,
  well inside the watchdog's grace): the report is complete, says the limit
  cut it short, and the target runs. The hook is needed because a rehearsed
  stop of this small target can end inside 1 ms on a quiet machine.
After each: no thread of the target is stopped or traced, and it still
makes progress (its heartbeat file keeps changing).
"""
import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time

from pyautopsy_testing import checks
from pyautopsy_testing.tasks import held, read_int as beats, thread_states, wait_until

SCRIPT = """
import os, sys, threading, time
beat = sys.argv[1]
def heartbeat():
    n = 0
    while True:
        n += 1
        with open(beat + ".tmp", "w") as f:
            f.write(str(n))
        os.replace(beat + ".tmp", beat)
        time.sleep(0.02)
def parked():
    threading.Thread(target=heartbeat, name="heartbeat", daemon=True).start()
    sys.stdout.write("ready\\n"); sys.stdout.flush()
    time.sleep(600)
parked()
"""


def fully_held(pid):
    """Every thread stopped by its tracer: pyautopsy is past stopping them."""
    states = thread_states(pid).values()
    return bool(states) and all(state == "t" and tracer != 0 for state, tracer in states)


class Target:
    def __init__(self, python, work):
        self.beat = os.path.join(work, "beat")
        script = os.path.join(work, "parked.py")
        with open(script, "w") as f:
            f.write(SCRIPT)
        self.proc = subprocess.Popen([python, script, self.beat], stdout=subprocess.PIPE)
        if self.proc.stdout.readline().strip() != b"ready":
            raise RuntimeError("the target did not start")
        self.pid = self.proc.pid

    def running_freely(self):
        """(ok, what): no thread stopped or traced, and the heartbeat moves."""
        if held(self.pid):
            return False, "threads still held: %s" % thread_states(self.pid)
        before = beats(self.beat)
        moved = wait_until(lambda: beats(self.beat) > before, 3)
        return moved, "heartbeat %s" % ("moves" if moved else "stopped at %d" % before)

    def close(self):
        self.proc.kill()
        self.proc.wait()


def start_pyautopsy(binary, pid, hold_ms, extra=()):
    env = dict(os.environ)
    if hold_ms:
        env["PYAUTOPSY_TEST_HOLD_MS"] = str(hold_ms)
    # A process group of its own, under ours in the same session, as a shell
    # runs a job: the kernel discards a stop signal sent to an orphaned
    # process group (the test's own may be one under CI), so Ctrl-Z's stop
    # could not be observed there.
    return subprocess.Popen([binary, "pid", str(pid)] + list(extra), env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=os.setpgrp)


def holding(binary, target, hold_ms):
    """A pyautopsy that holds the target stopped (for hold_ms, by the test hook)."""
    tool = start_pyautopsy(binary, target.pid, hold_ms)
    # Act once every thread is held: the cases test a hold, not a race with its start.
    if not wait_until(lambda: fully_held(target.pid), 10):
        tool.kill()
        raise checks.Mismatch("the target was never stopped")
    return tool


def case_sigstop(binary, target):
    tool = holding(binary, target, 8000)
    os.kill(tool.pid, signal.SIGSTOP)
    started = time.monotonic()
    released = wait_until(lambda: not held(target.pid), 5)
    took = time.monotonic() - started
    try:
        status = tool.wait(5)
    except subprocess.TimeoutExpired:
        tool.kill()
        status = None
    if not released:
        raise checks.Mismatch("still held 5 s after pyautopsy was frozen")
    if status != -signal.SIGKILL:
        raise checks.Mismatch("pyautopsy ended with %s, not SIGKILL from its watchdog" % status)
    ok, what = target.running_freely()
    if not ok:
        raise checks.Mismatch(what)
    return "released %.2f s after the freeze (limit 1 s + grace), pyautopsy killed, %s" % (took, what)


def case_sigtstp(binary, target):
    tool = holding(binary, target, 2000)
    os.kill(tool.pid, signal.SIGTSTP)
    started = time.monotonic()
    released = wait_until(lambda: not held(target.pid), 2)
    took = time.monotonic() - started
    stopped = wait_until(lambda: thread_states(tool.pid).get(tool.pid, ("?",))[0] == "T", 2)
    time.sleep(1.5)   # longer than the stop limit: a stopped pyautopsy must not be killed for it
    os.kill(tool.pid, signal.SIGCONT)
    try:
        out, err = tool.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        tool.kill()
        raise checks.Mismatch("pyautopsy did not finish after SIGCONT")
    if not released:
        raise checks.Mismatch("the target was not let go on SIGTSTP")
    if not stopped:
        raise checks.Mismatch("pyautopsy did not stop on SIGTSTP")
    if tool.returncode != 0 or b"in parked" not in out:
        raise checks.Mismatch("exit %d: %s" % (tool.returncode, err.decode(errors="replace")[-300:]))
    if b"SIGTSTP" not in out:
        raise checks.Mismatch("the report does not say the hold was cut short by SIGTSTP")
    ok, what = target.running_freely()
    if not ok:
        raise checks.Mismatch(what)
    return "released %.3f s after SIGTSTP; continued, report complete and says so; %s" % (took, what)


def case_sigkill(binary, target):
    tool = holding(binary, target, 8000)
    tool.kill()
    tool.wait()
    if not wait_until(lambda: not held(target.pid), 2):
        raise checks.Mismatch("still held after pyautopsy was killed")
    ok, what = target.running_freely()
    if not ok:
        raise checks.Mismatch(what)
    return what


def case_short_limit(binary, target):
    tool = start_pyautopsy(binary, target.pid, 30, ["--max-stop-ms", "1"])
    out, err = tool.communicate(timeout=30)
    if tool.returncode != 0 or b"in parked" not in out:
        raise checks.Mismatch("exit %d: %s" % (tool.returncode, err.decode(errors="replace")[-300:]))
    if b"stop limit of 1 ms" not in out:
        raise checks.Mismatch("the report does not say the 1 ms limit cut the hold short")
    ok, what = target.running_freely()
    if not ok:
        raise checks.Mismatch(what)
    return "report complete, cut short by the limit; %s" % what


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("interpreter")
    parser.add_argument("--python", required=True)
    parser.add_argument("--pyautopsy", required=True)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="pyautopsy-hold-")
    target = Target(args.python, work)
    failures = 0
    try:
        for name, case in (("SIGSTOP", case_sigstop), ("SIGTSTP", case_sigtstp), ("SIGKILL", case_sigkill),
                           ("--max-stop-ms 1", case_short_limit)):
            failures += checks.run("%s pyautopsy %s inside the hold" % (args.interpreter, name),
                                   lambda case=case: case(args.pyautopsy, target))
    finally:
        target.close()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
