"""pyautopsy's greenlets equal what the process recorded about itself.

The greenlets scenario runs greenlets in three threads (gevent's in one of
them, where Debian packages gevent for the interpreter) and records, from
inside the greenlet that aborts, every greenlet's thread, state, parent and
Python stack (gr_frame and its f_back chain, innermost first). For one
interpreter this checks, from the core and from the scenario kept alive:
  - the same set of greenlets, each under the thread that runs it, none left
    without a thread;
  - per greenlet: state, main or not, parent, type, gevent hub and name, and a
    suspended one's stack frame by frame;
  - what gevent greenlets are switched out on (a timer, an Event);
  - with --locals, a suspended greenlet's frames carry their locals;
  - live with --nonblocking too (the threads' stack pointers then come from
    what the kernel shows of blocked threads).
On an interpreter with no greenlet package, none may be reported.
"""

import argparse
import sys

from pyautopsy_testing import Mismatch, cores, scenario_runs, truthcheck


def compare(truth, report):
    found = {}
    for thread in report["threads"]:
        for g in thread["greenlets"]:
            if g["address"] in found:
                raise Mismatch("greenlet %#x reported twice" % g["address"])
            found[g["address"]] = (thread, g)
    if not truth["applicable"]:
        if found or report["greenlet"]["version"] is not None:
            raise Mismatch("greenlets reported where greenlet is not installed: %r" % report["greenlet"])
        return "no greenlet here, none reported"
    facts = truth["facts"]
    if report["greenlet"]["version"] != facts["greenlet_version"]:
        raise Mismatch("greenlet version %r, expected %r" % (report["greenlet"]["version"], facts["greenlet_version"]))
    if report["greenlet"]["without_thread"]:
        raise Mismatch("greenlets without a thread: %r (notes %r)" % (
            [hex(g["address"]) for g in report["greenlet"]["without_thread"]], report["greenlet"]["notes"]))
    want = {g["address"]: g for g in facts["greenlets"]}
    if sorted(found) != sorted(want):
        raise Mismatch("greenlets %r, expected %r (notes %r)" % (
            sorted(hex(a) for a in found), sorted("%s %#x" % (g["label"], a) for a, g in want.items()),
            report["greenlet"]["notes"]))
    for address, w in sorted(want.items()):
        thread, got = found[address]
        label = "greenlet %r (%#x)" % (w["label"], address)
        if thread["thread_id"] != w["thread_ident"]:
            raise Mismatch("%s: under thread %r, expected %r" % (label, thread["thread_id"], w["thread_ident"]))
        for key in ("state", "main", "parent", "hub", "name"):
            if got[key] != w[key]:
                raise Mismatch("%s: %s %r, expected %r" % (label, key, got[key], w[key]))
        if not got["type"].split(".")[-1] == w["type"]:
            raise Mismatch("%s: type %r, expected %r" % (label, got["type"], w["type"]))
        try:
            truthcheck.compare_frames(w["frames"], got["frames"], check_qualname=True)
        except Mismatch as e:
            raise Mismatch("%s: %s" % (label, e))
    waits = {w["label"]: found[a][1]["waits_for"] for a, w in want.items()}
    if facts["gevent"]:
        if "timer" not in (waits["gevent-sleeper"] or "") or "Event" not in (waits["gevent-waiter"] or ""):
            raise Mismatch("gevent waits: sleeper %r, waiter %r" % (waits["gevent-sleeper"], waits["gevent-waiter"]))
    return "%d greenlets equal the truth (greenlet %s, gevent %s)" % (len(want), facts["greenlet_version"],
                                                                      facts["gevent"] or "not installed")


def compare_locals(truth, report):
    result = compare(truth, report)
    if not truth["applicable"]:
        return result
    worker = next(g for g in truth["facts"]["greenlets"] if g["label"] == "worker")
    got = next(g for t in report["threads"] for g in t["greenlets"] if g["address"] == worker["address"])
    innermost = got["frames"][0].get("locals", {})
    if innermost.get("tag") != "'w'":
        raise Mismatch("the suspended worker's innermost locals are %r, expected tag = 'w'" % innermost)
    return result + "; locals read"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("interpreter")
    parser.add_argument("--python", required=True)
    parser.add_argument("--pyautopsy", required=True)
    parser.add_argument("--cache", default=cores.default_cache())
    o = parser.parse_args()
    failures = scenario_runs.run_core(o.interpreter, "greenlets", o.pyautopsy, o.cache,
                                      [([], compare), (["--locals"], compare_locals)])
    failures += scenario_runs.run_live(o.interpreter, "greenlets", o.pyautopsy, o.python,
                                       [([], compare), (["--locals"], compare_locals), (["--nonblocking"], compare)])
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
