"""A corefiles scenario kept alive, for tests of live processes.

parked_scenario() starts a scenario under an interpreter with os.abort()
replaced by a call that blocks in C (parking/park_instead_of_abort.py, or
another parking script), waits until the scenario has recorded its truth,
and yields the process and that truth. When the block ends, however it
ends, the process and every process below it are killed. Should the test
itself be killed first (a CTest timeout), the kernel kills the scenario
with it (PR_SET_PDEATHSIG; a child the scenario forked is not covered). The
committing thread shows one extra innermost frame: the parking function,
park().
"""

import contextlib
import ctypes
import glob
import os
import signal
import subprocess
import tempfile
import time

from pyautopsy_testing import ROOT, Mismatch, environment
from pyautopsy_testing.truthcheck import load_truth

PARKING = os.path.join(os.path.dirname(os.path.abspath(__file__)), "parking")
PARK_INSTEAD_OF_ABORT = os.path.join(PARKING, "park_instead_of_abort.py")
# The same, with faulthandler's watchdog: a C thread without a thread state.
PARK_WITH_C_THREAD = os.path.join(PARKING, "park_with_c_thread.py")

_PR_SET_PDEATHSIG = 1


def process_state(pid):
    """The one-letter state of /proc/PID/stat ('t' when stopped by a tracer)."""
    with open("/proc/%d/stat" % pid) as f:
        return f.read().rsplit(")", 1)[1].split()[0]


def ensure_running(proc):
    """Raises Mismatch unless `proc` is alive and running: a reader that
    stops a target must always let it go, and must never kill it."""
    if proc.poll() is not None:
        raise Mismatch("the process died (exit %s)" % proc.returncode)
    state = process_state(proc.pid)
    if state in ("t", "T"):
        raise Mismatch("the process was left stopped (state %s)" % state)
    return "the process runs again (state %s)" % state


def child_pids(pid):
    """The children of every thread of `pid`, as the kernel lists them."""
    pids = set()
    for path in glob.glob("/proc/%d/task/*/children" % pid):
        try:
            with open(path) as f:
                pids.update(int(p) for p in f.read().split())
        except OSError:
            pass
    return sorted(pids)


def descendants(pid):
    """Every process below `pid`, children before their own children."""
    found = []
    for child in child_pids(pid):
        found.append(child)
        found.extend(descendants(child))
    return found


def tree_states(pids):
    """{pid: state letter} of those of `pids` still present (zombies included)."""
    states = {}
    for pid in pids:
        try:
            states[pid] = process_state(pid)
        except OSError:
            pass
    return states


def load_tree_truths(truth_path):
    """{pid: truth} of a scenario's own process (truth_path) and of every
    process that recorded truth.<pid>.json beside it."""
    stem = truth_path[:-5]
    truths = {}
    for path in [truth_path] + glob.glob(stem + ".*.json"):
        if ".tmp." in path:
            continue
        truth = load_truth(path)
        truths[truth["pid"]] = truth
    return truths


def wait_for_file(path, proc, timeout, what="the scenario"):
    """Waits until `path` exists; Mismatch if `proc` exits first or time runs out."""
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if proc.poll() is not None:
            raise Mismatch("%s exited %s first" % (what, proc.returncode))
        if time.monotonic() > deadline:
            raise Mismatch("%s wrote no %s in %d s" % (what, os.path.basename(path), timeout))
        time.sleep(0.05)


def _die_with_parent():
    # Runs in the child between fork and exec: if the test is killed, the
    # parked scenario, which would otherwise block forever, goes with it.
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def kill_tree(proc):
    """SIGKILL `proc`'s descendants (first: once it is gone they are no
    longer listed), then `proc`, and reap it."""
    for pid in descendants(proc.pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    proc.kill()
    proc.wait()


@contextlib.contextmanager
def scenario_tree(python, scenario, timeout=60):
    """A live-only scenario that starts processes (corefiles/scenarios/hung_tree.py)
    run directly, not parked. Yields (process, {pid: truth}) once its own
    process has recorded its truth (it does so after its children). Kills
    the whole tree afterwards."""
    with tempfile.TemporaryDirectory(prefix="pyautopsy-tree-") as work:
        truth_path = os.path.join(work, "truth.json")
        path = os.path.join(ROOT, "corefiles", "scenarios", scenario + ".py")
        proc = subprocess.Popen([python, path], cwd=work, env=environment.for_target(PYAUTOPSY_TRUTH=truth_path),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=_die_with_parent)
        try:
            wait_for_file(truth_path, proc, timeout)
            time.sleep(0.3)   # the committing watcher reaches its parking line
            yield proc, load_tree_truths(truth_path)
        finally:
            kill_tree(proc)


@contextlib.contextmanager
def parked_scenario(python, scenario="threads_abort", runner=PARK_INSTEAD_OF_ABORT, timeout=60):
    """Yields (process, truth). Raises Mismatch if the scenario exits or
    records no truth within `timeout` seconds."""
    with tempfile.TemporaryDirectory(prefix="pyautopsy-live-") as work:
        truth_path = os.path.join(work, "truth.json")
        path = os.path.join(ROOT, "corefiles", "scenarios", scenario + ".py")
        proc = subprocess.Popen([python, runner, path], cwd=work,
                                env=environment.for_target(PYAUTOPSY_TRUTH=truth_path),
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                preexec_fn=_die_with_parent)
        try:
            deadline = time.monotonic() + timeout
            while not os.path.exists(truth_path):
                if proc.poll() is not None:
                    raise Mismatch("scenario exited %d: %s" % (
                        proc.returncode, proc.stderr.read().decode(errors="replace")))
                if time.monotonic() > deadline:
                    raise Mismatch("scenario wrote no truth in %d s" % timeout)
                time.sleep(0.05)
            # The committing thread has written its truth; let it reach the parking call.
            time.sleep(0.3)
            yield proc, load_truth(truth_path)
        finally:
            kill_tree(proc)
            proc.stderr.close()
