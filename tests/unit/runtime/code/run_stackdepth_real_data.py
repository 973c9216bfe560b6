#!/usr/bin/env python3
"""stackdepth_real_data: the stack-depth walk (core/runtime/code/StackDepth.h)
on every code object each test-bed interpreter of 3.8-3.13 compiles from its
own standard library. The deepest depth the walk finds must be the code's
co_stacksize, which CPython's compiler computes by the same walk: any other
number is a failure. CPython's compiler reserves more than it uses where it
later folds instructions (3.8-3.9 constant tuples, 3.13 RETURN_CONST), so a
smaller deepest depth is allowed in at most 5% of the code objects; the walk
may give up on at most 1%.

Exit 77 (skip) when the test bed has no such interpreter.
"""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

DUMP = r'''
import dis, os, sys
libdir = os.path.dirname(os.__file__)
def walk(code):
    yield code
    for const in code.co_consts:
        if hasattr(const, "co_code"):
            yield from walk(const)
out = []
for name in sorted(os.listdir(libdir)):
    if not name.endswith(".py"):
        continue
    try:
        with open(os.path.join(libdir, name), "rb") as f:
            top = compile(f.read(), name, "exec")
    except (SyntaxError, ValueError, UnicodeDecodeError, OSError):
        continue
    for code in walk(top):
        table = getattr(code, "co_exceptiontable", b"")
        sys.stdout.write("%d %s %s %d %s.%s\n" % (sys.version_info[1], code.co_code.hex(), table.hex() or "-",
                                                  code.co_stacksize, name, code.co_name))
'''


def interpreters():
    cache = Path(os.environ.get("PYAUTOPSY_CACHE") or Path.home() / ".cache/pyautopsy")
    manifest = cache / "testbed/manifest.json"
    if not manifest.exists():
        return []
    out = []
    for entry in json.loads(manifest.read_text()).get("interpreters", []):
        major, minor = (int(x) for x in entry["version"].split(".")[:2])
        if major == 3 and 8 <= minor <= 13 and os.path.exists(entry["path"]):
            out.append(entry)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--probe", required=True)
    args = ap.parse_args()
    found = interpreters()
    if not found:
        print("no 3.8-3.13 interpreter in the test bed")
        return 77
    failed = False
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    for entry in found:
        dump = subprocess.run([entry["path"], "-I", "-c", DUMP], capture_output=True, text=True, check=True,
                              env=env, timeout=600).stdout.splitlines()
        lines = [" ".join(line.split()[:4]) for line in dump]
        result = subprocess.run([args.probe], input="\n".join(lines) + "\n", capture_output=True, text=True,
                                check=True, timeout=600).stdout.split()
        ok = gave_up = smaller = 0
        wrong = []
        for line, got in zip(dump, result):
            want = line.split()[3]
            if got == "none":
                gave_up += 1
            elif got == want:
                ok += 1
            elif int(got) < int(want):
                smaller += 1
            else:
                wrong.append("%s: deepest %s above co_stacksize %s" % (line.split()[4], got, want))
        total = len(dump)
        print("%s: %d code objects, %d deepest == co_stacksize, %d smaller, %d gave up, %d deeper (wrong)" % (
            entry["name"], total, ok, smaller, gave_up, len(wrong)))
        for w in wrong[:10]:
            print("  " + w)
        if wrong or len(result) != total or gave_up * 100 > total or smaller * 20 > total:
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
