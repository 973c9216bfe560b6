#!/usr/bin/env python3
"""The diagnosis of each scenario core of one interpreter, checked against
what the scenario recorded about itself (truth.json, meta.json).

For every scenario the first finding must have the right id and evidence a
user would check (the object is None, the freed victim's address, the daemon
threads' names, the recursive function and the recursion limit, the two
deadlocked workers and, for each lock, its holder and its waiter, the
pending coverage save, the hung child's pid and multiprocessing name); where
the failure cannot happen on this interpreter (meta.json "applicable": false)
the family must not be reported, and the plain abort gives no error at all.
Prints one line per core: scenario, interpreter, first finding.

usage: test_diagnoses.py INTERPRETER --pyautopsy PATH [--cache DIR] [--table FILE]
"""
import argparse
import glob
import json
import os
import re
import sys

from pyautopsy_testing import Mismatch, cli, cores


def diagnose(pyautopsy, core):
    """The findings for one core; a damaged core (exit 1) still has some."""
    _, report, stderr = cli.run_pyautopsy(pyautopsy, ["core", core, "--native", "--locals"], timeout=300,
                                          report_codes=(0, 1))
    if report is None:
        raise Mismatch("pyautopsy failed on %s: %s" % (core, stderr.strip()))
    return report["diagnoses"]


def evidence_text(finding):
    return " ".join(e["text"] for e in finding["evidence"])


def expect_first(diags, ident):
    if not diags or diags[0]["id"] != ident:
        raise Mismatch("first finding is %r, expected %r" % (diags[0]["id"] if diags else None, ident))
    if not diags[0]["evidence"]:
        raise Mismatch("finding without evidence")
    return diags[0]


def no_errors(diags):
    errors = [d["id"] for d in diags if d["severity"] == "error"]
    if errors:
        raise Mismatch("unexpected error-level findings: %s" % errors)


# One piece of evidence per lock: 'lock_a (_thread.lock at 0x...) is held by
# "worker-A" (in a with-block of f (file:line)) and wanted by "worker-B" (at g (file:line))'.
LOCK_EVIDENCE = re.compile(r'^(?P<lock>\w+) \(_thread\.lock at 0x[0-9a-f]+\) is held by "(?P<holder>[^"]+)" '
                           r'\(in a with-block of .+\) and wanted by "(?P<waiter>[^"]+)" \(at [^"]+\)$')


def check_deadlock_locks(finding, locks):
    """Each lock of facts.locks has its evidence naming exactly the recorded
    holder (with its thread id) and waiter, and the summary names the cycle."""
    for name, want in sorted(locks.items()):
        found = [e for e in finding["evidence"] if e["kind"] == "lock" and e.get("value") == name]
        if len(found) != 1:
            raise Mismatch("%d pieces of evidence for %s, expected 1" % (len(found), name))
        e = found[0]
        m = LOCK_EVIDENCE.match(e["text"])
        if not m or m.group("lock") != name:
            raise Mismatch("evidence for %s does not name one holder and one waiter: %s" % (name, e["text"]))
        if (m.group("holder"), m.group("waiter")) != (want["held_by"], want["wanted_by"]):
            raise Mismatch("%s: held by %s and wanted by %s, expected %s and %s" % (
                name, m.group("holder"), m.group("waiter"), want["held_by"], want["wanted_by"]))
        if e.get("thread_id") != want["held_by_ident"]:
            raise Mismatch("%s: evidence thread %r, expected the holder %#x" % (name, e.get("thread_id"),
                                                                              want["held_by_ident"]))
        link = '%s, held by "%s"' % (name, want["held_by"])
        if link not in finding["summary"]:
            raise Mismatch("summary does not say %s: %s" % (link, finding["summary"]))


# What each scenario's core must be diagnosed as, one function per scenario.
# Each gets the findings, the facts the process recorded, whether the failure
# can happen on this interpreter (meta.json "applicable") and the role of the
# process that dumped the core ("main", or e.g. a pool's "worker").

