#!/usr/bin/env python3
"""The runtime state pyautopsy reads from a core equals what the process
recorded about itself (the "facts" of truth.json, corefiles/scenarios/_truth.py).

For one interpreter of the test bed:
  threads_abort          gc thresholds, enabled flag and counts; not finalizing;
                         atexit callbacks pending; () and '' at the address id()
                         gave and with the refcount sys.getrefcount() gave, on
                         every version (3.8/3.9: found through code objects and
                         module attributes, as they have no symbol)
  dealloc_none_at_exit   the trace function's object type on the main thread,
                         no profile function; the atexit callback by name and
                         module while pending, or "ran" after it ran (3.8-3.11,
                         which die inside Py_FinalizeEx); None's refcount: 0 or
                         a small negative number where the fatal error fired,
                         immortal (and equal to sys.getrefcount) where None is
                         immortal
  finalize_daemon_crash  finalizing, by the main thread; a collection running;
                         the thresholds the scenario set
  stack_overflow         (besides the recursion limit, checked in every scenario)
                         nothing more: its stacks are checked by core-stacks
Every scenario: the main interpreter's recursion limit is sys.getrecursionlimit()
as recorded (1000 by default, 10**6 in stack_overflow), on every version (3.8 from
_PyRuntime.ceval, 3.9+ from interp->ceval).
Every check prints one line, "ok" or "FAIL", so the report names what passed.
"""

import argparse
import sys

from pyautopsy_testing import Mismatch, cli, cores

# Writing truth.json after gc.get_count() allocates; a core taken right after
# may show gen0 grown by about this much (or reset by a collection).
GEN0_SLACK = 400
NONE_UNDERFLOW_FLOOR = -100
# The truth's commit runs between sys.getrefcount() and the core; on a mortal
# singleton it may leave a few references more or less (none were observed).
SINGLETON_SLACK = 8


class Checker(object):
    def __init__(self, interpreter):
        self.interpreter = interpreter
        self.failures = 0
        self.passed = 0

    def check(self, scenario, what, ok, detail):
        if ok:
            self.passed += 1
            print("ok   %s/%s: %s" % (self.interpreter, scenario, what))
        else:
            self.failures += 1
            print("FAIL %s/%s: %s: %s" % (self.interpreter, scenario, what, detail))


def load(cache, interpreter, scenario, binary):
    """(truth, report); Mismatch when there is no core or pyautopsy fails on it."""
    core, truth = cores.core_and_truth(cache, interpreter, scenario)
    return truth, cli.report_of(binary, ["core", core])


def main_interpreter(report):
    for interp in report["interpreters"]:
        if interp["main"]:
            return interp
    return None


def main_thread(report):
    for thread in report["threads"]:
        if thread["main"]:
            return thread
    return None


def singleton(report, name):
    for s in report["runtime"]["singletons"]:
        if s["name"] == name:
            return s
    return None


def gen_counts_match(recorded, read):
    """Exact for the older generations unless gen0 was collected since."""
    if read[0] >= recorded[0] and read[0] - recorded[0] <= GEN0_SLACK and read[1:] == recorded[1:]:
        return True
    # A young collection ran between the recording and the core.
    return read[0] < recorded[0] and read[1] == recorded[1] + 1 and read[2] == recorded[2]


def check_threads_abort(c, truth, report):
    facts = truth["facts"]
    gc = main_interpreter(report)["gc"]
    thresholds = [g["threshold"] for g in gc["generations"]]
    counts = [g["count"] for g in gc["generations"]]
    c.check("threads_abort", "gc thresholds %s" % thresholds, thresholds == facts["gc_threshold"],
            "truth %s" % facts["gc_threshold"])
    c.check("threads_abort", "gc counts %s (recorded %s)" % (counts, facts["gc_count"]),
            gen_counts_match(facts["gc_count"], counts), "differ beyond the allocations of the commit")
    c.check("threads_abort", "gc enabled", gc["enabled"] == facts["gc_enabled"], "read %r" % gc["enabled"])
    c.check("threads_abort", "not finalizing", report["runtime"]["finalizing"] is False
            and report["runtime"]["finalizing"] == facts["is_finalizing"], "read %r" % report["runtime"]["finalizing"])
    c.check("threads_abort", "atexit pending", main_interpreter(report)["atexit"]["status"] == "pending",
            "status %r" % main_interpreter(report)["atexit"]["status"])
    for name, key in (("()", "empty_tuple"), ("''", "empty_str")):
        want = facts[key]
        got = singleton(report, name)
        if got and got["immortal"]:
            ok = got["address"] == want["id"] and got["refcount"] == want["refcount"]
        else:
            ok = (got is not None and got["address"] == want["id"] and got["refcount"] is not None
                  and abs(got["refcount"] - want["refcount"]) <= SINGLETON_SLACK)
        c.check("threads_abort", "%s at %#x refcount %r (%s)" % (name, got["address"] or 0, got["refcount"],
                                                                 got["found_by"]) if got else name,
                ok, "truth id %#x, refcount %r; read %r; notes %r" % (want["id"], want["refcount"], got,
                                                                       report["runtime"]["notes"]))


