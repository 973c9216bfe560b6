#!/usr/bin/env python3
"""`pyautopsy pid --tree` and `pyautopsy run --hang-timeout` on a real hung tree.

corefiles/scenarios/hung_tree.py under one interpreter: a parent joining a
fork child deadlocked on two locks between two threads, a spawn child
sleeping, and multiprocessing's resource tracker. Every process records its
own truth. Modes:

  tree     `pid PARENT --tree --json` and the text form, on the live tree;
           and a child blocked in Queue.get() while its parent joins it
           (the only writer of that queue's pipe): `pipe-wait-cycle`
  hang     `run --hang-timeout S -- python hung_tree.py` (the timeout fires),
           and the same with SIGTERM sent to pyautopsy before the timeout
  orphans  `run --hang-timeout 1` on a shell that leaves an orphan, a process
           in a session of its own, and a process stopped by SIGSTOP behind
           (no CPython): all of them ended, none left, exit 124

Each checks what a user reads: every process whose truth was recorded is in
the tree and analysed, every thread's Python stack equals the recorded one
(function, file, line), the deadlocked child's own `deadlock` finding, the
finding across processes that names the parent and that child, the
multiprocessing names; and afterwards: `pid --tree` left every process
running (none stopped: 't'/'T'), `run` left nothing at all (no process of the
tree, no zombie), exited 124 (timeout) or 128+15 (SIGTERM), and wrote JSON that
loads, JUnit XML that parses with a failing hang case, Markdown with the hang.
"""

import argparse
import ctypes
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

from pyautopsy_testing import ROOT, Mismatch, checks, environment, live
from pyautopsy_testing.truthcheck import compare_report

SCENARIO = os.path.join(ROOT, "corefiles", "scenarios", "hung_tree.py")
HANG_TIMEOUT = 6        # seconds: well past the tree's settling (about 1 s; debug builds 2 s)
SETTLE_TIMEOUT = 60


def check_tree_against_truths(tree, truths):
    """Every recorded process analysed with exactly its recorded stacks, the
    findings, the names. Returns what was checked."""
    by_pid = dict((p["pid"], p) for p in tree["processes"])
    parent = next(t for t in truths.values() if t["role"] == "main")
    children = parent["facts"]["children"]
    threads = 0
    for pid, truth in sorted(truths.items()):
        p = by_pid.get(pid)
        if p is None:
            raise Mismatch("process %d (%s) is not in the tree: %s" % (pid, truth["role"], sorted(by_pid)))
        if p["status"] != "analysed":
            raise Mismatch("process %d: %s (%s)" % (pid, p["status"], p["reason"]))
        if p["report"]["target"]["pid"] != pid:
            raise Mismatch("process %d: its report is about pid %r" % (pid, p["report"]["target"]["pid"]))
        try:
            threads += compare_report(truth, p["report"])
        except Mismatch as e:
            raise Mismatch("process %d (%s): %s" % (pid, truth["facts"].get("kind", truth["role"]), e))
    for kind, child in children.items():
        p = by_pid[child["pid"]]
        if p["multiprocessing_name"] != child["name"] or p["parent"] is None \
                or tree["processes"][p["parent"]]["pid"] != parent["pid"]:
            raise Mismatch("%s child %d: name %r, parent %r" % (kind, child["pid"], p["multiprocessing_name"], p["parent"]))
    deadlocked = by_pid[children["deadlocked"]["pid"]]
    ids = [d["id"] for d in deadlocked["report"]["diagnoses"]]
    if not ids or ids[0] != "deadlock":
        raise Mismatch("the deadlocked child's findings are %s, deadlock first expected" % ids)
    summary = deadlocked["report"]["diagnoses"][0]["summary"]
    if "worker-A" not in summary or "worker-B" not in summary:
        raise Mismatch("the deadlock finding does not name both workers: %s" % summary)
    waits = [f for f in tree["findings"] if f["id"] == "waits-on-hung-child"
             and f["pids"] == [parent["pid"], children["deadlocked"]["pid"]]]
    if not waits or waits[0]["severity"] != "error":
        raise Mismatch("no waits-on-hung-child error naming parent %d and child %d: %s"
                       % (parent["pid"], children["deadlocked"]["pid"], tree["findings"]))
    for f in tree["findings"]:
        if f["id"] == "pipe-wait-cycle":
            raise Mismatch("a pipe-wait-cycle where no process reads a pipe another blocks on: %s" % f["summary"])
    others = [p for p in tree["processes"] if p["pid"] not in truths]
    for p in others:   # the resource tracker (spawn): analysed, without a recorded truth
        if p["status"] not in ("analysed", "exited"):
            raise Mismatch("untruthed process %d %s: %s (%s)" % (p["pid"], p["command"], p["status"], p["reason"]))
    return "%d processes with truth (%d threads), %d more; deadlock in %d, parent waits on it" % (
        len(truths), threads, len(others), children["deadlocked"]["pid"])


