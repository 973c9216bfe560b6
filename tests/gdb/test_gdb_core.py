#!/usr/bin/env python3
"""GDB with gdb-scripts/pyautopsy.py on a core: every thread's frames equal the truth.

For one interpreter of the test bed, loads its threads_abort core in the real
`gdb -batch -nx`, sources the script, and checks
  - `py-bt --all` (the text users read): every thread's File/line/function lines
  - `pyautopsy report --json`: the same check as the CLI's tests (truthcheck.py)
  - `bt` on the crashing thread: an eval-loop frame decorated with the
    innermost Python function, file and line
  - `py-bt` of the selected (crashing) thread and the coexistence notice
    when CPython's own helper was auto-loaded.
With --show-cpython-helper, also runs CPython's own helper's py-bt (if GDB
auto-loads one for this interpreter), with and without the interpreter's
separate debug symbols, and prints what it says: CI machines have no -dbg.
"""

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
import gdbrun  # noqa: E402
import truthcheck  # noqa: E402

NO_DEBUG_SYMBOLS = "set debug-file-directory /nonexistent"


def cpython_helper_path(executable):
    path = "/usr/share/gdb/auto-load" + os.path.realpath(executable) + "-gdb.py"
    return path if os.path.exists(path) else None


def show_cpython_helper(executable, core, library):
    helper = cpython_helper_path(executable)
    if helper is None:
        print("info CPython's gdb helper: none installed for %s" % executable)
        return
    for label, pre in (("with the -dbg symbols", ()), ("without debug symbols", (NO_DEBUG_SYMBOLS,))):
        result = gdbrun.run_gdb([executable, core], [("py-bt", "py-bt")], library, source_ours=False,
                                pre_commands=pre)
        text = gdbrun.without_gdb_warnings(result.sections.get("py-bt", ""))
        print("info CPython's helper (%s) py-bt %s:" % (os.path.basename(helper), label))
        for line in text[:6] or ["(no output)"]:
            print("       | " + line)
        ours = gdbrun.run_gdb([executable, core], [("py-bt", "py-bt")], library, pre_commands=pre)
        lines = gdbrun.without_gdb_warnings(ours.sections.get("py-bt", ""))
        print("info pyautopsy's py-bt %s:" % label)
        for line in lines[:6] or ["(no output)"]:
            print("       | " + line)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("interpreter")
    parser.add_argument("--python", required=True)
    parser.add_argument("--library", required=True, help="libpyautopsy.so")
    parser.add_argument("--cache", default=os.path.expanduser("~/.cache/pyautopsy"))
    parser.add_argument("--scenario", default="threads_abort")
    parser.add_argument("--show-cpython-helper", action="store_true")
    args = parser.parse_args()

    directory = os.path.join(args.cache, "cores", args.interpreter, args.scenario)
    cores = sorted(f for f in os.listdir(directory) if f.startswith("core.")) if os.path.isdir(directory) else []
    truth_path = os.path.join(directory, "truth.json")
    if not cores or not os.path.exists(truth_path):
        print("FAIL %s: no core or truth in %s (run corefiles/generate)" % (args.interpreter, directory))
        return 1
    core = os.path.join(directory, cores[0])
    truth = truthcheck.load_truth(truth_path)

    result = gdbrun.run_gdb([args.python, core], [("py-bt", "py-bt"), ("py-bt-all", "py-bt --all"),
                                                   ("json", "pyautopsy report --json"), ("bt", "bt")],
                            args.library)
    failures = 0
    checks = [
        ("py-bt --all", lambda: "%d threads match" % gdbrun.compare_text(truth, result.sections.get("py-bt-all", ""))),
        ("report --json", lambda: "%d threads match" % truthcheck.compare_report(truth, result.json("json"))),
        ("py-bt", lambda: gdbrun.check_selected_thread(truth, result.sections.get("py-bt", ""))),
        ("bt decorator", lambda: gdbrun.check_decorated_bt(truth, result.sections.get("bt", ""))),
    ]
    for name, check in checks:
        try:
            print("ok   %s gdb-core %s: %s" % (args.interpreter, name, check()))
        except (ValueError, truthcheck.Mismatch, KeyError) as e:
            print("FAIL %s gdb-core %s: %s" % (args.interpreter, name, e))
            failures += 1
    notice = [line for line in result.output.splitlines() if line.startswith("pyautopsy: replaced")]
    if notice:
        print("info %s" % notice[0])
    if failures:
        print("---- gdb output ----\n" + result.output[-6000:])
    print("%s: gdb-core %.1f s (gdb start, core load, analysis and printing), %d failures" % (
        args.interpreter, result.seconds, failures))
    if args.show_cpython_helper:
        show_cpython_helper(args.python, core, args.library)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
