"""A frame filter that names the Python code each eval-loop frame runs, in plain `bt`.

Rule (README.md, "The frame decorator"): the native frames that run the eval
loop (role "eval_loop", as the engine names them) are matched, innermost first, with groups of
the engine's Python frames, innermost first:
  - a group is one Python frame on 3.10 and older (one eval-loop call per
    frame), and on 3.11+ a run of frames that ends at a frame with
    "entry": true (the first frame that one C-level eval call ran); frames
    after the last entry frame form a last group;
  - first choice: the engine's mixed stack (`--native`), where each run of
    Python frames sits directly before (innermost side of) the eval-loop
    native frame that runs it; that frame is matched to GDB's frame at the
    same pc (the n-th GDB frame at a pc to the engine's n-th: recursive eval
    calls return to one call site). The engine finds eval-loop frames even where a stripped,
    LTO-split build leaves their code without a symbol, so GDB prints `??`
    for them; such a frame is then named as the engine names it.
  - when the engine cannot unwind natively, GDB's own frame names are used:
    GDB frames the engine's library calls eval-loop frames
    (pyautopsy_native_role) are matched in order with the groups above.
The decorated frame's function reads
  `_PyEval_EvalFrameDefault [Python: inner (file.py:12) <- outer (file.py:30)]`.
A thread whose stack cannot be matched (no report, no Python thread for this
LWP) is printed undecorated: `bt` must always work.
"""

import os

import gdb
from gdb.FrameDecorator import FrameDecorator

from pyautopsy_gdb.session import Unavailable

EVAL_LOOP = "eval_loop"


def groups_from_entry_flags(python_frames, one_per_frame):
    """python_frames: frame JSON, innermost first -> list of groups, innermost first."""
    if one_per_frame:
        return [[frame] for frame in python_frames]
    groups = []
    current = []
    for frame in python_frames:
        current.append(frame)
        if frame.get("entry"):
            groups.append(current)
            current = []
    if current:
        groups.append(current)
    return groups


def groups_from_native_frames(frames):
    """With mixed stacks: {pc of an eval-loop native frame: [(the engine's name for
    that frame, its Python frames), per occurrence of that pc, innermost first]}
    (recursive eval calls share a call site's pc).

    The Python frames an eval-loop frame runs sit next to it in the list; the
    run right before it (innermost side) is taken, else the run right after.
    """
    result = {}
    runs = []  # (index of the first frame after the run, frames of the run)
    current = []
    for index, frame in enumerate(frames):
        if frame.get("kind") == "python":
            current.append(frame)
            continue
        if current:
            runs.append((index, current))
            current = []
    used = set()
    for index, frame in enumerate(frames):
        if frame.get("kind") != "native" or frame.get("role") != EVAL_LOOP:
            continue
        address = frame.get("address")
        for run_end, run in runs:
            before = run_end == index
            after = run_end - len(run) == index + 1
            if (before or after) and id(run) not in used and address is not None:
                result.setdefault(address, []).append((frame.get("function"), run))
                used.add(id(run))
                break
    return result


def describe(group):
    parts = []
    for frame in group:
        parts.append("%s (%s:%s)" % (frame.get("qualname") or frame.get("function"),
                                     os.path.basename(frame.get("file") or "?"),
                                     frame.get("line") if frame.get("line") is not None else "?"))
    return "[Python: %s]" % " <- ".join(parts)


class PythonFrameDecorator(FrameDecorator):
    def __init__(self, base, group, engine_name=None):
        super().__init__(base)
        self._group = group
        self._engine_name = engine_name

    def function(self):
        name = super().function()
        if not isinstance(name, str):
            # GDB has no symbol for the pc (a stripped, LTO-split eval loop):
            # the engine identified it, so name it as the engine does.
            name = self._engine_name or "??"
        return "%s %s" % (name, describe(self._group))


class PythonFrameFilter:
    """Registered globally as "pyautopsy"; `disable frame-filter global pyautopsy` turns it off."""

    def __init__(self, session):
        self.name = "pyautopsy"
        self.priority = 100
        self.enabled = True
        self._session = session
        gdb.frame_filters[self.name] = self

    def _plan(self):
        """(groups by pc, or None; groups in eval-frame order) for the selected thread."""
        session = self._session
        if session.library is None and session.load_library() is None:
            return None
        # Reuse a full analysis when a command made one; else read lightly.
        for native in (True, False):
            try:
                analysis = session.analysis(native=native, light=True)
                index = session.selected_thread_index(analysis)
            except (Unavailable, gdb.error):
                continue
            frames = analysis.data["threads"][index]["frames"]
            if native:
                by_pc = groups_from_native_frames(frames)
                if by_pc:
                    return by_pc, []
                continue
            break
        else:
            return None
        python_frames = [f for f in frames if f.get("kind") == "python"]
        version = analysis.data.get("python", {}).get("version", "")
        one_per_frame = _minor(version) is not None and _minor(version) <= 10
        return None, groups_from_entry_flags(python_frames, one_per_frame)

    def filter(self, frame_iter):
        try:
            plan = self._plan()
        except Exception:  # noqa: BLE001 -- never break `bt`
            plan = None
        if plan is None:
            return frame_iter
        return self._decorate(frame_iter, plan)

    def _is_eval_loop(self, name):
        if not isinstance(name, str):
            return False
        return self._session.library.native_role(name.split("(")[0].strip()) == EVAL_LOOP

    def _decorate(self, frame_iter, plan):
        by_pc, ordered = plan
        next_group = 0
        for decorator in frame_iter:
            try:
                name = decorator.function()
            except gdb.error:
                name = None
            if by_pc is not None:
                try:
                    frame = decorator.inferior_frame()
                    # Functions inlined into the eval loop share its pc (with
                    # DWARF GDB shows them as frames): only the real frame counts.
                    pending = None if frame.type() == gdb.INLINE_FRAME else by_pc.get(frame.pc())
                except gdb.error:
                    pending = None
                # GDB and the engine both list frames innermost first, so the
                # n-th GDB frame at a pc is the engine's n-th frame at that pc.
                engine_name, group = pending.pop(0) if pending else (None, None)
                if group:
                    yield PythonFrameDecorator(decorator, group, engine_name)
                    continue
            elif self._is_eval_loop(name):
                group = None
                if next_group < len(ordered):
                    group = ordered[next_group]
                    next_group += 1
                if group:
                    yield PythonFrameDecorator(decorator, group)
                    continue
            yield decorator


def _minor(version):
    try:
        major, minor = version.split(".")[:2]
        return int(minor) if major == "3" else None
    except ValueError:
        return None
