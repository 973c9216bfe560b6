"""Checks of `--native` reports shared by the core and live tests.

A report's frames are innermost first, each with "kind" "native" or
"python". The interpreter's eval loop is _PyEval_EvalFrameDefault (or a
compiler-split part of it, "_PyEval_EvalFrameDefault.cold").
"""

from pyautopsy_testing import Mismatch

# What libc may show inside abort(), by glibc version: raise, gsignal, the
# pthread_kill family, or an unnamed static function of libc.
LIBC_INSIDE_ABORT = {"raise", "gsignal", "pthread_kill", "__pthread_kill_implementation",
                     "__pthread_kill_internal", "__GI_raise", "__GI_abort", ""}


def is_eval_loop(frame):
    name = frame.get("function") or ""
    return frame["kind"] == "native" and (name == "_PyEval_EvalFrameDefault" or
                                          name.startswith("_PyEval_EvalFrameDefault."))


def python_only(report):
    """The report with native frames filtered out, as truthcheck.compare_report reads it."""
    threads = [dict(t, frames=[f for f in t["frames"] if f["kind"] == "python"]) for t in report["threads"]]
    return dict(report, threads=threads)


def main_thread(report):
    for thread in report["threads"]:
        if thread.get("main"):
            return thread
    raise Mismatch("no main thread in the report")


def check_abort_then_eval(thread, innermost="abort", max_depth=6):
    """abort (or `innermost`) within the innermost frames, only libc frames
    inside it, and an eval-loop frame further out. Returns the native names
    from the innermost frame to the first eval-loop frame."""
    frames = thread["frames"]
    names = []
    for depth, frame in enumerate(frames):
        if frame["kind"] != "native":
            raise Mismatch("a Python frame (%s) before %s, at depth %d" % (frame["function"], innermost, depth))
        names.append(frame["function"])
        if frame["function"] == innermost:
            break
        if depth + 1 >= max_depth:
            raise Mismatch("no %s among the %d innermost frames: %s" % (innermost, max_depth, names))
        if innermost == "abort" and ("libc" not in frame["file"] or frame["function"] not in LIBC_INSIDE_ABORT):
            raise Mismatch("frame %r (%s) inside abort is not libc's" % (frame["function"], frame["file"]))
    else:
        raise Mismatch("no %s frame at all" % innermost)
    for frame in frames[len(names):]:
        if frame["kind"] == "native":
            names.append(frame["function"])
        if is_eval_loop(frame):
            return names
    raise Mismatch("no eval-loop frame below %s: %s" % (innermost, names))


def check_interleaving(report, one_frame_per_eval):
    """Every run of Python frames is directly above an eval-loop native frame,
    and no thread has a note about unmatched groups. Returns the run count."""
    runs = 0
    for thread in report["threads"]:
        label = "thread %s" % (thread.get("name") or thread.get("native_id"))
        for note in thread["notes"]:
            if "eval-loop" in note:
                raise Mismatch("%s: %s" % (label, note))
        frames = thread["frames"]
        if thread.get("thread_id") is None:
            if any(f["kind"] == "python" for f in frames):
                raise Mismatch("%s has no thread state but Python frames" % label)
            continue
        if not any(f["kind"] == "native" for f in frames):
            raise Mismatch("%s has no native frames" % label)
        i = 0
        while i < len(frames):
            if frames[i]["kind"] != "python":
                i += 1
                continue
            start = i
            while i < len(frames) and frames[i]["kind"] == "python":
                i += 1
            runs += 1
            if i == len(frames) or not is_eval_loop(frames[i]):
                below = frames[i]["function"] if i < len(frames) else "nothing"
                raise Mismatch("%s: Python frames %s..%s are above %r, not the eval loop" % (
                    label, frames[start]["function"], frames[i - 1]["function"], below))
            if one_frame_per_eval and i - start != 1:
                raise Mismatch("%s: %d Python frames above one eval-loop frame (expected 1)" % (
                    label, i - start))
    return runs


def check_status(report, expected_by_ident):
    for thread in report["threads"]:
        want = expected_by_ident.get(thread.get("thread_id"))
        if want is not None and thread.get("status") != want:
            raise Mismatch("thread %s: status %r, expected %r" % (thread.get("name"), thread.get("status"), want))
