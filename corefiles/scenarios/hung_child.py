# -*- coding: utf-8 -*-
"""A parent that never joins a child that hangs: the parent hangs at exit.

Models the dangling processes and reap_children() warnings of CPython's
notes on unstable tests, and pytest-cov's advice to join every
multiprocessing.Process (docs/field-reports.md §2, §3).  The parent starts a
(fork) multiprocessing.Process whose target blocks forever and simply returns;
at exit multiprocessing's own atexit handler joins the non-daemon child,
so the parent blocks in waitpid and the test run hangs.

The generator takes gcore cores of the parent and of the child, then kills
both.  The child writes truth.<pid>.json; the parent's truth.json is
committed by a watcher thread once the main thread is seen blocked in
multiprocessing's Popen.poll (os.waitpid) during exit.
"""
# corefile-capture: abort

import multiprocessing
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _truth  # noqa: E402

SCENARIO = "hung_child"
truth = _truth.Truth(SCENARIO)


def child_main():
    t = _truth.Truth(SCENARIO, role="child")
    t.facts["parent_pid"] = os.getppid()
    lock = _truth.held_lock()
    t.commit()
    lock.acquire()


def main():
    ctx = multiprocessing.get_context("fork")
    child = ctx.Process(target=child_main, name="hung-child")
    child.start()
    stem = truth.path[:-5] if truth.path.endswith(".json") else truth.path
    child_truth = "%s.%d.json" % (stem, child.pid)
    deadline = time.monotonic() + 30
    while not os.path.exists(child_truth):
        if time.monotonic() > deadline:
            raise RuntimeError("child never wrote its truth")
        time.sleep(0.01)
    truth.facts["child_pid"] = child.pid
    truth.facts["child_name"] = child.name
    truth.facts["child_daemon"] = child.daemon
    truth.facts["core_pids"] = [child.pid]
    truth.facts["hangs_forever"] = True
    truth.facts["expected"] = "main thread blocked at exit in " \
                              "multiprocessing.util._exit_function joining " \
                              "the child"
    truth.commit_when_blocked(threading.get_ident(), ("poll",))
    # Return without joining: multiprocessing's atexit handler will.


if __name__ == "__main__":
    main()
