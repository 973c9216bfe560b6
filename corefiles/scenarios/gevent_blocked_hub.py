# -*- coding: utf-8 -*-
"""A gevent greenlet makes a blocking call and its hub stops: every other
greenlet of the hub starves.

A gevent server "hangs" while its process sleeps: a handler called a
function gevent does not know (here time.sleep() without monkey-patching, as
a C database driver or an unpatched socket would block) instead of a
cooperative one, so the hub never gets back to its loop. Two greenlets wait
on the hub (a sleeper and one waiting for an Event) and never run again.
The blocking greenlet commits the truth on the line before its call. Cored
by SIGABRT (a CI timeout), or kept alive for live tests. Where Debian
packages no gevent for the interpreter, the process just hangs.
"""
# corefile-capture: abort

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _packaged  # noqa: E402
import _truth  # noqa: E402

truth = _truth.Truth("gevent_blocked_hub")

gevent = _packaged.import_packaged("gevent", "event")


def heartbeat():
    while True:
        gevent.sleep(0.01)


def waits_for_event(event):
    event.wait()


def handle_request():
    gevent.sleep(0.05)      # let the others settle into their waits
    truth.facts["blocked_greenlet"] = "handler"
    truth.facts["starved_greenlets"] = ["heartbeat", "event-waiter"]
    truth.facts["blocking_call"] = "sleep"
    truth.commit()
    time.sleep(1000000)


def main():
    if gevent is None:
        truth.not_applicable("gevent is not packaged for this interpreter")
        truth.commit()
        time.sleep(1000000)
    beat = gevent.spawn(heartbeat)
    beat.name = "heartbeat"
    waiter = gevent.spawn(waits_for_event, gevent.event.Event())
    waiter.name = "event-waiter"
    handler = gevent.spawn(handle_request)
    handler.name = "handler"
    gevent.joinall([beat, waiter, handler])


if __name__ == "__main__":
    main()