# The classic queue hang: the child waits for an item the parent would put
# only after join() returns. Beside it, a child that is not CPython (sleep)
# and one that has exited but is not reaped (a zombie): listed, not analysed,
# and no reason for the tree to fail. Prints the three pids.
QUEUE_HANG = """
import multiprocessing, os, subprocess, sys, time
def child(q):
    q.get()
if __name__ == "__main__":
    q = multiprocessing.get_context("fork").Queue()
    p = multiprocessing.get_context("fork").Process(target=child, args=(q,), name="consumer")
    p.start()
    other = subprocess.Popen(["sleep", "600"])
    zombie = os.fork()
    if zombie == 0:
        os._exit(0)
    print(p.pid, other.pid, zombie, flush=True)
    p.join()
    q.put("too late")
"""


def run_queue_hang(interpreter, python, pyautopsy):
    where = "%s/queue hang pid --tree" % interpreter
    proc = subprocess.Popen([python, "-c", QUEUE_HANG], stdout=subprocess.PIPE, env=environment.for_target(),
                            preexec_fn=live._die_with_parent)
    try:
        child, other, zombie = [int(pid) for pid in proc.stdout.readline().split()]
        # Blocked: the child in read(2) on the queue's pipe, the parent in wait4(2);
        # and the forked zombie gone, or its copy of the pipe's write end would
        # still be open (so no cycle yet: seen on a loaded machine).
        deadline = time.monotonic() + 30
        while live.process_state(child) != "S" or live.process_state(proc.pid) != "S" \
                or live.process_state(zombie) != "Z" \
                or open("/proc/%d/syscall" % child).read().split()[0] != "0":
            if time.monotonic() > deadline:
                raise Mismatch("the child never blocked reading the queue")
            time.sleep(0.05)

        def check():
            tree = json.loads(subprocess.run([pyautopsy, "pid", str(proc.pid), "--tree", "--json"], check=True,
                                             capture_output=True, timeout=120, env=environment.for_target()).stdout)
            statuses = dict((p["pid"], p["status"]) for p in tree["processes"])
            if statuses.get(other) != "not-python" or statuses.get(zombie) != "exited":
                raise Mismatch("sleep %d is %r, zombie %d is %r" % (other, statuses.get(other), zombie,
                                                                   statuses.get(zombie)))
            if not any(str(zombie) in note for note in tree["notes"]):
                raise Mismatch("no note about the zombie %d: %s" % (zombie, tree["notes"]))
            cycles = [f for f in tree["findings"] if f["id"] == "pipe-wait-cycle"]
            if not cycles or cycles[0]["pids"] != [child, proc.pid] or cycles[0]["severity"] != "error":
                raise Mismatch("no pipe-wait-cycle naming child %d and parent %d: %s" % (child, proc.pid, tree["findings"]))
            by_pid = dict((p["pid"], p) for p in tree["processes"])
            if by_pid[child]["multiprocessing_name"] != "consumer":
                raise Mismatch("the child is named %r" % by_pid[child]["multiprocessing_name"])
            return cycles[0]["summary"]
        failures = checks.run(where, check)
        return failures + checks.run(where + ", afterwards", lambda: none_stopped([proc.pid, child, other]))
    except (Mismatch, ValueError, OSError) as e:
        checks.fail(where, e)
        return 1
    finally:
        live.kill_tree(proc)
        proc.stdout.close()


def none_stopped(pids):
    states = live.tree_states(pids)
    stopped = dict((pid, s) for pid, s in states.items() if s in ("t", "T"))
    if stopped:
        raise Mismatch("left stopped: %s" % stopped)
    if len(states) != len(pids):
        raise Mismatch("processes vanished: %s" % sorted(set(pids) - set(states)))
    return "%d processes all running (%s)" % (len(states), "".join(sorted(set(states.values()))))