def check_dealloc_none(c, truth, report):
    facts = truth["facts"]
    thread = main_thread(report)
    trace = thread and thread["trace"]
    got_type = trace["object_type"] if trace else "NoneType"
    if got_type == "NoneType" and main_interpreter(report)["modules_count"] is None and truth["after"].get("atexit_ran"):
        # Died after PyInterpreterState_Clear: it clears sys.modules and every
        # thread state's trace function, so no trace function is the truth here.
        c.check("dealloc_none_at_exit", "trace function cleared with sys.modules by PyInterpreterState_Clear",
                report["runtime"]["finalizing"] is True, "not finalizing")
    else:
        c.check("dealloc_none_at_exit", "main thread trace object type %r" % got_type, got_type == facts["trace"],
                "truth %r" % facts["trace"])
    got_profile = "NoneType" if not thread["profile"] else thread["profile"]["object_type"]
    c.check("dealloc_none_at_exit", "profile %r" % got_profile, got_profile == facts["profile"],
            "truth %r" % facts["profile"])

    atexit = main_interpreter(report)["atexit"]
    names = [(cb["qualname"], cb["module"]) for cb in atexit["callbacks"]]
    if truth["after"].get("atexit_ran"):
        c.check("dealloc_none_at_exit", "atexit ran", atexit["status"] == "ran" and not names,
                "status %r, callbacks %r" % (atexit["status"], names))
    else:
        want = [(name, "__main__") for name in facts["atexit"]]
        missing = [w for w in want if w not in names]
        c.check("dealloc_none_at_exit", "atexit pending %r" % want, atexit["status"] == "pending" and not missing,
                "status %r, callbacks %r" % (atexit["status"], names))

    none = singleton(report, "None")
    if facts.get("none_immortal"):
        ok = (none and none["immortal"] is True and report["runtime"]["immortal_objects"] is True
              and none["refcount"] == facts["none_refcount_after_probe"])
        c.check("dealloc_none_at_exit", "None immortal, refcount %r" % (none and none["refcount"]), ok,
                "truth sys.getrefcount(None) = %r, read %r" % (facts["none_refcount_after_probe"], none))
    else:
        ok = (none and none["immortal"] is False and none["refcount"] is not None
              and NONE_UNDERFLOW_FLOOR <= none["refcount"] <= 0)
        c.check("dealloc_none_at_exit", "None refcount %r (0 or small negative)" % (none and none["refcount"]), ok,
                "read %r" % none)


def check_finalize(c, truth, report):
    facts = truth["facts"]
    runtime = report["runtime"]
    c.check("finalize_daemon_crash", "finalizing", runtime["finalizing"] is True
            and facts["is_finalizing_in_del"] is True, "read %r" % runtime["finalizing"])
    c.check("finalize_daemon_crash", "finalizing thread is the main thread",
            runtime["finalizing_thread_id"] == truth["main_thread"],
            "read %r, main thread %r" % (runtime["finalizing_thread_id"], truth["main_thread"]))
    gc = main_interpreter(report)["gc"]
    c.check("finalize_daemon_crash", "gc collecting", gc["collecting"] == (facts["gc_phase_in_del"] == "running"),
            "read %r, truth %r" % (gc["collecting"], facts["gc_phase_in_del"]))
    thresholds = [g["threshold"] for g in gc["generations"]]
    c.check("finalize_daemon_crash", "gc thresholds %s" % thresholds, thresholds == facts["gc_threshold"],
            "truth %s" % facts["gc_threshold"])


def check_recursion_limit(c, scenario, truth, report):
    want = truth["facts"]["recursion_limit"]
    got = main_interpreter(report)["recursion_limit"]
    c.check(scenario, "recursion limit %r" % got, got == want, "truth sys.getrecursionlimit() = %r" % want)


# The scenarios read, each with its own checks beside the recursion limit.
SCENARIOS = {
    "threads_abort": check_threads_abort,
    "dealloc_none_at_exit": check_dealloc_none,
    "finalize_daemon_crash": check_finalize,
    "stack_overflow": None,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("interpreter")
    parser.add_argument("--pyautopsy", required=True)
    parser.add_argument("--cache", default=cores.default_cache())
    args = parser.parse_args()

    c = Checker(args.interpreter)
    for scenario, check in SCENARIOS.items():
        try:
            truth, report = load(args.cache, args.interpreter, scenario, args.pyautopsy)
        except Mismatch as e:
            c.check(scenario, "read the core", False, str(e))
            continue
        try:
            check_recursion_limit(c, scenario, truth, report)
            if check:
                check(c, truth, report)
        except (KeyError, TypeError) as e:
            c.check(scenario, "report has the expected keys", False, repr(e))
    print("%s: %d checks passed, %d failed" % (args.interpreter, c.passed, c.failures))
    return 1 if c.failures else 0


if __name__ == "__main__":
    sys.exit(main())
