# -*- coding: utf-8 -*-
"""Two threads take two locks in opposite orders and hang; main joins them.

Models CPython's hung, racy test runs (docs/field-reports.md §2):
nothing crashes, the process just never ends.  The generator takes a core
with gdb's gcore once the truth is written, then kills the process; tests
can also run this scenario themselves and attach to it live (wait for the
truth file, then read the process).

The truth names which thread holds which lock and which lock it waits for.
The main thread blocks in Thread.join(), inside threading's own code, so a
watcher thread commits the truth once main is seen blocked there.
"""
# corefile-capture: abort

import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _truth  # noqa: E402

truth = _truth.Truth("deadlock")
lock_a = threading.Lock()
lock_b = threading.Lock()
a_holds = threading.Event()
b_holds = threading.Event()


def transfer_a_to_b():
    with lock_a:
        a_holds.set()
        b_holds.wait()
        truth.arrive()
        lock_b.acquire()


def transfer_b_to_a():
    with lock_b:
        b_holds.set()
        a_holds.wait()
        truth.arrive()
        lock_a.acquire()


def main():
    ta = threading.Thread(target=transfer_a_to_b, name="worker-A")
    tb = threading.Thread(target=transfer_b_to_a, name="worker-B")
    ta.start()
    tb.start()
    truth.expect_arrivals(2)
    truth.wait_parked()
    truth.facts["locks"] = {
        "lock_a": {"held_by": ta.name, "held_by_ident": ta.ident,
                   "wanted_by": tb.name, "wanted_by_ident": tb.ident},
        "lock_b": {"held_by": tb.name, "held_by_ident": tb.ident,
                   "wanted_by": ta.name, "wanted_by_ident": ta.ident},
    }
    truth.facts["joining"] = ta.name
    truth.facts["hangs_forever"] = True
    truth.commit_when_blocked(threading.get_ident(),
                              ("_wait_for_tstate_lock", "join"))
    ta.join()
    tb.join()


if __name__ == "__main__":
    main()
