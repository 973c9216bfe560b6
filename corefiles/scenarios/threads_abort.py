# -*- coding: utf-8 -*-
"""Many threads parked in different kinds of Python code, then os.abort().

The baseline every reader must get exactly right: each thread's name, daemon
flag and full stack (nested functions, a method, a closure, a generator body,
a coroutine run by an event loop, a non-ASCII thread and function name, and
a 300-frame recursion), and the main thread's line of the abort() call.
"""

import asyncio
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _truth  # noqa: E402

truth = _truth.Truth("threads_abort")
RECURSION_DEPTH = 300


def nested_outer():
    nested_middle()


def nested_middle():
    nested_inner()


def nested_inner():
    lock = _truth.held_lock()
    truth.arrive()
    lock.acquire()


class Server(object):
    def serve(self):
        self._loop()

    def _loop(self):
        lock = _truth.held_lock()
        truth.arrive()
        lock.acquire()


def make_closure(tag):
    lock = _truth.held_lock()

    def closure_body():
        truth.facts["closure_tag"] = tag
        truth.arrive()
        lock.acquire()
    return closure_body


def numbers():
    yield 1
    lock = _truth.held_lock()
    truth.arrive()
    lock.acquire()
    yield 2


def consume_generator():
    total = 0
    for n in numbers():
        total += n
    return total


async def coroutine_inner():
    lock = _truth.held_lock()
    truth.arrive()
    lock.acquire()


async def coroutine_outer():
    await asyncio.sleep(0)
    await coroutine_inner()


def run_event_loop():
    asyncio.run(coroutine_outer())


def função_ñ():
    lock = _truth.held_lock()
    truth.arrive()
    lock.acquire()


def recurse(depth):
    if depth > 1:
        return recurse(depth - 1)
    lock = _truth.held_lock()
    truth.arrive()
    lock.acquire()


THREADS = [
    # (name, target, args, daemon)
    ("nested", nested_outer, (), True),
    ("method", Server().serve, (), False),
    ("closure", make_closure("κλειστό"), (), True),
    ("generator", consume_generator, (), False),
    ("event-loop", run_event_loop, (), True),
    ("café-线程", função_ñ, (), False),
    ("recursion", recurse, (RECURSION_DEPTH,), True),
]


def main():
    started = []
    for name, target, args, daemon in THREADS:
        t = threading.Thread(target=target, args=args, name=name)
        t.daemon = daemon
        t.start()
        started.append(t)
    truth.expect_arrivals(len(started))
    truth.wait_parked()
    truth.facts["recursion_depth"] = RECURSION_DEPTH
    truth.facts["recursive_function"] = "recurse"
    truth.facts["thread_names"] = [t.name for t in started]
    # The empty tuple and str are singletons: their address, and their
    # ob_refcnt (sys.getrefcount counts its argument too; on immortal objects
    # it returns the immortal value itself).
    immortal = sys.version_info >= (3, 12)
    truth.facts["empty_tuple"] = {"id": id(()), "refcount": sys.getrefcount(()) - (0 if immortal else 1)}
    truth.facts["empty_str"] = {"id": id(""), "refcount": sys.getrefcount("") - (0 if immortal else 1)}
    truth.commit()
    os.abort()


if __name__ == "__main__":
    main()
