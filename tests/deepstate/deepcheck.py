"""Checks of --locals reprs and threading names against a scenario's truth.

Shared by test_locals.py and test_thread_names.py. Each check raises
Mismatch with the first difference and otherwise returns a count, so the
tests can say how much they compared.
"""

import argparse

from pyautopsy_testing import Mismatch, cores

MAX_REPR_LENGTH = 256      # Limits::maxReprLength
MAX_REPR_DEPTH = 4         # Limits::maxReprDepth
MARKER = "..."


def expected_deep_repr():
    """repr of [[[[[[1]]]]]] with lists below maxReprDepth elided."""
    return "[" * MAX_REPR_DEPTH + "[...]" + "]" * MAX_REPR_DEPTH


def check_truncated(name, want, got):
    if name == "deep":
        if got != expected_deep_repr():
            raise Mismatch("%s: %r, expected %r (depth limit)" % (name, got, expected_deep_repr()))
        return
    if not got.endswith(MARKER) or len(got) > MAX_REPR_LENGTH:
        raise Mismatch("%s: %r is not a truncated repr" % (name, got))
    if not want.startswith(got[:-len(MARKER)]):
        raise Mismatch("%s: %r is not the start of %r" % (name, got, want[:80]))


def compare_locals(truth, report):
    """Every recorded local of every recorded frame; returns the number of values compared."""
    facts = truth["facts"]
    truncated = set(facts.get("truncated", []))
    threads = dict((t["thread_id"], t) for t in report["threads"] if t.get("thread_id") is not None)
    compared = 0
    for ident, frames in facts["locals"].items():
        got_thread = threads.get(int(ident))
        if got_thread is None:
            raise Mismatch("thread %s missing from the report" % ident)
        got_frames = [f for f in got_thread["frames"] if f.get("kind", "python") == "python"]
        if len(got_frames) < len(frames):
            raise Mismatch("thread %s: %d Python frames, expected %d" % (ident, len(got_frames), len(frames)))
        for depth, want in enumerate(frames):
            got = got_frames[depth]
            if got["function"] != want["function"] or got.get("line") != want["line"]:
                raise Mismatch("thread %s frame %d: %s:%s, expected %s:%s" % (
                    ident, depth, got["function"], got.get("line"), want["function"], want["line"]))
            if want["locals"] is None:
                continue
            got_locals = got.get("locals", {})
            where = "thread %s %s()" % (ident, want["function"])
            if set(got_locals) != set(want["locals"]):
                raise Mismatch("%s: names %s, expected %s" % (where, sorted(got_locals), sorted(want["locals"])))
            for name, want_repr in want["locals"].items():
                got_repr = got_locals[name]
                if name in truncated and len(want_repr) > MAX_REPR_LENGTH or name == "deep":
                    check_truncated(name, want_repr, got_repr)
                elif got_repr != want_repr:
                    raise Mismatch("%s: %s = %r, expected %r" % (where, name, got_repr, want_repr))
                compared += 1
    if compared == 0:
        raise Mismatch("the truth records no locals")
    return compared


def compare_names(truth, report):
    """Name and daemon flag of every recorded thread; returns the number of threads."""
    threads = dict((t["thread_id"], t) for t in report["threads"] if t.get("thread_id") is not None)
    for info in truth["threads"]:
        got = threads.get(info["ident"])
        if got is None:
            raise Mismatch("thread %r (%#x) missing from the report" % (info["name"], info["ident"]))
        if got.get("name") != info["name"] or got.get("daemon") != info["daemon"]:
            raise Mismatch("thread %#x: name %r daemon %r, expected %r daemon %r" % (
                info["ident"], got.get("name"), got.get("daemon"), info["name"], info["daemon"]))
        if info.get("native_id") is not None and got.get("native_id") != info["native_id"]:
            raise Mismatch("thread %r: native id %r, expected %r" % (info["name"], got.get("native_id"),
                                                                     info["native_id"]))
    return len(truth["threads"])


def parse_args(description):
    """The command line both deepstate tests take."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("interpreter")
    parser.add_argument("--pyautopsy", required=True)
    parser.add_argument("--python", required=True)
    parser.add_argument("--cache", default=cores.default_cache())
    return parser.parse_args()