def nothing_left(pids):
    left = live.tree_states(pids)
    if left:
        raise Mismatch("still there after run: %s" % left)
    return "none of %d processes is left (not even a zombie)" % len(pids)


def run_tree(interpreter, python, pyautopsy):
    where = "%s/hung_tree pid --tree" % interpreter
    failures = 0
    try:
        with live.scenario_tree(python, "hung_tree", SETTLE_TIMEOUT) as (proc, truths):
            pids = sorted(set(truths) | set(live.descendants(proc.pid)) | {proc.pid})
            out = subprocess.run([pyautopsy, "pid", str(proc.pid), "--tree", "--json"], capture_output=True,
                                 timeout=120, env=environment.for_target())
            tree = {}

            def parse():
                if out.returncode != 0:
                    raise Mismatch("exit %d: %s" % (out.returncode, out.stderr.decode(errors="replace")))
                tree.update(json.loads(out.stdout))
                if tree["kind"] != "tree" or tree["root"] != proc.pid:
                    raise Mismatch("kind %r root %r" % (tree["kind"], tree["root"]))
                return "%d processes, %.0f ms" % (len(tree["processes"]), tree["seconds"] * 1000)
            failures += checks.run(where + " --json", parse)
            if tree:
                failures += checks.run(where + " stacks and findings", lambda: check_tree_against_truths(tree, truths))
            failures += checks.run(where + ", afterwards", lambda: none_stopped(pids))
            text = subprocess.run([pyautopsy, "pid", str(proc.pid), "--tree"], capture_output=True, timeout=120,
                                  env=environment.for_target())

            def text_check():
                t = text.stdout.decode(errors="replace")
                if text.returncode != 0 or not t.startswith("Process tree of %d" % proc.pid):
                    raise Mismatch("exit %d, starts %r" % (text.returncode, t[:60]))
                for pid in truths:
                    if "=== process %d" % pid not in t:
                        raise Mismatch("no report of process %d" % pid)
                if "waits-on-hung-child" not in t.split("=== process")[0]:
                    raise Mismatch("the tree part does not show the finding across processes")
                return "tree first, then %d reports" % t.count("=== process")
            failures += checks.run(where + " (text)", text_check)
            failures += checks.run(where + " (text), afterwards", lambda: none_stopped(pids))
    except Mismatch as e:
        checks.fail(where, e)
        failures += 1
    return failures


def _terminate_with_test():
    # If the test is killed, pyautopsy gets SIGTERM: it ends the tree it watches.
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)


