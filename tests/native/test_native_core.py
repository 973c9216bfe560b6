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
import glob
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
import truthcheck  # noqa: E402
import nativecheck  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("interpreter")
    parser.add_argument("--pyautopsy", required=True)
    parser.add_argument("--cache", default=os.environ.get("PYAUTOPSY_CACHE",
                                                          os.path.expanduser("~/.cache/pyautopsy")))
    parser.add_argument("--scenario", default="threads_abort")
    args = parser.parse_args()

    directory = os.path.join(args.cache, "cores", args.interpreter, args.scenario)
    cores = sorted(glob.glob(os.path.join(directory, "core.*")))
    truth_path = os.path.join(directory, "truth.json")
    if not cores or not os.path.exists(truth_path):
        print("FAIL %s: no core or truth in %s (run corefiles/generate)" % (args.interpreter, directory))
        return 1
    truth = truthcheck.load_truth(truth_path)
    code, report, stderr = truthcheck.run_pyautopsy(args.pyautopsy, ["core", cores[0], "--native"])
    if code != 0:
        print("FAIL %s: pyautopsy exited %d: %s" % (args.interpreter, code, stderr.strip()))
        return 1
    try:
        threads = truthcheck.compare_report(truth, report)
        print("ok   %s (a): %d threads' Python frames match the truth" % (args.interpreter, threads))
        main_thread = nativecheck.main_thread(report)
        if not main_thread.get("crashed"):
            raise truthcheck.Mismatch("the main thread is not marked as the crashing thread")
        names = nativecheck.check_abort_then_eval(main_thread)
        print("ok   %s (b): main thread: %s" % (args.interpreter, " <- ".join(n or "??" for n in names)))
        groups = nativecheck.check_interleaving(report, one_frame_per_eval=truth["hexversion"] < 0x030B0000)
        print("ok   %s (c): %d Python groups, each above its eval-loop frame" % (args.interpreter, groups))
        nativecheck.check_status(report, {t["ident"]: "in_c_call" for t in truth["threads"]})
        print("ok   %s (d): every thread is in a C call" % args.interpreter)
    except truthcheck.Mismatch as e:
        print("FAIL %s: %s" % (args.interpreter, e))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
