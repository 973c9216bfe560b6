"""Compare what pyautopsy reports with what a process recorded about itself.

A scenario (corefiles/scenarios) writes truth.json just before it dies: every
thread's ident, native id, name and stack as sys._current_frames() saw it.
These helpers check pyautopsy's JSON against it the way a user would: the
right function, file and line, in the right thread, in the right order.
Each raises Mismatch with the first difference.
"""

import json

from pyautopsy_testing import Mismatch


def load_truth(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _describe(frame):
    return "%s (%s:%s)" % (frame.get("function"), frame.get("file"), frame.get("line"))


def compare_frames(expected, actual, check_qualname):
    """Both innermost first. Raises Mismatch with the first difference."""
    if len(expected) != len(actual):
        raise Mismatch("expected %d frames, got %d; innermost expected %s, got %s" % (
            len(expected), len(actual),
            _describe(expected[0]) if expected else "-",
            _describe(actual[0]) if actual else "-"))
    for depth, (want, got) in enumerate(zip(expected, actual)):
        keys = ["function", "file", "line"]
        if check_qualname and want.get("qualname") is not None:
            keys.append("qualname")
        for key in keys:
            if want.get(key) != got.get(key):
                raise Mismatch("frame %d: %s is %r, expected %r (expected %s, got %s)" % (
                    depth, key, got.get(key), want.get(key), _describe(want), _describe(got)))


def compare_report(truth, report, extra_innermost=None):
    """Checks every thread whose recorded stack is final.

    extra_innermost: for live runs where os.abort() was replaced by a parking
    function, the name of that function, expected as one extra innermost
    frame of the committing thread.
    Returns the number of threads checked; raises Mismatch on a difference.
    """
    by_ident = {}
    for thread in report["threads"]:
        if thread.get("thread_id") is not None:
            by_ident[thread["thread_id"]] = thread
    checked = 0
    for info in truth["threads"]:
        ident = info["ident"]
        got = by_ident.get(ident)
        if got is None:
            raise Mismatch("thread %#x (%s) missing from the report" % (ident, info["name"]))
        if info.get("native_id") is not None and got.get("native_id") != info["native_id"]:
            raise Mismatch("thread %s: native id %r, expected %r" % (info["name"], got.get("native_id"),
                                                                     info["native_id"]))
        if got.get("main") != info["main"]:
            raise Mismatch("thread %s: main is %r, expected %r" % (info["name"], got.get("main"), info["main"]))
        if not info.get("stack_final"):
            continue
        frames = got["frames"]
        if extra_innermost is not None and ident == truth["committing_thread"]:
            if not frames or frames[0]["function"] != extra_innermost:
                raise Mismatch("thread %s: expected the parking frame %s innermost" % (info["name"], extra_innermost))
            frames = frames[1:]
        try:
            compare_frames(truth["stacks"][str(ident)], [f for f in frames if f["kind"] == "python"],
                           check_qualname=truth["hexversion"] >= 0x030B0000)
        except Mismatch as e:
            raise Mismatch("thread %s (%#x): %s" % (info["name"], ident, e))
        checked += 1
    return checked


def compare_text_stacks(truth, threads, extra_innermost=None):
    """The stacks a debugger's `py-bt --all` printed, parsed into
    {ident: [{"function", "file", "line"}] innermost first}: every thread
    whose recorded stack is final shows it, function, file and line, frame
    by frame (text has no qualnames). extra_innermost as in compare_report.
    Returns the number of threads checked."""
    checked = 0
    for info in truth["threads"]:
        if not info.get("stack_final"):
            continue
        ident = info["ident"]
        got = threads.get(ident)
        if got is None:
            raise Mismatch("thread %#x (%s) is not shown" % (ident, info["name"]))
        if extra_innermost is not None and ident == truth["committing_thread"]:
            if not got or got[0]["function"] != extra_innermost:
                raise Mismatch("thread %s: expected the parking frame %s innermost" % (info["name"], extra_innermost))
            got = got[1:]
        try:
            compare_frames(truth["stacks"][str(ident)], got, check_qualname=False)
        except Mismatch as e:
            raise Mismatch("thread %s (%#x): %s" % (info["name"], ident, e))
        checked += 1
    return checked


def check_gil_holder(report, expected_ident):
    """Exactly `expected_ident` holds the GIL (None: no thread does).

    A thread that calls os.abort() holds the GIL when it dies; threads blocked
    in lock.acquire() have released it."""
    holders = [t["thread_id"] for t in report["threads"] if t.get("holds_gil")]
    expected = [] if expected_ident is None else [expected_ident]
    if holders != expected:
        raise Mismatch("GIL held by %s, expected %s" % ([hex(h) for h in holders],
                                                        [hex(e) for e in expected] or "no thread"))


def check_attach_state(truth, report, attached_ident):
    """tstate->state of every recorded thread: on 3.13+ `attached_ident`
    (None: no thread) is "attached", every other thread "detached", and the
    status agrees (an attached thread is not waiting for the GIL or detached;
    a detached one is not running Python: the status may say more, from the
    native frames the rules always collect); before 3.13 the field does not
    exist and must be null."""
    by_ident = dict((t["thread_id"], t) for t in report["threads"] if t.get("thread_id") is not None)
    for info in truth["threads"]:
        got = by_ident[info["ident"]]
        if truth["hexversion"] < 0x030D0000:
            if got.get("attach_state") is not None:
                raise Mismatch("thread %s: attach_state %r on a version without tstate->state"
                               % (info["name"], got.get("attach_state")))
            continue
        want = "attached" if info["ident"] == attached_ident else "detached"
        if got.get("attach_state") != want:
            raise Mismatch("thread %s: attach_state %r, expected %r" % (info["name"], got.get("attach_state"), want))
        if got["frames"]:
            allowed = ("running_python", "in_c_call") if want == "attached" else ("detached", "in_c_call",
                                                                                 "waiting_for_gil")
            if got.get("status") not in allowed:
                raise Mismatch("thread %s: status %r, expected one of %r" % (info["name"], got.get("status"), allowed))
