# -*- coding: utf-8 -*-
"""A thread blocks in a C call that never released the GIL, and every other
thread waits for the GIL forever.

ctypes.PyDLL (like ctypes.pythonapi) calls C functions with the GIL held,
as C extensions do that forget Py_BEGIN_ALLOW_THREADS around a blocking
call. Here a "device-poller" thread calls libc's sleep() through PyDLL;
the main thread and a "ticker" thread, busy in Python, then wait for the
GIL. The poller commits the truth on the line before its call, so the core
is taken half a second later: by then the waiters, after a switch interval
in vain, have asked the poller to drop the GIL, as in any hang a CI timeout
ends. Cored by SIGABRT (a CI timeout), or kept alive for live tests.
"""
# corefile-capture: abort
# corefile-settle: 0.5

import ctypes
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _truth  # noqa: E402

truth = _truth.Truth("gil_held_blocking")
libc = ctypes.PyDLL(None)      # PyDLL: calls keep the GIL


def spin():
    truth.arrive()
    while True: pass  # noqa: E701 -- one line, so the frame's line stays put


def poll_device():
    truth.expect_arrivals(2)
    truth.wait_parked()
    truth.facts["holder"] = threading.current_thread().name
    truth.facts["holder_ident"] = threading.get_ident()
    truth.facts["blocking_call"] = "sleep"
    truth.facts["waiters"] = ["MainThread", "ticker"]
    truth.facts["hangs_forever"] = True
    truth.commit()
    libc.sleep(1000000)


def main():
    threading.Thread(target=spin, name="ticker", daemon=True).start()
    threading.Thread(target=poll_device, name="device-poller", daemon=True).start()
    spin()


if __name__ == "__main__":
    main()
