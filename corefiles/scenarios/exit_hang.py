# -*- coding: utf-8 -*-
"""The program finishes, but the process never exits: at exit the main
thread waits in threading._shutdown() for non-daemon threads that never end.

Models the CI job that prints its last test result and then hangs until the
job's timeout kills it: a worker thread someone forgot to make a daemon, or
to send its stop signal. Here one non-daemon worker waits on a queue for a
sentinel nobody sends, another reads a pipe nobody writes; a daemon thread
idles beside them, as thread pools' helpers do, and must not be blamed. An
atexit callback is registered and never runs: the hang comes first, the
kill (the job's timeout) second.

The main thread blocks inside threading's own code after the module ends,
so a watcher thread commits the truth once main is seen blocked there.
Cored by SIGABRT (a CI timeout), or kept alive for live tests.
"""
# corefile-capture: abort

import os
import queue
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _truth  # noqa: E402

truth = _truth.Truth("exit_hang")
jobs = queue.Queue()
pipe_r, pipe_w = os.pipe()


def consume():
    while True:
        job = jobs.get()
        if job is None:
            return


def read_commands():
    truth.arrive()
    os.read(pipe_r, 1)


def idle():
    truth.arrive()
    _truth.held_lock().acquire()


def save_results():
    pass


def main():
    consumer = threading.Thread(target=consume, name="consumer")
    reader = threading.Thread(target=read_commands, name="command-reader")
    idler = threading.Thread(target=idle, name="idler", daemon=True)
    for t in (consumer, reader, idler):
        t.start()
    truth.expect_arrivals(2)
    truth.wait_parked()
    truth.wait_blocked(consumer.ident, ("wait",))
    truth.register_atexit(save_results)
    truth.facts["hung_threads"] = {
        consumer.name: {"ident": consumer.ident, "function": "consume"},
        reader.name: {"ident": reader.ident, "function": "read_commands"},
    }
    truth.facts["daemon_threads"] = [idler.name]
    truth.facts["hangs_forever"] = True
    truth.commit_when_blocked(threading.get_ident(),
                              ("_shutdown", "_wait_for_tstate_lock", "join"))
    # The program ends here; Python then waits for consumer and reader.


if __name__ == "__main__":
    main()
