"""The hangs CI meets, diagnosed in live processes by `pyautopsy pid`.

Each scenario is started and kept alive (it hangs by itself), and read the
way a user would read a hung job: plain `pyautopsy pid PID` (no native
frames: the threads' system calls, GIL facts and the locks their frames
acquire are the evidence), and for the GIL case also with --native, which
proves the waiters. The findings are checked against the truth the
scenario recorded, with the same checks as its cores:
- exit_hang: exit-hang, an error naming both non-daemon threads where they
  are, the idle daemon thread not blamed, no deadlock;
- fork_held_lock: each forked child (read by its own pid; one made by
  multiprocessing, one by os.fork()) is fork-held-lock, an error naming the
  lock and the parent (the kernel records the fork: PF_FORKNOEXEC);
- import_deadlock: deadlock, an error naming the cycle through the module's
  import lock (the importer joins the thread that waits for it);
- gil_held_blocking: gil-held-blocking naming the holder and its sleep, an
  error with or without native frames (the waiters' drop request on the
  holder proves that threads wait; their native frames prove which);
- blocked_event_loop: blocked-event-loop naming the task that blocked and
  the task it starves, a warning (a live call may yet return);
- gevent_blocked_hub (where gevent is packaged): gevent-blocked-hub naming
  the greenlet that blocked, its call and the greenlets it starves, a warning.
"""

import argparse
import os
import sys

from pyautopsy_testing import Mismatch, checks, cli, live
from pyautopsy_testing.truthcheck import load_truth
from test_diagnoses import (check_blocked_event_loop, check_gevent_blocked_hub, check_gil_held_blocking,  # beside
                            expect_exit_hang, expect_first, expect_fork_held_lock,                   # this
                            expect_import_deadlock, no_errors)                                       # script


def no_contradiction(report, rule):
    if any(n["rule"] == rule for n in report.get("diagnoses_not_analysed", [])):
        raise Mismatch("a 'not analysed' line for %s beside its finding" % rule)


def check_exit_hang(truth, report):
    expect_exit_hang(report["diagnoses"], truth["facts"], True, "live")
    no_contradiction(report, "exit-hang")
    return report["diagnoses"][0]["summary"]


def child_facts(parent, child):
    """The facts a forked child recorded (truth.<pid>.json beside the parent's, in its working directory)."""
    return load_truth(os.path.join(os.readlink("/proc/%d/cwd" % parent), "truth.%d.json" % child))["facts"]


def check_fork_child(facts, report):
    expect_fork_held_lock(report["diagnoses"], facts, True, "child")
    return report["diagnoses"][0]["summary"] if report["diagnoses"] else "nothing claimed"


def check_gil(severity):
    def check(truth, report):
        check_gil_held_blocking(expect_first(report["diagnoses"], "gil-held-blocking"), truth["facts"], severity)
        return report["diagnoses"][0]["summary"]
    return check


def run_pid(pyautopsy, label, pid, args, check):
    return checks.run(label, lambda: check(cli.report_of(pyautopsy, ["pid", str(pid)] + args)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("interpreter")
    ap.add_argument("--python", required=True)
    ap.add_argument("--pyautopsy", required=True)
    args = ap.parse_args()
    failures = 0
    name = args.interpreter
    try:
        with live.parked_scenario(args.python, "exit_hang") as (proc, truth):
            failures += run_pid(args.pyautopsy, "%s/exit_hang pid" % name, proc.pid, [],
                                lambda report: check_exit_hang(truth, report))
        with live.parked_scenario(args.python, "fork_held_lock") as (proc, truth):
            for key in ("child_pid", "os_fork_child_pid"):
                child = truth["facts"][key]
                facts = dict(child_facts(proc.pid, child), parent_pid=proc.pid, parent_alive=True)
                failures += run_pid(args.pyautopsy, "%s/fork_held_lock pid (%s %d)" % (name, facts["fork_via"], child),
                                    child, [], lambda report, f=facts: check_fork_child(f, report))
            failures += run_pid(args.pyautopsy, "%s/fork_held_lock pid (parent)" % name, proc.pid, [],
                                lambda report: expect_fork_held_lock(report["diagnoses"], facts, True, "main")
                                or "no fork finding for the parent")
        with live.parked_scenario(args.python, "import_deadlock") as (proc, truth):
            failures += run_pid(args.pyautopsy, "%s/import_deadlock pid" % name, proc.pid, [],
                                lambda report: expect_import_deadlock(report["diagnoses"], truth["facts"], True, "live")
                                or no_contradiction(report, "deadlock") or report["diagnoses"][0]["summary"])
        with live.parked_scenario(args.python, "gil_held_blocking") as (proc, truth):
            for extra, severity in (([], "error"), (["--native"], "error")):
                failures += run_pid(args.pyautopsy, "%s/gil_held_blocking pid %s" % (name, " ".join(extra)),
                                    proc.pid, extra, lambda report, s=severity: check_gil(s)(truth, report))
                failures += checks.run("%s/gil_held_blocking afterwards" % name, lambda: live.ensure_running(proc))
        with live.parked_scenario(args.python, "blocked_event_loop") as (proc, truth):
            failures += run_pid(args.pyautopsy, "%s/blocked_event_loop pid" % name, proc.pid, [],
                                lambda report: check_blocked_event_loop(
                                    expect_first(report["diagnoses"], "blocked-event-loop"), truth["facts"], "warning")
                                or report["diagnoses"][0]["summary"])
        with live.parked_scenario(args.python, "gevent_blocked_hub") as (proc, truth):
            if truth["applicable"]:
                failures += run_pid(args.pyautopsy, "%s/gevent_blocked_hub pid" % name, proc.pid, [],
                                    lambda report: check_gevent_blocked_hub(
                                        expect_first(report["diagnoses"], "gevent-blocked-hub"), truth["facts"],
                                        "warning") or report["diagnoses"][0]["summary"])
            else:
                failures += run_pid(args.pyautopsy, "%s/gevent_blocked_hub pid (no gevent)" % name, proc.pid, [],
                                    lambda report: no_errors(report["diagnoses"]) or "no gevent, no finding")
    except Mismatch as e:
        checks.fail("%s live hangs" % name, e)
        failures += 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