def expect_no_errors(diags, facts, applicable, role):
    no_errors(diags)


def expect_dealloc_none(diags, facts, applicable, role):
    if applicable:
        f = expect_first(diags, "refcount-underflow")
        if "None" not in f["summary"] or "None's reference count" not in evidence_text(f):
            raise Mismatch("the finding does not name None: %s" % f["summary"])
    else:
        for d in diags:
            if d["id"] == "refcount-underflow" or "deallocating None" in d["summary"] + evidence_text(d):
                raise Mismatch("claims a None underflow on an immortal-None interpreter")
        no_errors(diags)


def expect_refcount_underflow(diags, facts, applicable, role):
    f = expect_first(diags, "refcount-underflow")
    if facts["victim_address"] not in [e.get("address") for e in f["evidence"]]:
        raise Mismatch("victim %#x not in the evidence" % facts["victim_address"])
    if not any(e.get("value") == "holder" for e in f["evidence"]):
        raise Mismatch("the local 'holder' that still refers to it is not named")


def expect_refcount_underflow_gc(diags, facts, applicable, role):
    ids = [d["id"] for d in diags]
    if not ids or ids[0] not in ("refcount-underflow", "fatal-error", "crash-in-gc") or "crash-in-gc" not in ids:
        raise Mismatch("expected a refcount/GC crash first and crash-in-gc, got %s" % ids)
    # The freed victim itself (or its GC header), named by the first
    # finding and as the object the collector was traversing.
    victim = facts["victim_address"]
    for d in (diags[0], next(d for d in diags if d["id"] == "crash-in-gc")):
        if not any(e.get("address") and abs(e["address"] - victim) <= 32 for e in d["evidence"]):
            raise Mismatch("%s does not name the victim %#x" % (d["id"], victim))


def expect_finalization_race(diags, facts, applicable, role):
    f = expect_first(diags, "finalization-race")
    names = [e.get("value") for e in f["evidence"] if e["kind"] == "thread"]
    if not any(n in facts["daemon_threads"] for n in names):
        raise Mismatch("no daemon thread named; threads in evidence: %s" % names)


def expect_stack_overflow(diags, facts, applicable, role):
    if applicable:
        f = expect_first(diags, "stack-overflow")
        if "__repr__" not in f["summary"]:
            raise Mismatch("recursive function not named: %s" % f["summary"])
        limits = [e.get("value") for e in f["evidence"] if "recursion limit" in e["text"]]
        # Every version: the thread state's limit (3.11+), else the
        # interpreter's (3.9, 3.10) or the runtime's (3.8).
        if limits != [str(facts["recursion_limit"])]:
            raise Mismatch("recursion limit %s, expected %s" % (limits, facts["recursion_limit"]))
    else:
        if any(d["id"] == "stack-overflow" for d in diags):
            raise Mismatch("stack-overflow reported where the interpreter raised RecursionError")


def expect_deadlock(diags, facts, applicable, role):
    f = expect_first(diags, "deadlock")
    text = evidence_text(f)
    for name in ("worker-A", "worker-B"):
        if name not in text:
            raise Mismatch("%s not named in the deadlock" % name)
    check_deadlock_locks(f, facts["locks"])


def expect_killed_pending_atexit(diags, facts, applicable, role):
    # Only the pool's workers were killed; the parent's core has nothing to say.
    if role == "worker":
        f = expect_first(diags, "killed-pending-atexit")
        if "save_coverage_data" not in evidence_text(f):
            raise Mismatch("the pending coverage save is not named")


def expect_dangling_children(diags, facts, applicable, role):
    # The parent hangs joining its child; the child's own core is not checked.
    if role == "main":
        f = expect_first(diags, "dangling-children")
        # From the core's memory: multiprocessing.process._children.
        named = [e for e in f["evidence"] if e["kind"] == "child" and e.get("value") == str(facts["child_pid"])]
        if not named or '"%s"' % facts["child_name"] not in named[0]["text"]:
            raise Mismatch("the child %d %r is not named: %s" % (facts["child_pid"], facts["child_name"],
                                                               evidence_text(f)))


