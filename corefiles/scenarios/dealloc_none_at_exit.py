# -*- coding: utf-8 -*-
"""'Fatal Python error: deallocating None' at interpreter exit.

Models coverage.py's 'deallocating None' at exit (docs/field-reports.md §1):
a test run under a C tracer with threads alive dies at exit, in the GC during
module teardown, because C code gave back references to None it never owned.

Here a Python trace function is installed in every thread, daemon threads
keep running traced code, an atexit callback stands in for coverage's data
save, and ctypes' Py_DecRef takes None's refcount down to a small margin.
The objects freed while the interpreter finalizes take it the rest of the
way, so the fatal error fires during finalization, as in the report.

On 3.12+ None is immortal and Py_DecRef leaves it alone: the truth records
that (applicable: false) and the process ends with os.abort() so that the
rest of its state (tracer, threads, atexit) can still be read from a core.
"""
# corefile-capture: kernel

import ctypes
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _truth  # noqa: E402

truth = _truth.Truth("dealloc_none_at_exit")

# References left on None when the main thread finishes; finalization drops
# far more than this, so the count reaches zero there and not before.
MARGIN = 64
BUSY_THREADS = ("busy-tracer-1", "busy-tracer-2")


def tracer(frame, event, arg):
    return tracer


def busy():
    n = 0
    while True:
        n = sum(range(50)) + n % 7
        time.sleep(0.001)


def save_coverage_data():
    truth.update(atexit_ran=True)


def none_refcount():
    return sys.getrefcount(None)


def main():
    decref = ctypes.pythonapi.Py_DecRef
    decref.argtypes = [ctypes.c_void_p]
    decref.restype = None
    none_address = id(None)

    threading.settrace(tracer)
    sys.settrace(tracer)
    for name in BUSY_THREADS:
        t = threading.Thread(target=busy, name=name)
        t.daemon = True
        t.start()
    truth.register_atexit(save_coverage_data)
    truth.facts["busy_threads"] = list(BUSY_THREADS)
    truth.facts["tracer"] = tracer.__qualname__
    truth.facts["none_address"] = none_address

    before = none_refcount()
    probe = 1000
    for _ in range(probe):
        decref(none_address)
    after_probe = none_refcount()
    truth.facts["none_refcount_before"] = before
    truth.facts["none_refcount_after_probe"] = after_probe
    if after_probe == before:
        # 3.12+: Py_DecRef skips immortal objects.
        truth.facts["none_immortal"] = True
        truth.not_applicable("None is immortal on this interpreter: %d calls "
                             "of Py_DecRef(None) left its refcount at %d"
                             % (probe, after_probe))
        truth.commit()
        os.abort()
    truth.facts["none_immortal"] = False
    truth.facts["margin"] = MARGIN
    truth.facts["expected"] = "Fatal Python error: deallocating None, " \
                              "during finalization"
    truth.commit(delta=None)
    # Everything after the commit is allocation-free with respect to None's
    # count: the loop and ctypes calls hold no lasting references to it.
    for _ in range(none_refcount() - MARGIN):
        decref(none_address)


if __name__ == "__main__":
    main()
