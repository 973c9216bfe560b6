# -*- coding: utf-8 -*-
"""Greenlets in three threads, gevent's hub blocked by a thread wait, then
os.abort() from inside a greenlet.

A hung gevent or eventlet server shows one OS thread in the hub's loop; the
code that matters sits in suspended greenlets, on no thread's stack. Here:
- the main thread's main greenlet switched into a worker greenlet that
  aborts; beside them a greenlet suspended two calls deep, one whose parent
  is that greenlet, one never started and one finished;
- a second thread runs plain greenlets and parks its main greenlet;
- a third thread (where gevent is installed) spawned three gevent greenlets,
  sleeping, waiting on an Event and named, and then blocks its main greenlet
  in a threading lock: the hub cannot run, every gevent greenlet starves.
The aborting greenlet records every greenlet's state, parent and Python
stack (gr_frame, innermost first) after the other threads have parked.
greenlet comes from Debian's packages: python3-greenlet for /usr/bin/python3.11
(used by the pyenv 3.11 build too: same ABI) and sid's for 3.14 and 3.15.
"""

import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _packaged  # noqa: E402
import _truth  # noqa: E402

truth = _truth.Truth("greenlets")

greenlet = _packaged.import_packaged("greenlet")
gevent = _packaged.import_packaged("gevent", "event") if greenlet is not None else None

current_of = {}     # thread ident -> the greenlet running on it when it parked
everyone = {}       # label -> greenlet
thread_of = {}      # label -> thread ident


def remember(label, g):
    everyone[label] = g
    thread_of[label] = threading.get_ident()
    return g


def deeper(tag):
    greenlet.getcurrent().parent.switch(tag)


def suspended_worker(tag):
    deeper(tag)


def child_of_worker():
    everyone["main"].switch()


def finished():
    return 42


def never_run():
    pass


def park_main_greenlet():
    current_of[threading.get_ident()] = greenlet.getcurrent()
    lock = threading.Lock()
    lock.acquire()
    truth.arrive()
    lock.acquire()


def side_worker():
    greenlet.getcurrent().parent.switch()


def side_thread():
    remember("side-main", greenlet.getcurrent())
    side = remember("side-worker", greenlet.greenlet(side_worker))
    side.switch()
    park_main_greenlet()


def gevent_sleeper():
    gevent.sleep(3600)


def gevent_event_waiter(event):
    event.wait()


def gevent_thread():
    hub = remember("hub", gevent.get_hub())
    remember("gevent-main", greenlet.getcurrent())
    event = gevent.event.Event()
    remember("gevent-sleeper", gevent.spawn(gevent_sleeper))
    waiter = remember("gevent-waiter", gevent.spawn(gevent_event_waiter, event))
    waiter.name = "event-waiter"
    gevent.sleep(0)     # the hub starts its loop and runs both until they wait
    gevent.sleep(0)
    assert hub.gr_frame is not None
    park_main_greenlet()


def record(label, g):
    """What a reader of the process must show of greenlet `g`."""
    ident = thread_of[label]
    if g is current_of.get(ident):
        state = "running"
    elif g.dead:
        state = "dead"
    elif not g:
        state = "not started"
    else:
        state = "suspended"
    parent = g.parent
    return {
        "label": label,
        "address": id(g),
        "thread_ident": ident,
        "type": type(g).__name__,
        "state": state,
        "main": parent is None,
        "parent": None if parent is None else id(parent),
        "name": g.__dict__.get("name") if hasattr(g, "__dict__") else None,
        "hub": label == "hub",
        "frames": _truth._frame_list(g.gr_frame) if state == "suspended" else [],
    }


def runner():
    current_of[threading.get_ident()] = greenlet.getcurrent()
    truth.expect_arrivals(len(threads))
    truth.wait_parked()
    truth.facts["greenlet_version"] = greenlet.__version__
    truth.facts["gevent"] = gevent.__version__ if gevent is not None else None
    truth.facts["greenlets"] = [record(label, g) for label, g in sorted(everyone.items())]
    truth.commit()
    os.abort()


threads = []


def main():
    if greenlet is None:
        truth.not_applicable("greenlet is not packaged for this interpreter")
        truth.commit()
        os.abort()
    remember("main", greenlet.getcurrent())
    threads.append(threading.Thread(target=side_thread, name="side-greenlets", daemon=True))
    if gevent is not None:
        threads.append(threading.Thread(target=gevent_thread, name="gevent-hub", daemon=True))
    for thread in threads:
        thread.start()
    worker = remember("worker", greenlet.greenlet(suspended_worker))
    worker.switch("w")
    remember("worker-child", greenlet.greenlet(child_of_worker, parent=worker)).switch()
    remember("not-started", greenlet.greenlet(never_run))
    done = remember("finished", greenlet.greenlet(finished))
    done.switch()
    aborting = remember("runner", greenlet.greenlet(runner))
    aborting.switch()


if __name__ == "__main__":
    main()