def thread_evidence(finding, ident):
    return [e for e in finding["evidence"] if e.get("thread_id") == ident]


def expect_exit_hang(diags, facts, applicable, role):
    """The two non-daemon threads named, each where it is; the idle daemon
    thread not blamed; no deadlock claimed; in the core (killed by SIGABRT,
    as a CI timeout does; role "live" for a live process) the atexit callback
    the kill skipped reported after the hang, not before it."""
    f = expect_first(diags, "exit-hang")
    if f["severity"] != "error":
        raise Mismatch("exit-hang is %s, expected error (both threads are blocked)" % f["severity"])
    for name, want in sorted(facts["hung_threads"].items()):
        named = [e for e in thread_evidence(f, want["ident"]) if "non-daemon thread" in e["text"]]
        if not named or '"%s"' % name not in named[0]["text"] or want["function"] not in named[0]["text"]:
            raise Mismatch("%s is not named with %s: %s" % (name, want["function"], evidence_text(f)))
    for daemon in facts["daemon_threads"]:
        if any('non-daemon thread "%s"' % daemon in e["text"] for e in f["evidence"]):
            raise Mismatch("the idle daemon thread %s is blamed" % daemon)
    if any(d["id"] == "deadlock" for d in diags):
        raise Mismatch("a deadlock is claimed for threads that only wait at exit")
    killed = [d for d in diags if d["id"] == "killed-pending-atexit"]
    if role != "live" and (not killed or "save_results" not in evidence_text(killed[0])):
        raise Mismatch("the atexit callback save_results, skipped by the kill, is not reported")


def expect_fork_held_lock(diags, facts, applicable, role):
    """The child waits for the lock its parent's thread held at the fork;
    the parent, which goes on fine, is not said to be a fork child."""
    if role != "child":
        if any(d["id"] in ("fork-held-lock", "deadlock") for d in diags):
            raise Mismatch("the parent is diagnosed with %s" % [d["id"] for d in diags])
        return
    f = expect_first(diags, "fork-held-lock")
    if f["severity"] != "error":
        raise Mismatch("fork-held-lock is %s, expected error (the waiter is the child's only thread)" % f["severity"])
    if not any(e["kind"] == "lock" and e.get("value") == facts["lock"] for e in f["evidence"]):
        raise Mismatch("the lock %s is not named: %s" % (facts["lock"], evidence_text(f)))
    # The kernel marks every fork() child that has not exec'd (PF_FORKNOEXEC).
    fork = [e for e in f["evidence"] if e["kind"] == "process"]
    if not fork or "PF_FORKNOEXEC" not in fork[0]["text"]:
        raise Mismatch("the kernel's record of the fork is not given: %s" % evidence_text(f))
    # The parent's pid, or (a plain os.fork() child whose parent is gone, as
    # in the core: the kernel's ppid is no longer it) the native id of the
    # parent's thread that forked, its main thread, whose TID is its pid --
    # where threading kept it (3.8 to 3.13.0). 3.13.18 and 3.14+ keep no
    # record of the parent in the child: only a live parent is named.
    parent_gone = not facts.get("parent_alive") and facts.get("fork_via") == "os.fork"
    if not (parent_gone and not facts["threading_keeps_parent_native_id"]) and not any(
            (e["kind"] == "process" and e.get("value") == str(facts["parent_pid"])) or
            (e["kind"] == "thread" and e.get("native_id") == facts["parent_pid"]) for e in f["evidence"]):
        raise Mismatch("the parent %d is not named: %s" % (facts["parent_pid"], evidence_text(f)))
    if "lookup (" not in f["summary"] and "lookup" not in evidence_text(f):
        raise Mismatch("where the child waits (lookup) is not named: %s" % f["summary"])


