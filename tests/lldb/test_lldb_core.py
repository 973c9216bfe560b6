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
import glob
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
import lldbrun  # noqa: E402
import truthcheck  # noqa: E402

SCENARIO = "threads_abort"
THREAD_KEYS = ("thread_id", "native_id", "name", "daemon", "main", "holds_gil", "crashed", "frames")


def check_text_stacks(truth, threads, label):
    for info in truth["threads"]:
        if not info.get("stack_final"):
            continue
        got = threads.get(info["ident"])
        if got is None:
            raise truthcheck.Mismatch("%s: thread %s missing" % (label, info["name"]))
        try:
            truthcheck.compare_frames(truth["stacks"][str(info["ident"])], got, check_qualname=False)
        except truthcheck.Mismatch as e:
            raise truthcheck.Mismatch("%s: thread %s: %s" % (label, info["name"], e))


def check_same_as_cli(report, cli):
    if report["python"]["version"] != cli["python"]["version"]:
        raise truthcheck.Mismatch("Python %s, CLI says %s" % (report["python"]["version"], cli["python"]["version"]))
    mine = {t["thread_id"]: {k: t.get(k) for k in THREAD_KEYS} for t in report["threads"]}
    theirs = {t["thread_id"]: {k: t.get(k) for k in THREAD_KEYS} for t in cli["threads"]}
    if mine.keys() != theirs.keys():
        raise truthcheck.Mismatch("threads %s, CLI has %s" % (sorted(mine), sorted(theirs)))
    for ident, thread in mine.items():
        for key in THREAD_KEYS:
            if thread[key] != theirs[ident][key]:
                raise truthcheck.Mismatch("thread %#x: %s differs from the CLI's" % (ident, key))


def check_navigation(truth, outputs):
    stack = truth["stacks"][str(truth["committing_thread"])]
    selected = lldbrun.parse_backtrace(outputs["py-bt"])
    if list(selected) != [truth["committing_thread"]]:
        raise truthcheck.Mismatch("py-bt showed threads %s, expected the crashed one" % [hex(t) for t in selected])
    truthcheck.compare_frames(stack, selected[truth["committing_thread"]], check_qualname=False)
    caller = stack[1]
    up = outputs["py-up"]
    if not up.startswith("#1 ") or 'in %s' % caller["function"] not in up:
        raise truthcheck.Mismatch("py-up printed %r, expected frame #1 %s" % (up, caller["function"]))
    marker = ">%6d  " % caller["line"]
    if marker not in outputs["py-list"]:
        raise truthcheck.Mismatch("py-list does not mark line %d: %r" % (caller["line"], outputs["py-list"]))
    if not outputs["py-down"].startswith("#0 ") or "in %s" % stack[0]["function"] not in outputs["py-down"]:
        raise truthcheck.Mismatch("py-down printed %r" % outputs["py-down"])


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("interpreter")
    parser.add_argument("--python", required=True)
    parser.add_argument("--lldb", required=True)
    parser.add_argument("--plugin", required=True)
    parser.add_argument("--pyautopsy", required=True)
    parser.add_argument("--cache", default=os.path.expanduser("~/.cache/pyautopsy"))
    args = parser.parse_args()

    directory = os.path.join(args.cache, "cores", args.interpreter, SCENARIO)
    cores = sorted(glob.glob(os.path.join(directory, "core.*")))
    truth_path = os.path.join(directory, "truth.json")
    if not cores or not os.path.exists(truth_path):
        print("FAIL %s: no core or truth in %s (run corefiles/generate)" % (args.interpreter, directory))
        return 1
    truth = truthcheck.load_truth(truth_path)
    core = cores[0]
    commands = ["target create %s --core %s" % (args.python, core), "pyautopsy report --json", "py-bt --all",
                "py-bt", "py-up", "py-list", "py-down"]
    started = time.monotonic()
    try:
        outputs = lldbrun.run_lldb(args.lldb, args.plugin, commands)
        seconds = time.monotonic() - started
        report = lldbrun.parse_json(outputs["pyautopsy report --json"])
        threads = truthcheck.compare_report(truth, report)
        check_text_stacks(truth, lldbrun.parse_backtrace(outputs["py-bt --all"]), "py-bt --all")
        code, cli, stderr = truthcheck.run_pyautopsy(args.pyautopsy, ["core", core])
        if code != 0:
            raise truthcheck.Mismatch("the CLI exited %d: %s" % (code, stderr.strip()))
        check_same_as_cli(report, cli)
        check_navigation(truth, outputs)
    except (truthcheck.Mismatch, lldbrun.LldbError, subprocess.TimeoutExpired) as e:
        print("FAIL %s/%s: %s" % (args.interpreter, SCENARIO, e))
        return 1
    print("ok   %s/%s: %d threads match in lldb (%.1f s, %s)" % (args.interpreter, SCENARIO, threads, seconds,
                                                              os.path.basename(core)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
