#!/usr/bin/env python3
"""Mixed native/Python stacks from a core file (`pyautopsy core CORE --native`).

For one interpreter of the test bed, on its threads_abort core:
  (a) with native frames filtered out, every thread's Python frames equal the
      truth the process recorded (function, file, line, qualname, in order);
  (b) the crashing main thread shows libc's abort innermost (only libc frames,
      e.g. raise/pthread_kill, inside it) and the interpreter's eval loop
      below it;
  (c) every run of Python frames sits directly above the eval-loop native
      frame that runs it (one frame per run up to 3.10), with no note about
      unmatched groups;
  (d) every thread is "in a C call" (the main thread in abort, the others in
      lock.acquire), as the native frames show.
Prints the main thread's native frames so the report names them, which
matters most on the stripped interpreters.
"""

import argparse
import sys

import nativecheck  # beside this script: Python puts a script's own directory on sys.path
from pyautopsy_testing import Mismatch, checks, cli, cores, truthcheck


def check_main_thread(report):
    main_thread = nativecheck.main_thread(report)
    if not main_thread.get("crashed"):
        raise Mismatch("the main thread is not marked as the crashing thread")
    names = nativecheck.check_abort_then_eval(main_thread)
    return "main thread: %s" % " <- ".join(n or "??" for n in names)


def check_in_c_call(truth, report):
    # The main thread in abort, the others in lock.acquire.
    nativecheck.check_status(report, {t["ident"]: "in_c_call" for t in truth["threads"]})
    return "every thread is in a C call"


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("interpreter")
    parser.add_argument("--pyautopsy", required=True)
    parser.add_argument("--cache", default=cores.default_cache())
    parser.add_argument("--scenario", default="threads_abort")
    args = parser.parse_args()

    try:
        core, truth = cores.core_and_truth(args.cache, args.interpreter, args.scenario)
        report = cli.report_of(args.pyautopsy, ["core", core, "--native"])
    except Mismatch as e:
        checks.fail(args.interpreter, e)
        return 1
    failures = checks.run_all(args.interpreter, [
        ("(a)", lambda: "%d threads' Python frames match the truth" % truthcheck.compare_report(truth, report)),
        ("(b)", lambda: check_main_thread(report)),
        ("(c)", lambda: "%d Python groups, each above its eval-loop frame" % nativecheck.check_interleaving(
            report, one_frame_per_eval=truth["hexversion"] < 0x030B0000)),
        ("(d)", lambda: check_in_c_call(truth, report)),
    ])
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