def expect_import_deadlock(diags, facts, applicable, role):
    """A cycle through a module's import lock, both edges proven: the
    importing thread joins the worker, and the worker waits for the import
    lock importlib records the importer owns. Threads outside the cycle (the
    scenario's own truth watcher) are not part of the finding."""
    f = expect_first(diags, "deadlock")
    if f["severity"] != "error":
        raise Mismatch("deadlock is %s, expected error (the cycle is proven)" % f["severity"])
    importer, waiter = facts["importer"], facts["waiter"]
    lock = "the import lock of module '%s'" % facts["module"]
    cycle = '"%s" waits in Thread.join() for "%s" to finish, which waits for %s, held by "%s"' % (
        importer["name"], waiter["name"], lock, importer["name"])
    if cycle not in f["summary"]:
        raise Mismatch("the cycle is not named: %s" % f["summary"])
    held = [e for e in f["evidence"] if e["kind"] == "lock" and e.get("value") == lock]
    if len(held) != 1 or held[0].get("thread_id") != importer["ident"]:
        raise Mismatch("the import lock's holder is not the importer: %s" % evidence_text(f))
    waits = thread_evidence(f, waiter["ident"])
    if not waits or "_ModuleLock.acquire" not in waits[0]["text"] and "acquire (<frozen" not in waits[0]["text"]:
        raise Mismatch("the waiter's acquire is not named: %s" % evidence_text(f))
    if "truth-watcher" in evidence_text(f):
        raise Mismatch("a thread outside the cycle is part of the finding: %s" % evidence_text(f))
    if "import lock" not in f["advice"]:
        raise Mismatch("the advice is not about imports: %s" % f["advice"])


def check_gil_held_blocking(f, facts, severity):
    if f["severity"] != severity:
        raise Mismatch("gil-held-blocking is %s, expected %s" % (f["severity"], severity))
    held = thread_evidence(f, facts["holder_ident"])
    if not held or "holds the GIL" not in held[0]["text"] or "sleep" not in held[0]["text"]:
        raise Mismatch("the holder %s and its sleep are not named: %s" % (facts["holder"], evidence_text(f)))
    waiting = [e.get("value") for e in f["evidence"] if e["kind"] == "thread" and "holds the GIL" not in e["text"]]
    if sorted(waiting) != sorted(facts["waiters"]):
        raise Mismatch("waiters %s, expected %s" % (waiting, facts["waiters"]))
    # The waiters, asleep for longer than the switch interval, asked the holder to drop the GIL.
    if not any(e["kind"] == "gil" and e.get("value") == "gil_drop_request" for e in f["evidence"]):
        raise Mismatch("the GIL's drop request is not given as evidence: %s" % evidence_text(f))


def expect_gil_held_blocking(diags, facts, applicable, role):
    check_gil_held_blocking(expect_first(diags, "gil-held-blocking"), facts, "error")


def check_blocked_event_loop(f, facts, severity):
    if f["severity"] != severity:
        raise Mismatch("blocked-event-loop is %s, expected %s" % (f["severity"], severity))
    if '"%s"' % facts["blocked_task"] not in f["summary"]:
        raise Mismatch("the blocked task %s is not named: %s" % (facts["blocked_task"], f["summary"]))
    starved = [e["text"] for e in f["evidence"] if e["kind"] == "task"]
    want = ", ".join('"%s"' % n for n in facts["starved_tasks"])
    if len(starved) != 1 or not starved[0].endswith(": " + want):
        raise Mismatch("starved tasks %s, expected %s" % (starved, want))


def expect_blocked_event_loop(diags, facts, applicable, role):
    check_blocked_event_loop(expect_first(diags, "blocked-event-loop"), facts, "error")


