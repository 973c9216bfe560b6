#!/usr/bin/env python3
"""Which thread holds which lock, and which lock each thread waits for, as
pyautopsy reads them (JSON locks[], threads[].locks_held/waiting_for_lock)
from the deadlock scenario, against what the scenario recorded about itself
(truth.json facts.locks: for lock_a and lock_b, the holder's and the
waiter's name and ident).

For one interpreter: from its deadlock core, and from the scenario run live
under it (kept alive, parked) when --python is given. Every lock of
facts.locks must be found under its global name (scope "global", module
__main__), recorded as locked, held through a with-block by exactly the
recorded holder (in the frame that opened the block) and waited for through
acquire() by exactly the recorded waiter (in its innermost frame). The
truth-watcher thread parks on a lock it took with a plain acquire(): it must
wait for a lock that no thread is said to hold, since none can be known.
Every check prints one line, "ok" or "FAIL".
"""

import argparse
import sys

from pyautopsy_testing import Mismatch, cores, scenario_runs

# The function whose with-block holds each lock (corefiles/scenarios/deadlock.py).
WITH_FUNCTION = {"lock_a": "transfer_a_to_b", "lock_b": "transfer_b_to_a"}


class Checker(object):
    def __init__(self, label):
        self.label = label
        self.failures = 0
        self.passed = 0

    def check(self, what, ok, detail=""):
        if ok:
            self.passed += 1
            print("ok   %s: %s" % (self.label, what))
        else:
            self.failures += 1
            print("FAIL %s: %s: %s" % (self.label, what, detail))


def lock_named(report, name):
    for lock in report["locks"]:
        if any(n["name"] == name and n["scope"] == "global" and n["where"] == "__main__" for n in lock["names"]):
            return lock
    return None


def check_report(c, truth, report):
    threads = [t for t in report["threads"] if t.get("thread_id") is not None]
    for name, want in sorted(truth["facts"]["locks"].items()):
        lock = lock_named(report, name)
        c.check("%s found by its global name" % name, lock is not None,
                "locks: %s" % [[n["name"] for n in l["names"]] for l in report["locks"]])
        if lock is None:
            continue
        address = lock["address"]
        c.check("%s is a locked _thread.lock" % name, lock["type"] == "_thread.lock" and lock["locked"] is True,
                "type %r, locked %r" % (lock["type"], lock["locked"]))

        holds = [(t, h) for t in threads for h in t["locks_held"] if h["lock"] == address]
        holders = [(t["name"], t["thread_id"]) for t, _ in holds]
        c.check("%s held by %s" % (name, want["held_by"]), holders == [(want["held_by"], want["held_by_ident"])],
                "holders %s" % holders)
        for t, h in holds:
            frame = t["frames"][h["frame"]] if h["frame"] is not None else None
            c.check("%s held through a with-block in %s" % (name, WITH_FUNCTION[name]),
                    h["via"] == "with" and frame is not None and frame["function"] == WITH_FUNCTION[name],
                    "via %r, frame %r" % (h["via"], frame and frame["function"]))

        waits = [t for t in threads if t["waiting_for_lock"] and t["waiting_for_lock"]["lock"] == address]
        waiters = [(t["name"], t["thread_id"]) for t in waits]
        c.check("%s wanted by %s" % (name, want["wanted_by"]), waiters == [(want["wanted_by"], want["wanted_by_ident"])],
                "waiters %s" % waiters)
        for t in waits:
            w = t["waiting_for_lock"]
            innermost = next((i for i, f in enumerate(t["frames"]) if f["kind"] == "python"), None)
            c.check("%s waited for through acquire() in the innermost Python frame" % name,
                    w["via"] == "acquire" and w["frame"] == innermost, "via %r, frame %r" % (w["via"], w["frame"]))

    watcher = next((t for t in threads if t["thread_id"] == truth["committing_thread"]), None)
    wait = watcher and watcher["waiting_for_lock"]
    holders = [t["name"] for t in threads for h in t["locks_held"] if wait and h["lock"] == wait["lock"]]
    c.check("the truth-watcher waits for its plain-acquire()d lock, holder unknown", bool(wait) and not holders,
            "wait %r, holders %s" % (wait, holders))


def check_locks(label):
    """A check of one report: every lock check printed under `label`, a
    Mismatch if any failed."""
    def check(truth, report):
        c = Checker(label)
        check_report(c, truth, report)
        if c.failures:
            raise Mismatch("%d of %d lock checks failed" % (c.failures, c.failures + c.passed))
        return "%d lock checks passed" % c.passed
    return check


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("interpreter")
    parser.add_argument("--pyautopsy", required=True)
    parser.add_argument("--python", help="the interpreter's executable: also check a live process")
    parser.add_argument("--cache", default=cores.default_cache())
    args = parser.parse_args()

    failures = scenario_runs.run_core(args.interpreter, "deadlock", args.pyautopsy, args.cache,
                                      [([], check_locks("%s core" % args.interpreter))])
    if args.python:
        failures += scenario_runs.run_live(args.interpreter, "deadlock", args.pyautopsy, args.python,
                                           [([], check_locks("%s live" % args.interpreter))])
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
