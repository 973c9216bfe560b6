# -*- coding: utf-8 -*-
"""Pool workers with pending exit handlers, terminated with SIGTERM.

Models pytest-cov's and pgctl's lost worker coverage (docs/field-reports.md
§3, §4): a multiprocessing.Pool whose
workers registered a coverage-style "save data at exit" handler in their
initializer, then Pool.terminate() (what the context manager does) sends
SIGTERM, and the workers die with the handler never run: coverage lost.

SIGTERM leaves no core, so the generator takes gcore cores of every worker
(blocked in a task) and of the parent (blocked on the generator's go pipe),
then lets the parent terminate the pool.  Each worker writes its own
truth.<pid>.json; the parent's truth.json lists the workers, and after the
terminate records their exit codes and whether any handler ran.
"""
# corefile-capture: gcore

import atexit
import multiprocessing
import multiprocessing.util
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _truth  # noqa: E402

SCENARIO = "sigterm_pending_atexit"
WORKERS = 2
truth = _truth.Truth(SCENARIO)
worker_truth = [None]


def save_coverage_data():
    """Stands in for coverage's data save; leaves a marker if it ever runs."""
    with open("saved.%d" % os.getpid(), "w") as f:
        f.write("saved\n")


def init_worker():
    w = _truth.Truth(SCENARIO, role="worker")
    w.register_atexit(save_coverage_data)
    # pytest-cov's route: a multiprocessing finalizer, run by the worker's
    # orderly exit path (which SIGTERM also skips).
    multiprocessing.util.Finalize(None, save_coverage_data, exitpriority=16)
    w.facts["pending_finalizers"] = ["save_coverage_data"]
    w.facts["parent_pid"] = os.getppid()
    worker_truth[0] = w


def task(i):
    w = worker_truth[0]
    w.facts["task"] = i
    lock = _truth.held_lock()
    w.commit()
    lock.acquire()


def truth_path(pid):
    stem = truth.path[:-5] if truth.path.endswith(".json") else truth.path
    return "%s.%d.json" % (stem, pid)


def main():
    ctx = multiprocessing.get_context("fork")
    pool = ctx.Pool(WORKERS, initializer=init_worker)
    pending = [pool.apply_async(task, (i,)) for i in range(WORKERS)]
    workers = list(pool._pool)
    pids = [p.pid for p in workers]
    deadline = time.monotonic() + 30
    while not all(os.path.exists(truth_path(pid)) for pid in pids):
        if time.monotonic() > deadline:
            raise RuntimeError("workers never wrote their truth")
        time.sleep(0.01)
    truth.facts["worker_pids"] = pids
    truth.facts["core_pids"] = pids
    truth.facts["pending_atexit_in_workers"] = ["save_coverage_data"]
    truth.facts["start_method"] = "fork"
    truth.facts["tasks_pending"] = len(pending)
    go = _truth.go_fd()
    truth.commit()
    os.read(go, 1)
    pool.terminate()
    ran = dict((str(pid), os.path.exists("saved.%d" % pid)) for pid in pids)
    truth.update(worker_exitcodes=[p.exitcode for p in workers],
                 handlers_ran=ran)


if __name__ == "__main__":
    main()
