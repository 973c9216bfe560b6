"""What the kernel says about a target's threads, for tests that must prove
pyautopsy let it go: each thread's state letter and tracer, read from
/proc/PID/task/TID/status, and the polling every such test needs."""

import os
import time


def thread_states(pid):
    """{tid: (state letter, tracer pid)} of every thread; {} once the process is gone."""
    out = {}
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return out
    for tid in tids:
        try:
            with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
                fields = dict(line.split(":", 1) for line in f if ":" in line)
            out[int(tid)] = (fields["State"].split()[0], int(fields["TracerPid"]))
        except (OSError, KeyError, ValueError):
            continue
    return out


def held(pid):
    """Some thread is stopped or traced."""
    return any(state in ("t", "T") or tracer != 0 for state, tracer in thread_states(pid).values())


def wait_until(predicate, timeout):
    """Polls `predicate` every 10 ms for `timeout` seconds; its last answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


def read_int(path):
    """The integer a heartbeat or pid file holds; 0 while it is missing or half-written."""
    try:
        with open(path) as f:
            return int(f.read() or 0)
    except (OSError, ValueError):
        return 0
