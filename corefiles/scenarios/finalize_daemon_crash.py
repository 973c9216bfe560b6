# -*- coding: utf-8 -*-
"""A crash during interpreter finalization, with daemon threads running.

Models the crashes at Python exit with dangling threads of CPython's notes
on unstable tests, and the finalization half of coverage.py's 'deallocating
None' at exit (docs/field-reports.md §2, §1): the main thread has finished,
daemon threads are still running Python code, and an object's __del__,
run by the final garbage collection of Py_FinalizeEx, kills the process.

The __del__ records what it sees (sys.is_finalizing(), whether a GC pass is
running, which threads the interpreter still lists) and aborts on the line
after its commit.  Automatic collection is made improbable (a huge
threshold), so the cycle holding the object survives until the collection
that finalization runs, when sys.is_finalizing() is already true.
"""
# corefile-capture: kernel

import gc
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _truth  # noqa: E402

truth = _truth.Truth("finalize_daemon_crash")
DAEMONS = ("daemon-spinner-1", "daemon-spinner-2")
GC_PHASE = ["idle"]


def spin():
    n = 0
    while True:
        n = (n + sum(range(40))) % 1009
        time.sleep(0.0005)


def gc_callback(phase, info):
    GC_PHASE[0] = "running" if phase == "start" else "idle"


class ExitBomb(object):
    """Lives in an unreachable cycle until the final collection."""

    def __init__(self):
        self.cycle = self

    def __del__(self, _abort=os.abort, _truth=truth, _phase=GC_PHASE,
                _sys=sys, _threading=threading):
        _truth.facts["is_finalizing_in_del"] = _sys.is_finalizing()
        _truth.facts["gc_phase_in_del"] = _phase[0]
        _truth.facts["threads_listed_in_del"] = [
            t.name for t in _threading.enumerate()]
        _truth.facts["frames_listed_in_del"] = len(_sys._current_frames())
        _truth.commit()
        _abort()


def main():
    gc.set_threshold(10 ** 6, 10 ** 6, 10 ** 6)
    gc.collect()
    gc.callbacks.append(gc_callback)
    idents = {}
    for name in DAEMONS:
        t = threading.Thread(target=spin, name=name)
        t.daemon = True
        t.start()
        idents[name] = t.ident
    truth.facts["daemon_threads"] = list(DAEMONS)
    truth.facts["daemon_idents"] = idents
    truth.facts["expected"] = "os.abort() from ExitBomb.__del__ during the " \
                              "final collection of Py_FinalizeEx"
    ExitBomb()


if __name__ == "__main__":
    main()
