# -*- coding: utf-8 -*-
"""Use after free: an object decref'ed once too many, then used.

Models the C-extension bug behind many crashes reported as "Fatal Python
error" or a bare SIGSEGV: code that gives back a reference it never owned.
A Victim held by a list and a dict (two real references) is decref'ed
twice more than the one reference the "extension" was entitled to drop, so
it is freed while both containers still point at it; the next attribute
read through the list dereferences freed memory.

Run with PYTHONMALLOC=debug (the generator does): freed memory is filled
with 0xDD, so ob_type is 0xDDDDDDDDDDDDDDDD and the read faults every time.
"""
# corefile-capture: kernel
# corefile-env: PYTHONMALLOC=debug

import ctypes
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _truth  # noqa: E402

truth = _truth.Truth("refcount_underflow")


class Victim(object):
    # Many slots give the instance an unusual size, so that no allocation
    # between the free and the use recycles its memory block.
    __slots__ = tuple("slot_%02d" % i for i in range(23))

    def __init__(self):
        for name in self.__slots__:
            setattr(self, name, 7)


def build():
    victim = Victim()
    return [victim], {"victim": victim}


def main():
    decref = ctypes.pythonapi.Py_DecRef
    decref.argtypes = [ctypes.c_void_p]
    decref.restype = None
    holder, index = build()
    address = id(holder[0])
    refs = sys.getrefcount(holder[0]) - 1     # minus getrefcount's argument
    truth.facts["victim_address"] = address
    truth.facts["victim_type"] = type(holder[0]).__name__
    truth.facts["victim_refcount"] = refs
    truth.facts["victim_holders"] = ["list holder[0]", "dict index['victim']"]
    truth.facts["decrefs"] = refs
    truth.facts["victim_basicsize"] = Victim.__basicsize__
    truth.facts["pymalloc"] = os.environ.get("PYTHONMALLOC")
    truth.commit(delta=3)
    for _ in range(refs):
        decref(address)
    return holder[0].slot_00


if __name__ == "__main__":
    main()
