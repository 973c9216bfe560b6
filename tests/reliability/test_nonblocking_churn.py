#!/usr/bin/env python3
"""A target that never holds still, read without stopping it, 1,000 times.

The target creates and ends threads all the time, and its lists, dicts,
strings, bytes and frames (recursion that grows and unwinds) change
constantly. `pyautopsy pid --nonblocking --json --locals` reads it while it
runs: every read must end by itself, exit 0, and print one valid JSON
report. Values read half-way through a change are marked or replaced in
that report; none may end it (docs/reliability.md).
"""
import argparse
import json
import os
import subprocess
import sys
import time

from pyautopsy_testing import checks

SCRIPT = """
import random, sys, threading, time
sys.setrecursionlimit(5000)
shared = {"items": [], "text": "", "blob": b""}
def churn_containers(rng):
    while True:
        items = shared["items"]
        items.append(rng.random())
        if len(items) > 500:
            del items[: rng.randrange(1, 500)]
        key = "k%d" % rng.randrange(2000)
        shared[key] = [key] * rng.randrange(8)
        if len(shared) > 1000:
            for k in list(shared)[3:600]:
                shared.pop(k, None)
        shared["text"] = "\\u00e9\\u65e5" * rng.randrange(100) + str(rng.random())
        shared["blob"] = bytes(rng.randrange(256) for _ in range(rng.randrange(64)))
def recurse(depth, rng):
    local_list = [depth] * 3
    local_dict = {"d": depth, "s": "x" * depth}
    if depth < rng.randrange(1, 300):
        return recurse(depth + 1, rng) + len(local_list) + len(local_dict)
    return depth
def churn_frames(rng):
    while True:
        recurse(0, rng)
def short_lived(n):
    sum(range(n))
    time.sleep(0.001)
def churn_threads(rng):
    while True:
        workers = [threading.Thread(target=short_lived, args=(rng.randrange(1000),), name="w%d" % i)
                   for i in range(rng.randrange(1, 6))]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
for target in (churn_containers, churn_frames, churn_threads):
    threading.Thread(target=target, args=(random.Random(),), daemon=True).start()
sys.stdout.write("ready\\n"); sys.stdout.flush()
while True:
    time.sleep(1)
"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("interpreter")
    parser.add_argument("--python", required=True)
    parser.add_argument("--pyautopsy", required=True)
    parser.add_argument("--reads", type=int, default=1000)
    args = parser.parse_args()
    target = subprocess.Popen([args.python, "-c", SCRIPT], stdout=subprocess.PIPE)
    if target.stdout.readline().strip() != b"ready":
        print("FAIL the target did not start")
        return 1

    def reads():
        started = time.monotonic()
        marked = 0
        for i in range(args.reads):
            try:
                proc = subprocess.run([args.pyautopsy, "pid", str(target.pid), "--nonblocking", "--json", "--locals"],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
            except subprocess.TimeoutExpired:
                raise checks.Mismatch("read %d did not end within 60 s" % i)
            if proc.returncode != 0:
                raise checks.Mismatch("read %d: exit %d: %s" % (i, proc.returncode,
                                                                proc.stderr.decode(errors="replace")[-300:]))
            try:
                report = json.loads(proc.stdout)
            except ValueError as e:
                raise checks.Mismatch("read %d: not one JSON document: %s" % (i, e))
            if not isinstance(report, dict) or not isinstance(report.get("threads"), list):
                raise checks.Mismatch("read %d: a report without threads: %s" % (i, proc.stdout[:200]))
            marked += "\ufffd" in proc.stdout.decode()
        took = time.monotonic() - started
        return "%d reads, every one exit 0 with a valid report (%d with replaced bytes), %.1f s" % (
            args.reads, marked, took)

    try:
        failures = checks.run("%s %d --nonblocking reads of a churning target" % (args.interpreter, args.reads), reads)
    finally:
        target.kill()
        target.wait()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