def run_hang(interpreter, python, pyautopsy, by_signal):
    label = "%s/hung_tree run --hang-timeout%s" % (interpreter, " + SIGTERM" if by_signal else "")
    failures = 0
    with tempfile.TemporaryDirectory(prefix="pyautopsy-hang-") as work:
        truth_path = os.path.join(work, "truth.json")
        out = dict((k, os.path.join(work, "report." + k)) for k in ("json", "md", "xml"))
        argv = [pyautopsy, "run", "--cores", os.path.join(work, "cores"),
                "--hang-timeout", str(300 if by_signal else HANG_TIMEOUT),
                "--json", out["json"], "--markdown", out["md"], "--junit", out["xml"], "--", python, SCENARIO]
        started = time.monotonic()
        proc = subprocess.Popen(argv, cwd=work, env=environment.for_target(PYAUTOPSY_TRUTH=truth_path),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=_terminate_with_test)
        try:
            live.wait_for_file(truth_path, proc, SETTLE_TIMEOUT, "pyautopsy run")
            settled = time.monotonic() - started
            pids = sorted(set(live.descendants(proc.pid)))
            if by_signal:
                time.sleep(0.3)
                proc.send_signal(signal.SIGTERM)
            stdout, stderr = proc.communicate(timeout=120)
        except (Mismatch, subprocess.TimeoutExpired) as e:
            live.kill_tree(proc)
            checks.fail(label, e)
            return 1
        truths = live.load_tree_truths(truth_path)
        pids = sorted(set(pids) | set(truths))
        want = 128 + signal.SIGTERM if by_signal else 124
        if not by_signal and settled > HANG_TIMEOUT - 1:
            checks.fail(label, "the tree took %.1f s to settle, too close to the %d s hang timeout" % (settled, HANG_TIMEOUT))
            return 1

        def status():
            if proc.returncode != want:
                raise Mismatch("exit %d, want %d; stderr: %s" % (proc.returncode, want, stderr.decode(errors="replace")))
            if b"HANG" not in stdout:
                raise Mismatch("stdout does not report the hang")
            return "exit %d" % want
        failures += checks.run(label + " exit status", status)
        failures += checks.run(label + ", afterwards", lambda: nothing_left(pids))
        doc = {}

        def load():
            doc.update(json.load(open(out["json"])))
            hang = doc["hang"]
            if hang["trigger"] != ("SIGTERM" if by_signal else "timeout") or hang["leftovers"]:
                raise Mismatch("trigger %r, leftovers %r" % (hang["trigger"], hang["leftovers"]))
            return "trigger %s after %.1f s, %d processes" % (hang["trigger"], hang["after_seconds"],
                                                              len(hang["tree"]["processes"]))
        failures += checks.run(label + " --json", load)
        if doc:
            failures += checks.run(label + " stacks and findings",
                                   lambda: check_tree_against_truths(doc["hang"]["tree"], truths))

        def junit():
            suite = ET.parse(out["xml"]).getroot().find("testsuite")
            hangs = [c for c in suite.findall("testcase") if c.get("classname") == "pyautopsy.hang"]
            deadlocks = [c for c in hangs if c.find("failure") is not None and c.find("failure").get("type") == "deadlock"]
            if not deadlocks or int(suite.get("failures")) < len(hangs):
                raise Mismatch("hang cases %s" % [c.get("name") for c in hangs])
            return "%d hang cases, %s" % (len(hangs), deadlocks[0].get("name"))
        failures += checks.run(label + " --junit", junit)

        def markdown():
            text = open(out["md"]).read()
            if "the command hung" not in text or "deadlock" not in text or "waits-on-hung-child" not in text:
                raise Mismatch("the Markdown does not show the hang: %r" % text[:200])
            return "%d bytes" % len(text)
        failures += checks.run(label + " --markdown", markdown)
    return failures


# Processes that escape a kill of the command's process group: an orphan of
# a subshell (re-parented), one in its own session (setsid), one stopped.
ESCAPERS = "(sleep 301 & echo $!); setsid sleep 302 & echo $!; sleep 303 & echo $!; kill -STOP $!; echo $$; exec sleep 304"


def run_orphans(pyautopsy):
    label = "run --hang-timeout: escaped processes"
    with tempfile.TemporaryDirectory(prefix="pyautopsy-orphans-") as work:
        proc = subprocess.run([pyautopsy, "run", "--cores", os.path.join(work, "cores"), "--hang-timeout", "1",
                               "--json", os.path.join(work, "r.json"), "--", "sh", "-c", ESCAPERS],
                              cwd=work, capture_output=True, timeout=120, preexec_fn=_terminate_with_test)
        pids = [int(w) for w in proc.stdout.split() if w.isdigit()][:4]

        def check():
            if proc.returncode != 124 or len(pids) != 4:
                raise Mismatch("exit %d, pids %s: %s" % (proc.returncode, pids, proc.stderr.decode(errors="replace")))
            tree = json.load(open(os.path.join(work, "r.json")))["hang"]["tree"]
            listed = set(p["pid"] for p in tree["processes"])
            if not set(pids) <= listed:
                raise Mismatch("not all in the snapshot's tree: %s, listed %s" % (pids, sorted(listed)))
            return nothing_left(pids)
        return checks.run(label, check)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", choices=("tree", "hang", "orphans"))
    parser.add_argument("interpreter", nargs="?")
    parser.add_argument("--python")
    parser.add_argument("--pyautopsy", required=True)
    args = parser.parse_args()
    pyautopsy = os.path.abspath(args.pyautopsy)
    if args.mode == "orphans":
        return 1 if run_orphans(pyautopsy) else 0
    if args.mode == "tree":
        failures = run_tree(args.interpreter, args.python, pyautopsy)
        failures += run_queue_hang(args.interpreter, args.python, pyautopsy)
    else:
        failures = run_hang(args.interpreter, args.python, pyautopsy, by_signal=False)
        failures += run_hang(args.interpreter, args.python, pyautopsy, by_signal=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
