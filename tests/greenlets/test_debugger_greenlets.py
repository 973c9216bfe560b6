"""`pyautopsy greenlets` in the real LLDB and GDB shows the truth of a core
and of a live process.

For one interpreter: load the greenlets scenario's core into LLDB (the
plugin) or GDB (gdb-scripts/pyautopsy.py), then attach to the scenario kept
alive, run `pyautopsy greenlets`, and
read its text back: every greenlet the process recorded is printed once,
under the header of the thread that runs it, with its state and, when
suspended, its stack (traceback order: outermost first) frame by frame. On
an interpreter without greenlet the command says there are none.
"""

import argparse
import re
import sys

from pyautopsy_testing import Mismatch, checks, cores, debugger_commands, live, truthcheck

_THREAD = re.compile(r'^Thread (0x[0-9a-f]+) ')
_GREENLET = re.compile(r'^\s*Greenlet (0x[0-9a-f]+) .*\(([a-z ]+?)(?:,|\))')
_FRAME = re.compile(r'^\s*File "(.*)", line (\d+), in (.*)$')


def parse_greenlets(text):
    """-> {address: {"thread": ident, "state": s, "stack": [frames innermost first]}}"""
    greenlets = {}
    thread = None
    current = None
    for line in text.splitlines():
        m = _THREAD.match(line)
        if m:
            thread, current = int(m.group(1), 16), None
            continue
        m = _GREENLET.match(line)
        if m:
            address = int(m.group(1), 16)
            if address in greenlets:
                raise Mismatch("greenlet %#x printed twice" % address)
            current = greenlets[address] = {"thread": thread, "state": m.group(2), "stack": []}
            continue
        m = _FRAME.match(line)
        if m and current is not None:
            current["stack"].insert(0, {"file": m.group(1), "line": int(m.group(2)), "function": m.group(3)})
    return greenlets


def compare(truth, text):
    if not truth["applicable"]:
        if "No greenlets." not in text:
            raise Mismatch("greenlets printed where greenlet is not installed: %r" % text[:300])
        return 0
    got = parse_greenlets(text)
    want = truth["facts"]["greenlets"]
    if sorted(got) != sorted(g["address"] for g in want):
        raise Mismatch("greenlets %r, expected %r" % (sorted(hex(a) for a in got),
                                                      sorted(hex(g["address"]) for g in want)))
    for w in want:
        g = got[w["address"]]
        label = "greenlet %r" % w["label"]
        if g["thread"] != w["thread_ident"] or g["state"] != w["state"]:
            raise Mismatch("%s: thread %r state %r, expected thread %r state %r" % (
                label, g["thread"], g["state"], w["thread_ident"], w["state"]))
        try:
            truthcheck.compare_frames(w["frames"], g["stack"], check_qualname=False)
        except Mismatch as e:
            raise Mismatch("%s: %s" % (label, e))
    return len(want)


def check(label, truth, text):
    count = compare(truth, text)
    checks.ok(label, "%d greenlets equal the truth" % count if count else "no greenlet here, none printed")


def main():
    ap = argparse.ArgumentParser()
    debugger_commands.add_arguments(ap)
    args = ap.parse_args()
    label = "%s/greenlets %s `pyautopsy greenlets`" % (args.interpreter, args.debugger)
    failures = 0
    for where in ("core", "live"):
        try:
            if where == "core":
                core, truth = cores.core_and_truth(args.cache, args.interpreter, "greenlets")
                check(label + " (core)", truth, debugger_commands.run_command(args, "pyautopsy greenlets", core=core))
            else:
                with live.parked_scenario(args.python, "greenlets") as (proc, truth):
                    check(label + " (live)", truth,
                          debugger_commands.run_command(args, "pyautopsy greenlets", pid=proc.pid))
                    live.ensure_running(proc)
        except Exception as e:  # a debugger failing to start is a failure too, with its message
            checks.fail("%s (%s)" % (label, where), e)
            failures += 1
    return 1 if failures else 0

if __name__ == "__main__":
    sys.exit(main())
