#!/usr/bin/env python3
"""Which thread holds which lock, and which lock each thread waits for, as
pyautopsy reads them (JSON locks[], threads[].locks_held/waiting_for_lock)
from the deadlock scenario, against what the scenario recorded about itself
(truth.json facts.locks: for lock_a and lock_b, the holder's and the
waiter's name and ident).

For one interpreter: from its deadlock core, and from the scenario run live
under it (tests/integration/parked.py) when --python is given. Every lock of
facts.locks must be found under its global name (scope "global", module
__main__), recorded as locked, held through a with-block by exactly the
recorded holder (in the frame that opened the block) and waited for through
acquire() by exactly the recorded waiter (in its innermost frame). The
truth-watcher thread parks on a lock it took with a plain acquire(): it must
wait for a lock that no thread is said to hold, since none can be known.
Every check prints one line, "ok" or "FAIL".
"""

import argparse
import glob
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import parked  # noqa: E402
import truthcheck  # noqa: E402

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


def from_core(cache, interpreter, binary):
    c = Checker("%s core" % interpreter)
    directory = os.path.join(cache, "cores", interpreter, "deadlock")
    cores = sorted(glob.glob(os.path.join(directory, "core.*")))
    truth_path = os.path.join(directory, "truth.json")
    if not cores or not os.path.exists(truth_path):
        c.check("deadlock core", False, "no core or truth in %s (run corefiles/generate)" % directory)
        return c
    code, report, stderr = truthcheck.run_pyautopsy(binary, ["core", cores[0]])
    if code != 0:
        c.check("read the core", False, "pyautopsy exited %d: %s" % (code, stderr.strip()))
        return c
    check_report(c, truthcheck.load_truth(truth_path), report)
    return c


def live(interpreter, python, binary):
    c = Checker("%s live" % interpreter)
    try:
        with parked.parked_scenario(python, "deadlock") as (proc, truth):
            code, report, stderr = truthcheck.run_pyautopsy(binary, ["pid", str(proc.pid)])
            if code != 0:
                c.check("read the process", False, "pyautopsy exited %d: %s" % (code, stderr.strip()))
            else:
                check_report(c, truth, report)
    except truthcheck.Mismatch as e:
        c.check("run the scenario", False, str(e))
    return c


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("interpreter")
    parser.add_argument("--pyautopsy", required=True)
    parser.add_argument("--python", help="the interpreter's executable: also check a live process")
    parser.add_argument("--cache", default=os.environ.get("PYAUTOPSY_CACHE", os.path.expanduser("~/.cache/pyautopsy")))
    args = parser.parse_args()

    checkers = [from_core(args.cache, args.interpreter, args.pyautopsy)]
    if args.python:
        checkers.append(live(args.interpreter, args.python, args.pyautopsy))
    failures = sum(c.failures for c in checkers)
    print("%s: %d checks passed, %d failed" % (args.interpreter, sum(c.passed for c in checkers), failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
