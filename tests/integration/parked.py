"""A corefiles scenario kept alive, for tests of live processes.

parked_scenario() starts a scenario under an interpreter with os.abort()
replaced by a call that blocks in C (park_instead_of_abort.py, or another
runner), waits until the scenario has recorded its truth, and yields the
process and that truth; the process, and any child it started, is killed
when the block ends. The committing thread shows one extra innermost frame:
the parking function.
"""

import contextlib
import glob
import os
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import truthcheck  # noqa: E402

DEFAULT_RUNNER = os.path.join(HERE, "park_instead_of_abort.py")


def process_state(pid):
    """The one-letter state of /proc/PID/stat ('t' when stopped by a tracer)."""
    with open("/proc/%d/stat" % pid) as f:
        return f.read().rsplit(")", 1)[1].split()[0]


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


@contextlib.contextmanager
def parked_scenario(python, scenario="threads_abort", runner=DEFAULT_RUNNER, timeout=60):
    """Yields (process, truth). Raises truthcheck.Mismatch if the scenario
    exits or records no truth within `timeout` seconds."""
    with tempfile.TemporaryDirectory(prefix="pyautopsy-live-") as work:
        truth_path = os.path.join(work, "truth.json")
        env = dict(os.environ, PYAUTOPSY_TRUTH=truth_path)
        path = os.path.join(ROOT, "corefiles", "scenarios", scenario + ".py")
        proc = subprocess.Popen([python, runner, path], cwd=work, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + timeout
            while not os.path.exists(truth_path):
                if proc.poll() is not None:
                    raise truthcheck.Mismatch("scenario exited %d: %s" % (
                        proc.returncode, proc.stderr.read().decode(errors="replace")))
                if time.monotonic() > deadline:
                    raise truthcheck.Mismatch("scenario wrote no truth in %d s" % timeout)
                time.sleep(0.05)
            # The committing thread has written its truth; let it reach the parking call.
            time.sleep(0.3)
            yield proc, truthcheck.load_truth(truth_path)
        finally:
            # Children first: once the parent is gone they are no longer listed.
            for child in child_pids(proc.pid):
                try:
                    os.kill(child, signal.SIGKILL)
                except OSError:
                    pass
            proc.kill()
            proc.wait()


def check_core_and_live(interpreter, python, pyautopsy, cache, scenario, compare, what):
    """Runs `compare(truth, report)` on the scenario's core (from the cache
    corefiles/generate fills) and on the scenario kept alive; prints one
    "ok"/"FAIL" line each, `what` describing compare's return value.
    Returns the number of failures."""
    def core():
        directory = os.path.join(cache, "cores", interpreter, scenario)
        cores = sorted(glob.glob(os.path.join(directory, "core.*")))
        if not cores:
            raise truthcheck.Mismatch("no %s core under %s (run corefiles/generate)" % (scenario, directory))
        truth = truthcheck.load_truth(os.path.join(directory, "truth.json"))
        code, report, err = truthcheck.run_pyautopsy(pyautopsy, ["core", cores[0]])
        if code != 0:
            raise truthcheck.Mismatch("pyautopsy core exited %d: %s" % (code, err.strip()))
        return compare(truth, report)

    def live():
        with parked_scenario(python, scenario) as (proc, truth):
            code, report, err = truthcheck.run_pyautopsy(pyautopsy, ["pid", str(proc.pid)])
            if code != 0:
                raise truthcheck.Mismatch("pyautopsy pid exited %d: %s" % (code, err.strip()))
            return compare(truth, report)

    failures = 0
    for mode, check in (("core", core), ("live", live)):
        try:
            print("ok   %s/%s %s: %d %s" % (interpreter, scenario, mode, check(), what))
        except truthcheck.Mismatch as e:
            failures += 1
            print("FAIL %s/%s %s: %s" % (interpreter, scenario, mode, e))
    return failures
