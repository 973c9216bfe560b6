# -*- coding: utf-8 -*-
"""A parent joining multiprocessing children that never end: a hung tree.

Models hung CI runs whose test process waits for workers that will never
finish, until the job's own timeout kills everything without a word
(docs/field-reports.md §2, §3).  The parent starts two children:

* "deadlocked" (fork start method): two threads take two locks in opposite
  orders, and its main thread joins one of them;
* "sleeper" (spawn start method): its main thread sleeps for an hour.

then joins the deadlocked one first, so it blocks in Process.join()
(Popen.wait -> os.waitpid) for a child that cannot end.  With spawn,
multiprocessing also starts its resource tracker, a third child that records
no truth.

Live only (no core: `generate` skips it): tests run it directly and read the
tree with `pyautopsy pid --tree` or under `pyautopsy run --hang-timeout`.
Every process records its own truth: the parent truth.json (committed by a
watcher once main is seen blocked in Popen.poll), each child
truth.<pid>.json; the parent commits only after both children have, so its
truth appearing means the whole tree has settled.  Kill the process group
(or the tree) to end it.
"""
# corefile-capture: live

import multiprocessing
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _truth  # noqa: E402

SCENARIO = "hung_tree"
truth = _truth.Truth(SCENARIO)


def deadlocked_main():
    t = _truth.Truth(SCENARIO, role="child")
    lock_a = threading.Lock()
    lock_b = threading.Lock()
    a_holds = threading.Event()
    b_holds = threading.Event()

    def transfer_a_to_b():
        with lock_a:
            a_holds.set()
            b_holds.wait()
            t.arrive()
            lock_b.acquire()

    def transfer_b_to_a():
        with lock_b:
            b_holds.set()
            a_holds.wait()
            t.arrive()
            lock_a.acquire()

    ta = threading.Thread(target=transfer_a_to_b, name="worker-A")
    tb = threading.Thread(target=transfer_b_to_a, name="worker-B")
    ta.start()
    tb.start()
    t.expect_arrivals(2)
    t.wait_parked()
    t.facts["kind"] = "deadlocked"
    t.facts["locks"] = {"lock_a": {"held_by": ta.name, "wanted_by": tb.name},
                        "lock_b": {"held_by": tb.name, "wanted_by": ta.name}}
    t.commit_when_blocked(threading.get_ident(), ("_wait_for_tstate_lock", "join"))
    ta.join()


def sleeper_main():
    t = _truth.Truth(SCENARIO, role="child")
    t.facts["kind"] = "sleeper"
    t.commit()
    time.sleep(3600)


def child_truth_path(pid):
    stem = truth.path[:-5] if truth.path.endswith(".json") else truth.path
    return "%s.%d.json" % (stem, pid)


def main():
    deadlocked = multiprocessing.get_context("fork").Process(target=deadlocked_main, name="deadlocked")
    deadlocked.start()
    sleeper = multiprocessing.get_context("spawn").Process(target=sleeper_main, name="sleeper")
    sleeper.start()
    deadline = time.monotonic() + 60
    for child in (deadlocked, sleeper):
        while not os.path.exists(child_truth_path(child.pid)):
            if time.monotonic() > deadline:
                raise RuntimeError("child %s never wrote its truth" % child.name)
            time.sleep(0.01)
    truth.facts["children"] = {
        "deadlocked": {"pid": deadlocked.pid, "name": deadlocked.name, "start_method": "fork"},
        "sleeper": {"pid": sleeper.pid, "name": sleeper.name, "start_method": "spawn"},
    }
    truth.facts["joining"] = deadlocked.pid
    truth.facts["hangs_forever"] = True
    truth.commit_when_blocked(threading.get_ident(), ("poll",))
    deadlocked.join()
    sleeper.join()


if __name__ == "__main__":
    main()
