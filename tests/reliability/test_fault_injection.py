#!/usr/bin/env python3
"""Whatever happens to pyautopsy, at whatever moment, its targets run on.

pyautopsy is killed (SIGKILL), frozen (SIGSTOP) or stopped from the terminal
(SIGTSTP) at random moments of `pid`, `pid --native --locals`, `pid --tree`
and of the hang capture of `run --hang-timeout`: before, during or after it
holds a process. The moments are spread over the length of an undisturbed
run (measured first), and PYAUTOPSY_TEST_HOLD_MS widens each hold a little
so that many of them fall inside one. Afterwards, allowing the stop limit
(1 s) and its grace: no task of any target is stopped or traced, and every
target's heartbeat moves. A pyautopsy stopped by SIGTSTP is continued and
must finish by itself. The random seed is printed, so a failure can be
replayed (--seed).
"""
import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time

from pyautopsy_testing import checks
from pyautopsy_testing.tasks import held, read_int, thread_states, wait_until

# A parked interpreter with a heartbeat thread; with --child, it first starts
# a copy of itself (a process tree for --tree), whose heartbeat is BEAT.child.
SCRIPT = """
import os, subprocess, sys, threading, time
beat = sys.argv[1]
if len(sys.argv) > 2:
    subprocess.Popen([sys.executable, __file__, beat + ".child"])
with open(beat + ".pid", "w") as f:
    f.write(str(os.getpid()))
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
    time.sleep(600)
parked()
"""

SIGNALS = (("SIGKILL", signal.SIGKILL), ("SIGSTOP", signal.SIGSTOP), ("SIGTSTP", signal.SIGTSTP))
HOLD_MS = 40          # the test hook's extra hold per process
RELEASE_S = 1.0 + 0.25 + 0.75   # stop limit + watchdog grace + margin for a busy machine


def zombie(pid):
    return thread_states(pid).get(pid, ("?",))[0] in ("Z", "X", "?")


class Tree:
    """A parked target (and, for --tree, its child), each with a heartbeat."""

    def __init__(self, python, work, name, child, start=True):
        self.work = work
        self.beats = [os.path.join(work, name)] + ([os.path.join(work, name + ".child")] if child else [])
        # Each mode measures with a tree of the same name: a heartbeat left by
        # the last one would name a dead process as this tree's.
        for beat in self.beats:
            for path in (beat, beat + ".pid"):
                if os.path.exists(path):
                    os.unlink(path)
        self.script = os.path.join(work, "parked.py")
        with open(self.script, "w") as f:
            f.write(SCRIPT)
        self.argv = [python, self.script, self.beats[0]] + (["child"] if child else [])
        # A session of its own: close() ends the target and its child as one group.
        self.proc = subprocess.Popen(self.argv, start_new_session=True) if start else None

    def pids(self, timeout=10):
        wait_until(lambda: all(read_int(b + ".pid") and read_int(b) for b in self.beats), timeout)
        return [read_int(b + ".pid") for b in self.beats]

    def free(self, may_end=False):
        """(ok, what): no task held, every heartbeat moving. Under run, a
        target may also be gone: ending the tree after the capture is run's
        job, and a pyautopsy killed after sending SIGTERM leaves it ending."""
        pids = self.pids(timeout=0 if may_end else 10)
        if may_end:
            pids = [p for p in pids if p and os.path.exists("/proc/%d" % p) and not zombie(p)]
            if not pids:
                return True, "ended by run"
        elif not all(pids):
            return False, "a target did not start"
        if not wait_until(lambda: not any(held(p) for p in pids), RELEASE_S):
            return False, "still held: %s" % {p: thread_states(p) for p in pids}
        beats = [b for b in self.beats if read_int(b + ".pid") in pids]
        before = [read_int(b) for b in beats]
        moved = wait_until(lambda: all(read_int(b) > n for b, n in zip(beats, before)), 3)
        if not moved and may_end and not any(os.path.exists("/proc/%d" % p) and not zombie(p) for p in pids):
            return True, "ended by run"
        return moved, "heartbeats %s" % ("move" if moved else "stopped at %s" % before)

    def close(self):
        # The target we started is killed even before it wrote its heartbeat.
        pids = [p for p in reversed(self.pids(timeout=0)) if p]
        if self.proc and self.proc.pid not in pids:
            pids.append(self.proc.pid)
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.proc:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(30)


def run_tool(argv, hold_ms):
    env = dict(os.environ)
    if hold_ms:
        env["PYAUTOPSY_TEST_HOLD_MS"] = str(hold_ms)
    # Its own process group under the test's session, as a shell runs a job
    # (a stop signal to an orphaned process group would be discarded).
    return subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, preexec_fn=os.setpgrp)


