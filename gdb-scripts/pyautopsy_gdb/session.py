"""One analysis per stop of the inferior, and which Python frame is selected.

The engine walks the whole process in one call; the result is cached until
the inferior runs, exits, or its memory or objfiles change, so that py-bt,
py-up and `bt` after it cost one walk. Analyses with different options
(locals, native) are cached side by side. A "light" analysis, made from
inside a frame filter, reads only the selected thread's registers and is
replaced by a full one as soon as a command asks.
"""

import json
import os
import time

import gdb

from pyautopsy_gdb import bridge, capi


class Unavailable(Exception):
    """Why there is nothing to show, as one line for the user."""


class Analysis:
    def __init__(self, report, data, seconds):
        self.report = report  # capi.Report
        self.data = data      # the report's JSON, parsed
        self.seconds = seconds

    def thread_index(self, tid):
        for index, thread in enumerate(self.data["threads"]):
            if thread.get("native_id") == tid:
                return index
        return None

    def python_frames(self, thread_index):
        """[(index in the thread's frames, frame JSON)] of the Python frames, innermost first."""
        frames = self.data["threads"][thread_index]["frames"]
        return [(i, f) for i, f in enumerate(frames) if f.get("kind") == "python"]


class Session:
    def __init__(self, script_dir):
        self.script_dir = script_dir
        self.library = None
        self.library_error = None
        self._cache = {}
        self._generation = 0
        self.selected = {}  # tid -> position among the Python frames of that thread (0 = innermost)
        self.native_marks = {}  # tid -> the gdb.Frame selected when `selected` was last set
        self.log_timings = bool(os.environ.get("PYAUTOPSY_GDB_TIMINGS"))

    # -- the library ---------------------------------------------------------
    def load_library(self, path=None):
        """Loads the library at `path`, or the first candidate that loads."""
        paths = [path] if path else capi.candidate_paths(self.script_dir)
        errors = []
        for candidate in paths:
            if not candidate or not os.path.exists(candidate):
                continue
            try:
                self.library = capi.Library(candidate)
                self.library_error = None
                self.invalidate()
                return self.library
            except (OSError, capi.CapiError) as e:
                errors.append("%s: %s" % (candidate, e))
        self.library_error = ("cannot load %s (%s); build the target pyautopsy_capi, set PYAUTOPSY_LIB, "
                              "or run `pyautopsy-lib PATH`" % (
                                  capi.LIBRARY_NAME, "; ".join(errors) if errors else "not found"))
        return None

    # -- the cache -------------------------------------------------------------
    def invalidate(self, *_args):
        self._cache.clear()
        self.selected.clear()
        self.native_marks.clear()
        self._generation += 1

    def connect_events(self):
        events = gdb.events
        for name in ("cont", "exited", "new_objfile", "clear_objfiles", "memory_changed", "register_changed",
                     "inferior_call", "new_inferior"):
            registry = getattr(events, name, None)
            if registry is not None:
                registry.connect(self.invalidate)
        # A stop after the inferior ran: drop what was read before it ran.
        events.stop.connect(self.invalidate)

    def analysis(self, locals_=False, native=False, light=False, namespaces=False):
        """The cached analysis of the selected inferior, making it if needed.

        Raises Unavailable with the engine's one-line message on failure.
        """
        inferior = gdb.selected_inferior()
        if inferior is None or inferior.pid == 0 or not inferior.threads():
            raise Unavailable("no process: run the program, attach to it, or load a core file")
        if self.library is None and self.load_library() is None:
            raise Unavailable(self.library_error)
        key = (inferior.num, bool(locals_), bool(native), bool(namespaces))
        cached = self._cache.get(key)
        if cached is not None and (light or not cached[1]):
            return cached[0]
        started = time.monotonic()
        link = bridge.Bridge(inferior, all_registers=not light)
        try:
            report = self.library.analyze(link.callbacks, locals_, native, namespaces)
        except capi.CapiError as e:
            raise Unavailable(str(e))
        data = json.loads(report.json())
        result = Analysis(report, data, time.monotonic() - started)
        if self.log_timings:
            gdb.write("pyautopsy: analysis took %.3f s\n" % result.seconds)
        self._cache[key] = (result, light)
        return result

    # -- selection ---------------------------------------------------------------
    @staticmethod
    def selected_tid():
        thread = gdb.selected_thread()
        if thread is None:
            raise Unavailable("no thread selected")
        return thread.ptid[1] or thread.ptid[0]

    def selected_thread_index(self, analysis):
        tid = self.selected_tid()
        index = analysis.thread_index(tid)
        if index is None:
            raise Unavailable("thread %d (LWP %d) runs no Python code that pyautopsy can see" % (
                gdb.selected_thread().num, tid))
        return index
