"""The per-test watchdog: when a test outlives --autopsy-timeout, snapshot
the process (and its children), then end the test.

Runs in the process that runs the test: the pytest process itself, or an
xdist worker. It asks pyautopsy to read this very process from outside
(pyautopsy stops it for a few milliseconds, this watchdog thread included,
and lets it go). Then:
- under xdist, the report goes to a file the controller reads, the worker's
  children are killed and the worker exits: xdist reports the test as
  crashed, replaces the worker, and the session goes on (the plugin on the
  controller puts the report into that failure);
- without xdist, the main thread is interrupted with a signal whose handler
  fails the test with the report (as pytest-timeout's signal method does).
  A main thread stuck in C code that never returns to Python cannot be
  interrupted: after a grace period the report is printed and the process
  exits (as pytest-timeout's thread method does).
"""
import os
import signal
import sys
import threading

import pytest

from pyautopsy_pytest import cli, processes

# Failing the test from the main thread: a real-time signal nothing else uses.
FAIL_SIGNAL = signal.SIGRTMIN + 2
GRACE = 10.0  # seconds for an interrupted test to end before the process is ended


class Watchdog:
    def __init__(self, pyautopsy, timeout, tree, on_worker_hang=None):
        self._pyautopsy = pyautopsy
        self._timeout = timeout
        self._tree = tree
        self._on_worker_hang = on_worker_hang  # xdist: write the report, end the worker
        self._done = None
        self._pending_report = None
        if on_worker_hang is None:
            signal.signal(FAIL_SIGNAL, self._fail_in_main_thread)

    def start(self, nodeid):
        done = threading.Event()
        self._done = done
        thread = threading.Thread(target=self._watch, args=(nodeid, done), name="pyautopsy-watchdog", daemon=True)
        thread.start()

    def stop(self):
        if self._done is not None:
            self._done.set()
            self._done = None

    def _watch(self, nodeid, done):
        if done.wait(self._timeout):
            return
        report = self.snapshot(nodeid)
        if done.is_set():
            return  # finished while it was being read: not a hang after all
        if self._on_worker_hang is not None:
            self._on_worker_hang(nodeid, report)
            return
        self._pending_report = report
        signal.pthread_kill(threading.main_thread().ident, FAIL_SIGNAL)
        if not done.wait(GRACE):
            sys.__stderr__.write("\n%s\npyautopsy: %s did not return to Python within %.0f s of being "
                                 "interrupted; ending the test session\n" % (report, nodeid, GRACE))
            sys.__stderr__.flush()
            processes.kill_descendants(os.getpid())
            os._exit(1)

    def snapshot(self, nodeid):
        pid = os.getpid()
        args = ["pid", str(pid)] + (["--tree"] if self._tree else [])
        processes.allow_any_tracer(True)
        try:
            status, text = cli.run(self._pyautopsy, args)
        finally:
            processes.allow_any_tracer(False)
        what = "process %d and its children" % pid if self._tree else "process %d" % pid
        header = "pyautopsy: %s was still running after %g s (--autopsy-timeout); a snapshot of %s:" % (
            nodeid, self._timeout, what)
        if status not in (0, 1):
            header += " (pyautopsy exited with %s)" % status
        return header + "\n\n" + text.rstrip() + "\n"

    def _fail_in_main_thread(self, signum, frame):
        report, self._pending_report = self._pending_report, None
        if report is not None:
            pytest.fail(report, pytrace=False)
