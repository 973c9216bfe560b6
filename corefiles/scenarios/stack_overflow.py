# -*- coding: utf-8 -*-
"""Unbounded recursion through C that overflows the C stack (SIGSEGV).

Models CPython's notes on unlimited recursion (docs/field-reports.md §2):
the recursion limit is raised far above what the C stack can hold, and the
recursion goes through a C slot (``self[i + 1]`` calls __getitem__ via
PyObject_GetItem), so every level costs C stack even on 3.11+, where pure
Python-to-Python calls do not.  It runs in a thread with a small stack so
that the overflow comes quickly and the core stays small.

Interpreters that protect the C stack stop this with RecursionError
instead; the truth then records that (applicable: false, with the depth
reached) and the recursing thread calls os.abort(), so there is still a core
with a deep stack in it.
"""
# corefile-capture: kernel

import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _truth  # noqa: E402

truth = _truth.Truth("stack_overflow")
STACK_SIZE = 512 * 1024
RECURSION_LIMIT = 10 ** 6
DEPTH = [0]


class Abyss(object):
    def __init__(self, depth):
        self.depth = depth

    def __repr__(self):
        DEPTH[0] = self.depth
        return repr(Abyss(self.depth + 1))


def recurse_until_overflow():
    truth.wait_parked()
    truth.facts["recursive_function"] = "__repr__"
    truth.facts["recursive_qualname"] = "Abyss.__repr__"
    truth.facts["thread_stack_size"] = STACK_SIZE
    truth.commit(delta=2, final=False)
    try:
        repr(Abyss(0))
    except RecursionError as exc:
        truth.not_applicable("the interpreter stopped the recursion with "
                             "RecursionError at depth %d: %s" % (DEPTH[0], exc))
        truth.update(outcome="RecursionError", depth=DEPTH[0],
                     message=str(exc))
        os.abort()


def main():
    sys.setrecursionlimit(RECURSION_LIMIT)
    threading.stack_size(STACK_SIZE)
    t = threading.Thread(target=recurse_until_overflow, name="recursor")
    t.start()
    done = _truth.held_lock()
    truth.arrive()
    done.acquire()


if __name__ == "__main__":
    main()
