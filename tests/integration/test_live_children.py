#!/usr/bin/env python3
"""A live process's child processes, and the diagnosis of a parent hung on one.

Starts corefiles/scenarios/hung_child.py under one interpreter: the parent
starts a non-daemon multiprocessing child that blocks forever and returns,
so at exit multiprocessing's atexit handler joins the child and the parent
hangs in Popen.poll (os.waitpid). Once the scenario has recorded its truth
(child pid and name), `pyautopsy pid PARENT --json` (stopping the process,
then --nonblocking) must report:
  children   the child, listed by the kernel, alive (not a zombie), its
             command line, and its multiprocessing.Process: the recorded name,
             daemon False, no exit code
  diagnosis  dangling-children first, naming the child's pid and its
             multiprocessing name
Both processes are killed afterwards.
"""

import argparse
import sys

from pyautopsy_testing import Mismatch, scenario_runs


def check(truth, report):
    facts = truth["facts"]
    pid, name = facts["child_pid"], facts["child_name"]
    children = report["children"]
    if not children["kernel_listed"]:
        raise Mismatch("the kernel's list of children was not read")
    listed = [c for c in children["processes"] if c["pid"] == pid]
    if not listed:
        raise Mismatch("child %d not in children: %s" % (pid, [c["pid"] for c in children["processes"]]))
    child = listed[0]
    if not child["listed_by_kernel"] or child["state"] in (None, "Z", "X"):
        raise Mismatch("child %d: listed %r, state %r" % (pid, child["listed_by_kernel"], child["state"]))
    if not child["command"]:
        raise Mismatch("child %d has no command line" % pid)
    mp = child["multiprocessing"]
    if not mp or mp["name"] != name or mp["daemon"] is not facts["child_daemon"] or mp["exitcode"] is not None:
        raise Mismatch("child %d: multiprocessing %r, expected name %r, daemon %r, no exit code"
                       % (pid, mp, name, facts["child_daemon"]))

    diags = report["diagnoses"]
    if not diags or diags[0]["id"] != "dangling-children":
        raise Mismatch("first finding %r, expected dangling-children" % (diags[0]["id"] if diags else None))
    named = [e for e in diags[0]["evidence"] if e["kind"] == "child" and e.get("value") == str(pid)]
    if not named or name not in named[0]["text"]:
        raise Mismatch("no evidence names child %d %r: %s" % (pid, name, diags[0]["evidence"]))
    if str(pid) not in diags[0]["summary"] or name not in diags[0]["summary"]:
        raise Mismatch("summary does not name the child: %s" % diags[0]["summary"])
    return "child %d %r (state %s)" % (pid, name, child["state"])


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("interpreter")
    parser.add_argument("--python", required=True)
    parser.add_argument("--pyautopsy", required=True)
    args = parser.parse_args()

    failures = scenario_runs.run_live(args.interpreter, "hung_child", args.pyautopsy, args.python,
                                      [([], check), (["--nonblocking"], check)])
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
