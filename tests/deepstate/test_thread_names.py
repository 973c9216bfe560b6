#!/usr/bin/env python3
"""Thread names and daemon flags come from the target's threading module.

For one interpreter: the threads_abort scenario (daemon and non-daemon
threads, one named "café-线程") from its core and from a live run; every
thread's name, daemon flag and native id must equal what threading.enumerate()
recorded.

And the dealloc_none_at_exit core, a crash in module teardown: threading's
dicts are cleared by then (3.8-3.11), so worker threads still alive are
named from the Thread objects their own bootstrap frames run; no finding
may call an unnamed thread "thread thread 0x...".
"""

import sys

import deepcheck  # beside this script: Python puts a script's own directory on sys.path
from pyautopsy_testing import Mismatch, scenario_runs


def check(truth, report):
    return "%d thread names match" % deepcheck.compare_names(truth, report)


def check_teardown(truth, report):
    """Every worker thread the report still has is named as it was recorded."""
    recorded = dict((t["ident"], t) for t in truth["threads"] if t["name"] != "MainThread")
    alive = [t for t in report["threads"] if t.get("thread_id") in recorded and t.get("frames")]
    for t in alive:
        want = recorded[t["thread_id"]]
        if t.get("name") != want["name"] or t.get("daemon") != want["daemon"]:
            raise Mismatch("thread %#x: name %r daemon %r, expected %r daemon %r" % (
                t["thread_id"], t.get("name"), t.get("daemon"), want["name"], want["daemon"]))
    for d in report["diagnoses"]:
        for text in [d["summary"]] + [e["text"] for e in d["evidence"]]:
            if "thread thread" in text:
                raise Mismatch("%s: %s" % (d["id"], text))
    return "%d worker thread names match in teardown" % len(alive)


def main():
    args = deepcheck.parse_args(__doc__)
    failures = scenario_runs.run_core(args.interpreter, "threads_abort", args.pyautopsy, args.cache, [([], check)])
    failures += scenario_runs.run_core(args.interpreter, "dealloc_none_at_exit", args.pyautopsy, args.cache,
                                       [([], check_teardown)])
    failures += scenario_runs.run_live(args.interpreter, "threads_abort", args.pyautopsy, args.python,
                                       [([], check), (["--nonblocking"], check)])
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
