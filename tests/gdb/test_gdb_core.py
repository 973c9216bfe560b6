#!/usr/bin/env python3
"""GDB with gdb-scripts/pyautopsy.py on a core: every thread's frames equal the truth.

For one interpreter of the test bed, loads its threads_abort core in the real
`gdb -batch -nx`, sources the script, and checks
  - `py-bt --all` (the text users read): every thread's File/line/function lines
  - `pyautopsy report --json`: the same check as the CLI's tests (truthcheck)
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

from pyautopsy_testing import Mismatch, checks, cores, gdb_runner

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
        result = gdb_runner.run_gdb([executable, core], [("py-bt", "py-bt")], library, source_ours=False,
                                    pre_commands=pre)
        text = gdb_runner.without_gdb_warnings(result.sections.get("py-bt", ""))
        print("info CPython's helper (%s) py-bt %s:" % (os.path.basename(helper), label))
        for line in text[:6] or ["(no output)"]:
            print("       | " + line)
        ours = gdb_runner.run_gdb([executable, core], [("py-bt", "py-bt")], library, pre_commands=pre)
        lines = gdb_runner.without_gdb_warnings(ours.sections.get("py-bt", ""))
        print("info pyautopsy's py-bt %s:" % label)
        for line in lines[:6] or ["(no output)"]:
            print("       | " + line)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("interpreter")
    parser.add_argument("--python", required=True)
    parser.add_argument("--library", required=True, help="libpyautopsy.so")
    parser.add_argument("--cache", default=cores.default_cache())
    parser.add_argument("--scenario", default="threads_abort")
    parser.add_argument("--show-cpython-helper", action="store_true")
    args = parser.parse_args()

    try:
        core, truth = cores.core_and_truth(args.cache, args.interpreter, args.scenario)
    except Mismatch as e:
        checks.fail(args.interpreter, e)
        return 1

    result = gdb_runner.run_gdb([args.python, core], gdb_runner.SESSION, args.library)
    failures = checks.run_all("%s gdb-core" % args.interpreter, gdb_runner.session_checks(truth, result))
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
