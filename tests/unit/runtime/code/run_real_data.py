#!/usr/bin/env python3
"""Check the line-table decoders against real interpreters.

For each interpreter: run dump_vectors.py under it (its own PyCode_Addr2Line
answers for thousands of code objects), then run the linetable_tests binary's
real-data test on those vectors, and print one line per interpreter with the
number of code objects, offsets checked (every even offset of each code
object's bytecode, plus -1 and -2 for a frame not yet started) and mismatches.

Interpreters are the paths given as arguments, or else those listed in the
test-bed manifest, ${PYAUTOPSY_CACHE:-~/.cache/pyautopsy}/testbed/manifest.json
({"interpreters": [{"name": ..., "path": ...}, ...]}).

Exit status: 0 all matched, 1 a mismatch or failure, 77 nothing to test.
"""

import argparse
import concurrent.futures
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SKIP = 77
TIMEOUT = 600  # seconds per step; a dump takes a few seconds
SUMMARY = re.compile(r"^linetable-summary .*codes=(\d+) offsets=(\d+) mismatches=(\d+)", re.M)


def manifest_interpreters():
    cache = os.environ.get("PYAUTOPSY_CACHE") or os.path.expanduser("~/.cache/pyautopsy")
    path = os.path.join(cache, "testbed", "manifest.json")
    if not os.path.isfile(path):
        return []
    with open(path) as fh:
        manifest = json.load(fh)
    return [(entry.get("name") or entry["path"], entry["path"]) for entry in manifest.get("interpreters", [])]


def run(command, env=None):
    """(exit status, output); a command that cannot start or hangs is a failure, not a crash."""
    try:
        done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              universal_newlines=True, env=env, timeout=TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as error:
        return -1, "%s: %s" % (command[0], error)
    return done.returncode, done.stdout


def check(name, python, binary, workdir):
    """Returns (status, codes, offsets, mismatches, detail)."""
    vectors = os.path.join(workdir, re.sub(r"[^A-Za-z0-9_.-]", "_", name))
    os.makedirs(vectors, exist_ok=True)
    status, output = run([python, os.path.join(HERE, "dump_vectors.py"), os.path.join(vectors, "vectors.json")])
    if status != 0:
        return "ERROR", None, None, None, "dump_vectors.py failed:\n" + output
    env = dict(os.environ, PYAUTOPSY_LINETABLE_VECTORS=vectors)
    status, output = run([binary, "--gtest_filter=LineTableRealData.*", "--gtest_brief=1"], env)
    found = SUMMARY.search(output)
    if not found:
        return "ERROR", None, None, None, "no summary from %s:\n%s" % (binary, output)
    codes, offsets, mismatches = (int(g) for g in found.groups())
    if status != 0 or mismatches != 0:
        return "FAIL", codes, offsets, mismatches, output
    return "ok", codes, offsets, mismatches, ""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", required=True, help="the linetable_tests executable")
    parser.add_argument("--verbose", action="store_true", help="show the test output of failures in full")
    parser.add_argument("interpreters", nargs="*", help="python executables (default: the test-bed manifest)")
    args = parser.parse_args()

    interpreters = [(path, path) for path in args.interpreters] or manifest_interpreters()
    if not interpreters:
        print("linetable real data: no interpreters given and no test-bed manifest; skipped")
        return SKIP

    failed = False
    width = max(len("interpreter"), *(len(name) for name, _ in interpreters))
    row = "%-" + str(width) + "s %8s %10s %10s  %s"
    print(row % ("interpreter", "codes", "offsets", "mismatches", "status"))
    with tempfile.TemporaryDirectory(prefix="pyautopsy-linetable-") as workdir, \
            concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        # Interpreters are independent; run them side by side, report in order.
        results = [pool.submit(check, name, python, args.binary, workdir) for name, python in interpreters]
        for (name, _), result in zip(interpreters, results):
            status, codes, offsets, mismatches, detail = result.result()
            figures = ["-" if v is None else str(v) for v in (codes, offsets, mismatches)]
            print(row % (name, figures[0], figures[1], figures[2], status), flush=True)
            if status != "ok":
                failed = True
                lines = detail.splitlines()
                print("\n".join(lines if args.verbose else lines[:60]))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
