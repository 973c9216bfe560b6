# -*- coding: utf-8 -*-
"""A child made by fork() blocks forever on a lock that another thread of
its parent held at the moment of the fork.

fork() copies the whole memory of the parent, locks included, but only the
thread that called it: the lock a parent thread held in a with-block is
locked in the child, and the thread that would release it does not exist
there. Models the multiprocessing (fork start method) and os.fork() hangs
of threaded programs (CPython warns about fork() with threads since 3.12):
a module-level registry lock, here taken by a background refresher thread.

Two children: one started by multiprocessing's fork start method, one by
a plain os.fork(). Each commits its own truth (truth.<pid>.json) on the
line before the with-block that blocks it. The parent waits for them, lets
its refresher release the lock (the parent itself goes on fine), records
the children's pids for the generator to core, and joins the
multiprocessing child forever. Cored by SIGABRT (a CI timeout), parent and
children, or kept alive for live tests.
"""
# corefile-capture: abort

import multiprocessing
import os
import sys
import threading
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _truth  # noqa: E402

truth = _truth.Truth("fork_held_lock")
registry_lock = threading.Lock()
holding = threading.Event()
forked = threading.Event()


def refresh_registry():
    with registry_lock:
        holding.set()
        forked.wait()


def lookup(fork_via="multiprocessing"):
    child = _truth.Truth("fork_held_lock", role="child")
    child.facts["lock"] = "registry_lock"
    child.facts["parent_pid"] = os.getppid()
    child.facts["fork_via"] = fork_via
    # What the threading module kept of the parent: 3.8 to 3.13.0 keep the
    # forking thread's native id, 3.13.18 and 3.14+ update it after fork().
    child.facts["threading_keeps_parent_native_id"] = threading.main_thread().native_id != os.getpid()
    child.commit()
    with registry_lock:
        pass


def wait_for_truth(pid):
    path = "%s.%d.json" % (truth.path[:-5], pid)
    deadline = time.monotonic() + 30
    while not os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.01)


def main():
    # 3.12+ warn that fork() with threads may deadlock in the child: that
    # is this scenario's point, not noise for its stderr.
    warnings.simplefilter("ignore", DeprecationWarning)
    refresher = threading.Thread(target=refresh_registry, name="registry-refresher")
    refresher.start()
    holding.wait()
    process = multiprocessing.get_context("fork").Process(target=lookup, name="lookup-worker")
    process.start()
    # The same with a plain os.fork(), as code that forks by itself does.
    forked_pid = os.fork()
    if forked_pid == 0:
        lookup("os.fork")
        os._exit(0)
    forked.set()
    refresher.join()
    wait_for_truth(process.pid)
    wait_for_truth(forked_pid)
    time.sleep(0.2)     # the children committed; let them reach their with-blocks
    truth.facts["child_pid"] = process.pid
    truth.facts["child_name"] = process.name
    truth.facts["os_fork_child_pid"] = forked_pid
    truth.facts["core_pids"] = [process.pid, forked_pid]
    truth.facts["lock"] = "registry_lock"
    truth.facts["lock_held_by"] = refresher.name
    truth.facts["lock_held_by_native_id"] = refresher.native_id
    truth.facts["hangs_forever"] = True
    truth.commit()
    process.join()


if __name__ == "__main__":
    main()
