#!/usr/bin/env python3
"""The LLDB plugin reads every thread of a core as the process recorded it.

For one interpreter of the test bed: load the threads_abort core into the real
LLDB (`target create PYTHON --core CORE`), `plugin load` libpyautopsy_lldb.so
and check
  - `pyautopsy report --json`: every thread and frame against truth.json, and
    every thread equal to what the CLI reports for the same core;
  - `py-bt --all`: the text of every thread's stack against truth.json;
  - `py-bt`, `py-up`, `py-list`, `py-down` on the selected (crashed) thread.
"""

import argparse
import os
import sys
import time

from pyautopsy_testing import Mismatch, checks, cli, cores, lldb_runner, truthcheck

SCENARIO = "threads_abort"
THREAD_KEYS = ("thread_id", "native_id", "name", "daemon", "main", "holds_gil", "crashed", "frames")


def check_same_as_cli(report, cli_report):
    if report["python"]["version"] != cli_report["python"]["version"]:
        raise Mismatch("Python %s, CLI says %s" % (report["python"]["version"], cli_report["python"]["version"]))
    mine = {t["thread_id"]: {k: t.get(k) for k in THREAD_KEYS} for t in report["threads"]}
    theirs = {t["thread_id"]: {k: t.get(k) for k in THREAD_KEYS} for t in cli_report["threads"]}
    if mine.keys() != theirs.keys():
        raise Mismatch("threads %s, CLI has %s" % (sorted(mine), sorted(theirs)))
    for ident, thread in mine.items():
        for key in THREAD_KEYS:
            if thread[key] != theirs[ident][key]:
                raise Mismatch("thread %#x: %s differs from the CLI's" % (ident, key))


def check_navigation(truth, outputs):
    stack = truth["stacks"][str(truth["committing_thread"])]
    selected = lldb_runner.parse_backtrace(outputs["py-bt"])
    if list(selected) != [truth["committing_thread"]]:
        raise Mismatch("py-bt showed threads %s, expected the crashed one" % [hex(t) for t in selected])
    truthcheck.compare_frames(stack, selected[truth["committing_thread"]], check_qualname=False)
    caller = stack[1]
    up = outputs["py-up"]
    if not up.startswith("#1 ") or 'in %s' % caller["function"] not in up:
        raise Mismatch("py-up printed %r, expected frame #1 %s" % (up, caller["function"]))
    marker = ">%6d  " % caller["line"]
    if marker not in outputs["py-list"]:
        raise Mismatch("py-list does not mark line %d: %r" % (caller["line"], outputs["py-list"]))
    if not outputs["py-down"].startswith("#0 ") or "in %s" % stack[0]["function"] not in outputs["py-down"]:
        raise Mismatch("py-down printed %r" % outputs["py-down"])


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("interpreter")
    parser.add_argument("--python", required=True)
    parser.add_argument("--lldb", required=True)
    parser.add_argument("--plugin", required=True)
    parser.add_argument("--pyautopsy", required=True)
    parser.add_argument("--cache", default=cores.default_cache())
    args = parser.parse_args()

    label = "%s/%s" % (args.interpreter, SCENARIO)
    try:
        core, truth = cores.core_and_truth(args.cache, args.interpreter, SCENARIO)
        commands = ["target create %s --core %s" % (args.python, core), "pyautopsy report --json", "py-bt --all",
                    "py-bt", "py-up", "py-list", "py-down"]
        started = time.monotonic()
        outputs = lldb_runner.run_lldb(args.lldb, args.plugin, commands)
        seconds = time.monotonic() - started
        report = lldb_runner.parse_json(outputs["pyautopsy report --json"])
        threads = truthcheck.compare_report(truth, report)
        lldb_runner.compare_backtrace(truth, outputs["py-bt --all"])
        check_same_as_cli(report, cli.report_of(args.pyautopsy, ["core", core]))
        check_navigation(truth, outputs)
    except Mismatch as e:
        checks.fail(label, e)
        return 1
    checks.ok(label, "%d threads match in lldb (%.1f s, %s)" % (threads, seconds, os.path.basename(core)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