def check_gevent_blocked_hub(f, facts, severity):
    if f["severity"] != severity:
        raise Mismatch("gevent-blocked-hub is %s, expected %s" % (f["severity"], severity))
    if '"%s" made a blocking call' % facts["blocked_greenlet"] not in f["summary"]:
        raise Mismatch("the blocked greenlet %s is not named: %s" % (facts["blocked_greenlet"], f["summary"]))
    if facts["blocking_call"] not in f["summary"]:
        raise Mismatch("the blocking call %s is not named: %s" % (facts["blocking_call"], f["summary"]))
    starved = [e["text"] for e in f["evidence"] if e["kind"] == "greenlet"]
    want = sorted('"%s"' % n for n in facts["starved_greenlets"])
    if len(starved) != 1 or sorted(starved[0].split(": ", 1)[1].split(", ")) != want:
        raise Mismatch("starved greenlets %s, expected %s" % (starved, want))


def expect_gevent_blocked_hub(diags, facts, applicable, role):
    if applicable:
        check_gevent_blocked_hub(expect_first(diags, "gevent-blocked-hub"), facts, "error")
    else:
        no_errors(diags)


EXPECTED = {
    "threads_abort": expect_no_errors,
    "locals_zoo": expect_no_errors,
    "asyncio_tasks": expect_no_errors,
    "subinterpreters": expect_no_errors,
    "dealloc_none_at_exit": expect_dealloc_none,
    "refcount_underflow": expect_refcount_underflow,
    "refcount_underflow_gc": expect_refcount_underflow_gc,
    "finalize_daemon_crash": expect_finalization_race,
    "stack_overflow": expect_stack_overflow,
    "deadlock": expect_deadlock,
    "sigterm_pending_atexit": expect_killed_pending_atexit,
    "hung_child": expect_dangling_children,
    "exit_hang": expect_exit_hang,
    "fork_held_lock": expect_fork_held_lock,
    "gil_held_blocking": expect_gil_held_blocking,
    "blocked_event_loop": expect_blocked_event_loop,
    "import_deadlock": expect_import_deadlock,
    "greenlets": expect_no_errors,
    "gevent_blocked_hub": expect_gevent_blocked_hub,
}


def check(scenario, meta, truth, diags, role):
    """Raises Mismatch unless the findings are what EXPECTED says; returns the first finding's id."""
    expect = EXPECTED.get(scenario)
    if expect is None:
        raise Mismatch("no check for scenario %r: add one to EXPECTED" % scenario)
    expect(diags, truth.get("facts", {}), meta.get("applicable", True), role)
    return diags[0]["id"] if diags else "-"


# Known gaps, each with its reason. A known gap still prints, and the test fails
# if it starts passing, so this list cannot go stale.
KNOWN_GAPS = {}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("interpreter")
    ap.add_argument("--pyautopsy", required=True)
    ap.add_argument("--cache", default=cores.default_cache())
    args = ap.parse_args()
    root = os.path.join(args.cache, "cores", args.interpreter)
    failures = 0
    checked = 0
    for meta_path in sorted(glob.glob(os.path.join(root, "*", "meta.json"))):
        scenario_dir = os.path.dirname(meta_path)
        meta = json.load(open(meta_path))
        scenario = meta["scenario"]
        for core in meta.get("cores", []):
            truth_path = os.path.join(scenario_dir, core["truth"])
            if not os.path.exists(truth_path):
                continue
            truth = json.load(open(truth_path))
            role = truth.get("role", "main")
            gap = KNOWN_GAPS.get((scenario, args.interpreter))
            try:
                first = check(scenario, meta, truth, diagnose(args.pyautopsy, os.path.join(scenario_dir, core["file"])),
                              role)
                if gap:
                    failures += 1
                    print("%-24s %-8s %-16s FAIL: passes now; remove it from KNOWN_GAPS" % (scenario, role,
                                                                                          args.interpreter))
                else:
                    print("%-24s %-8s %-16s %s" % (scenario, role, args.interpreter, first))
            except Mismatch as e:
                if gap:
                    print("%-24s %-8s %-16s KNOWN GAP: %s (%s)" % (scenario, role, args.interpreter, e, gap))
                else:
                    failures += 1
                    print("%-24s %-8s %-16s FAIL: %s" % (scenario, role, args.interpreter, e))
            checked += 1
    if checked == 0:
        print("no cores for %s under %s (run corefiles/generate)" % (args.interpreter, root))
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
