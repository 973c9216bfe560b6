#!/usr/bin/env python3
"""Corrupt cores never take a debugger down with our extension loaded.

A scenario core is truncated (at several points) and damaged (random runs of
its notes and headers, and of its memory -- the pages holding Python's
heap); each is opened in GDB (gdb-scripts/pyautopsy.py and libpyautopsy.so)
and in LLDB (the plugin). Every py-* and pyautopsy command must end, with
its output or an error line at worst, and the debugger must stay usable: a
plain command run after ours (`info threads`, `thread list`) still answers,
and the debugger exits by itself.
"""
import argparse
import glob
import os
import random
import subprocess
import sys
import tempfile

from pyautopsy_testing import checks, environment, gdb_runner

GDB_COMMANDS = ["py-bt", "py-bt --all", "py-bt-full", "py-list", "py-locals", "py-print x", "py-up", "py-down",
                "pyautopsy threads", "pyautopsy report", "pyautopsy report --json --locals --native",
                "pyautopsy runtime", "pyautopsy diagnose", "pyautopsy tasks"]
LLDB_COMMANDS = GDB_COMMANDS
MARK = "@@corrupt@@"
PLAIN_GDB, PLAIN_LLDB = "info threads", "thread list"
# What a debugger (or our code inside it) prints as it goes down; the core's own
# "Program terminated with signal SIGSEGV, Segmentation fault." is not one.
CRASH_SIGNS = ("Fatal signal", "internal-error", "PLEASE submit a bug report", "terminate called",
               "AddressSanitizer", "runtime error:", "Python Exception <class 'SystemError'")


def variants(core, rng, work):
    """(label, path) of the damaged copies of `core`."""
    with open(core, "rb") as f:
        original = f.read()
    size = len(original)
    out = []
    for fraction in (0.002, 0.05, 0.5):
        path = os.path.join(work, "cut%g" % fraction)
        with open(path, "wb") as f:
            f.write(original[:int(size * fraction)])
        out.append(("truncated to %g%%" % (fraction * 100), path))
    for round_, (start, end, runs) in enumerate([(64, 16384, 20), (64, 16384, 20), (4096, size, 300), (4096, size, 300)]):
        data = bytearray(original)
        for _ in range(runs):
            at, n = rng.randrange(start, end - 64), rng.randrange(1, 64)
            data[at:at + n] = bytes(rng.randrange(256) for _ in range(n))
        path = os.path.join(work, "bad%d" % round_)
        with open(path, "wb") as f:
            f.write(data)
        out.append(("%s damaged #%d" % ("notes and headers" if start == 64 else "memory", round_), path))
    return out


def run_gdb(python, core, library):
    argv = ["gdb", "-batch", "-nx", "-ex", "source " + gdb_runner.SCRIPT]
    for command in GDB_COMMANDS + [PLAIN_GDB]:
        argv += ["-ex", "echo %s %s\\n" % (MARK, command), "-ex", command]
    argv += ["-ex", "echo %s end\\n" % MARK, python, core]
    env = environment.for_target(PYAUTOPSY_LIB=library)
    env.pop("DEBUGINFOD_URLS", None)
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                          env=env, timeout=300)


def run_lldb(lldb, plugin, python, core, work):
    # From a command file sourced with --stop-on-error false: `lldb -b -o`
    # stops at the first command that reports an error, which is allowed here.
    script = os.path.join(work, "lldb-commands")
    with open(script, "w") as f:
        for command in ["target create %s --core %s" % (python, core), "plugin load " + plugin] + LLDB_COMMANDS + [
                PLAIN_LLDB, "script print('%s alive')" % MARK]:
            f.write(command + "\n")
    argv = [lldb, "--no-lldbinit", "-b", "-o", "command source --stop-on-error false --silent-run false " + script]
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                          env=environment.for_target(), timeout=300)


def check_gdb(python, core, library):
    proc = run_gdb(python, core, library)
    text = proc.stdout.decode("utf-8", "replace")
    if proc.returncode < 0 or "%s end" % MARK not in text:
        raise checks.Mismatch("gdb did not reach the end (exit %d): %s" % (proc.returncode, text[-600:]))
    plain = text.split("%s %s" % (MARK, PLAIN_GDB))[1].split("%s end" % MARK)[0]
    for sign in CRASH_SIGNS:
        if sign in text:
            raise checks.Mismatch("gdb printed %r: %s" % (sign, text[text.index(sign) - 300:][:800]))
    if "Traceback (most recent call last)" in text and "Python Exception" in text:
        raise checks.Mismatch("a command ended in a Python exception: %s" % text[-600:])
    return "every command ended; `%s` then answered %d lines" % (PLAIN_GDB, len(plain.strip().splitlines()))


def check_lldb(lldb, plugin, python, core, work):
    proc = run_lldb(lldb, plugin, python, core, work)
    text = proc.stdout.decode("utf-8", "replace")
    for sign in CRASH_SIGNS:
        if sign in text:
            raise checks.Mismatch("lldb printed %r: %s" % (sign, text[text.index(sign) - 300:][:800]))
    if proc.returncode < 0:
        raise checks.Mismatch("lldb died of signal %d: %s" % (-proc.returncode, text[-600:]))
    missing = [c for c in LLDB_COMMANDS + [PLAIN_LLDB] if "(lldb) %s\n" % c not in text]
    if missing or "%s alive" % MARK not in text:
        raise checks.Mismatch("lldb stopped before `%s` (exit %d): %s" % ((missing or ["script"])[0], proc.returncode,
                                                                         text[-600:]))
    return "every command ended; `%s` ran after them" % PLAIN_LLDB


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("interpreter")
    parser.add_argument("--python", required=True)
    parser.add_argument("--library", required=True, help="libpyautopsy.so, for GDB")
    parser.add_argument("--lldb", help="lldb executable; LLDB is skipped without it")
    parser.add_argument("--plugin", help="the LLDB plugin")
    parser.add_argument("--cache", default=os.environ.get("PYAUTOPSY_CACHE", os.path.expanduser("~/.cache/pyautopsy")))
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    cores = glob.glob(os.path.join(args.cache, "cores", args.interpreter, "locals_zoo", "core.*"))
    if not cores:
        print("FAIL no locals_zoo core for %s (run corefiles/generate)" % args.interpreter)
        return 1
    rng = random.Random(args.seed)
    failures = 0
    with tempfile.TemporaryDirectory(prefix="pyautopsy-dbg-corrupt-") as work:
        for label, path in variants(cores[0], rng, work):
            failures += checks.run("%s gdb, core %s" % (args.interpreter, label),
                                   lambda path=path: check_gdb(args.python, path, args.library))
            if args.lldb and args.plugin:
                failures += checks.run("%s lldb, core %s" % (args.interpreter, label),
                                       lambda path=path: check_lldb(args.lldb, args.plugin, args.python, path, work))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