def finish(tool, sig):
    """Ends the disturbed pyautopsy: continued after SIGTSTP it must finish by
    itself; after SIGSTOP it is dead (its watchdog) or stopped past its hold."""
    if sig == signal.SIGTSTP:
        time.sleep(0.2)
        if tool.poll() is None:
            os.kill(tool.pid, signal.SIGCONT)
        try:
            tool.wait(60)
        except subprocess.TimeoutExpired:
            tool.kill()
            tool.wait()
            raise checks.Mismatch("pyautopsy did not finish after SIGTSTP and SIGCONT")
        if tool.returncode not in (0, 124, 128 + signal.SIGTSTP):
            raise checks.Mismatch("after SIGTSTP and SIGCONT pyautopsy ended with %s: %s"
                                  % (tool.returncode, tool.stderr.read().decode(errors="replace")[-300:]))
    else:
        tool.kill()
        tool.wait()


class Mode:
    def __init__(self, name, child, argv_for, hang):
        self.name, self.child, self.argv_for, self.hang = name, child, argv_for, hang


def modes(binary):
    def pid_argv(extra):
        return lambda tree: [binary, "pid", str(tree.pids()[0])] + extra

    def run_argv(tree):
        return [binary, "run", "--hang-timeout", "1", "--cores", os.path.join(tree.work, "cores"), "--"] + tree.argv

    return [
        Mode("pid", False, pid_argv([]), False),
        Mode("pid --native --locals", False, pid_argv(["--native", "--locals"]), False),
        Mode("pid --tree", True, pid_argv(["--tree"]), False),
        Mode("run --hang-timeout", False, run_argv, True),
    ]


def undisturbed_seconds(python, work, mode):
    tree = Tree(python, work, "measure", mode.child, start=not mode.hang)
    try:
        argv = mode.argv_for(tree)   # waits for the targets to be up: not part of the run
        started = time.monotonic()
        tool = run_tool(argv, HOLD_MS)
        tool.wait(120)
        return time.monotonic() - started
    finally:
        tree.close()


def check_free(tree, mode, tool):
    if not mode.hang:
        return tree.free()
    # run starts the command itself: disturbed early enough, it never did.
    if not wait_until(lambda: read_int(tree.beats[0] + ".pid"), 1):
        return True, "the command had not started"
    return tree.free(may_end=True)


def one_case(python, work, mode, sig, delay, index):
    tree = Tree(python, work, "t%d" % index, mode.child, start=not mode.hang)
    try:
        if not mode.hang:
            tree.pids()
        tool = run_tool(mode.argv_for(tree), HOLD_MS)
        time.sleep(delay)
        if tool.poll() is None:
            os.kill(tool.pid, sig)
        if sig == signal.SIGSTOP:
            time.sleep(RELEASE_S)   # the watchdog's bound, while pyautopsy stays frozen
            ok, what = check_free(tree, mode, tool)
            finish(tool, sig)
        else:
            finish(tool, sig)
            ok, what = check_free(tree, mode, tool)
        if not ok:
            raise checks.Mismatch("%s at %.3f s: %s" % (signal.Signals(sig).name, delay, what))
    finally:
        tree.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("interpreter")
    parser.add_argument("--python", required=True)
    parser.add_argument("--pyautopsy", required=True)
    parser.add_argument("--rounds", type=int, default=2, help="random moments per mode and signal")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    print("seed %d (replay with --seed %d)" % (seed, seed), flush=True)
    rng = random.Random(seed)
    work = tempfile.mkdtemp(prefix="pyautopsy-faults-")
    failures = 0
    index = 0
    for mode in modes(args.pyautopsy):
        length = undisturbed_seconds(args.python, work, mode)
        for sig_name, sig in SIGNALS:
            def case(mode=mode, sig=sig):
                nonlocal index
                moments = []
                for _ in range(args.rounds):
                    # run waits for its hang timeout (1 s) first: the moments
                    # that matter are those of the capture, after it.
                    delay = rng.uniform(0.9 if mode.hang else 0, length * 1.1)
                    index += 1
                    one_case(args.python, work, mode, sig, delay, index)
                    moments.append("%.3f" % delay)
                return "targets free and running after %s at %s s (an undisturbed run: %.2f s)" % (
                    sig_name, ", ".join(moments), length)
            failures += checks.run("%s %s, %s at random moments" % (args.interpreter, mode.name, sig_name), case)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
