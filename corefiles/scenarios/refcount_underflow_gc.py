# -*- coding: utf-8 -*-
"""Use after free inside the garbage collector.

Like refcount_underflow, but the freed Victim sits in a reference cycle of
containers, and the crash comes from gc.collect() visiting it: the GC reads
the freed object's type to decide whether to traverse it.  This is the shape
of the crashes that end in collect() / visit_decref / subtract_refs in a
native backtrace (coverage.py's 'deallocating None' at exit showed one
inside collect(), docs/field-reports.md §1).

Run with PYTHONMALLOC=debug (the generator does), so the freed memory is
0xDD-filled and the GC faults on it every time.
"""
# corefile-capture: kernel
# corefile-env: PYTHONMALLOC=debug

import ctypes
import gc
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _truth  # noqa: E402

truth = _truth.Truth("refcount_underflow_gc")


class Victim(object):
    __slots__ = tuple("slot_%02d" % i for i in range(23))


class Node(object):
    def __init__(self, name):
        self.name = name
        self.edges = []


def build_cycle():
    a, b = Node("a"), Node("b")
    victim = Victim()
    a.edges.append(b)
    b.edges.append(a)
    a.edges.append(victim)
    return a


def main():
    decref = ctypes.pythonapi.Py_DecRef
    decref.argtypes = [ctypes.c_void_p]
    decref.restype = None
    gc.disable()           # only our explicit collect() walks the cycle
    root = build_cycle()
    address = id(root.edges[1])
    refs = sys.getrefcount(root.edges[1]) - 1
    truth.facts["victim_address"] = address
    truth.facts["victim_type"] = "Victim"
    truth.facts["victim_refcount"] = refs
    truth.facts["victim_holders"] = ["Node a .edges[1], in the cycle a <-> b"]
    truth.facts["decrefs"] = refs
    truth.facts["pymalloc"] = os.environ.get("PYTHONMALLOC")
    truth.facts["gc_disabled_until_collect"] = True
    truth.commit(delta=3)
    for _ in range(refs):
        decref(address)
    gc.collect()


if __name__ == "__main__":
    main()
