#!/usr/bin/env python3
"""The GDB front end's library survives every command on intact and corrupt
cores -- and, built with AddressSanitizer and UBSan, does so cleanly.

GDB itself cannot run with AddressSanitizer preloaded (its Guile runtime
deadlocks at start, and so does LLDB), so the library is driven as GDB
drives it from a Python process: drive_capi.py serves the core's memory,
mappings, registers and signal through the same ctypes callbacks
gdb-scripts/pyautopsy_gdb uses, and makes every call GDB's commands make. The
cores: the scenarios' own (threads, locals, asyncio, greenlets, a deadlock)
and damaged copies of one (truncated, notes and memory overwritten). When
the library needs libasan, it is preloaded into that process and any report
fails the test; otherwise this is the same check without the sanitizers.
"""

import argparse
import os
import random
import re
import subprocess
import sys
import tempfile

from pyautopsy_testing import Mismatch, checks, cores

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from test_debugger_corrupt_cores import CRASH_SIGNS, variants  # noqa: E402  (beside this script)

SCENARIOS = ("threads_abort", "locals_zoo", "asyncio_tasks", "greenlets", "deadlock")


def sanitizer_runtime(library):
    """LD_PRELOAD for a library built with -fsanitize (its runtimes must load first), or ""."""
    listed = subprocess.run(["ldd", library], stdout=subprocess.PIPE, universal_newlines=True).stdout
    found = re.findall(r"^\s*(lib(?:asan|ubsan)\.so\S*) => (\S+)", listed, re.MULTILINE)
    found.sort(key=lambda item: not item[0].startswith("libasan"))  # ASan's runtime first
    return ":".join(path for _, path in found)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("interpreter")
    ap.add_argument("--python", required=True)
    ap.add_argument("--library", required=True)
    ap.add_argument("--cache", default=cores.default_cache())
    ap.add_argument("--seed", type=int, default=20261205)
    args = ap.parse_args()
    label = "%s C API as GDB drives it" % args.interpreter
    preload = sanitizer_runtime(args.library)
    env = dict(os.environ)
    if preload:
        label += " (ASan+UBSan)"
        # The harness is CPython, which does not free everything at exit: no leak report.
        env.update(LD_PRELOAD=preload, ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:strict_string_checks=1",
                   UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1")
    with tempfile.TemporaryDirectory(prefix="pyautopsy-capi-") as work:
        paths = []
        for scenario in SCENARIOS:
            try:
                paths.append(cores.core_and_truth(args.cache, args.interpreter, scenario)[0])
            except Mismatch as e:
                print("note: %s" % e)
        if not paths:
            checks.fail(label, "no scenario core for %s (run corefiles/generate)" % args.interpreter)
            return 1
        damaged = [path for _, path in variants(paths[0], random.Random(args.seed), work)]
        paths += damaged
        proc = subprocess.run([sys.executable, os.path.join(HERE, "drive_capi.py"), "--library", args.library,
                               "--executable", args.python] + paths,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                              env=env, timeout=900)
    output = proc.stdout
    signs = [sign for sign in CRASH_SIGNS if sign in output]
    answered = [line for line in output.splitlines() if ": " in line and not line.startswith("note")]
    if proc.returncode != 0 or signs or len(answered) != len(paths):
        checks.fail(label, "exit %d, %d of %d cores answered, %s\n%s" % (
            proc.returncode, len(answered), len(paths), signs or "no crash sign", output[-6000:]))
        return 1
    print(output, end="")
    checks.ok(label, "%d cores (%d damaged), every command answered" % (len(paths), len(damaged)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
