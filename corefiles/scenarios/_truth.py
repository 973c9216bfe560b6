"""Ground truth recorded from inside a scenario process.

A scenario builds a Truth, parks its threads, and commits the truth just
before it dies (or hangs).  The JSON file it writes is what tests compare a
core file or a live process against, so the rules are strict:

* Threads that must appear in a core with an exact stack call
  ``truth.arrive()`` on the line right before the blocking call, and the
  committing thread waits (``wait_parked``) until every one of them is
  observed on that blocking line.  Their stacks cannot change after that.
* The committing thread records its own stack with the line of its *next*
  line (``commit(delta=1)``): the scenario puts the call that kills or
  blocks the process right after the commit, so the recorded innermost line
  is the line a reader will see.
* A thread that is not parked is still recorded, with ``stack_final: false``.

Writes are atomic (temporary file, fsync, rename), so a reader never sees a
half-written truth even if the process is killed a moment later.

Runs unchanged under CPython 3.8 to 3.15: stdlib only, no newer syntax.
"""

import atexit
import gc
import json
import os
import sys
import threading
import time

SCHEMA = 1

# Environment variables that change what a core looks like; recorded verbatim.
_ENV_KEYS = ("PYTHONMALLOC", "PYTHONFAULTHANDLER", "PYTHONDEVMODE",
             "PYTHONHASHSEED", "PYTHONGC", "PYTHON_GIL", "PYTHONTRACEMALLOC")

# Bound on every frame walk, so that a corrupt or absurdly deep stack cannot
# make the recorder itself hang.
_MAX_FRAMES = 200000


def _frame_list(frame):
    """Frames innermost first, as plain dicts."""
    out = []
    while frame is not None and len(out) < _MAX_FRAMES:
        code = frame.f_code
        out.append({
            "function": code.co_name,
            "qualname": getattr(code, "co_qualname", None),
            "file": code.co_filename,
            "line": frame.f_lineno,
        })
        frame = frame.f_back
    return out


def _native_id(thread):
    return getattr(thread, "native_id", None)


class Truth(object):
    """Collects and writes the truth of one process.

    role "main" writes to $PYAUTOPSY_TRUTH (default ./truth.json); any other
    role (a forked worker or child) writes truth.<pid>.json beside it.
    """

    def __init__(self, scenario, role="main"):
        self.scenario = scenario
        self.role = role
        self.facts = {}
        self.after = {}
        self.applicable = True
        self.why = None
        self.atexit_names = []
        self._arrivals = {}     # ident -> (code object, line)
        self._final = set()     # idents whose recorded stack is final
        self._record = None
        base = os.environ.get("PYAUTOPSY_TRUTH") or os.path.abspath("truth.json")
        if role != "main":
            stem = base[:-5] if base.endswith(".json") else base
            base = "%s.%d.json" % (stem, os.getpid())
        self.path = base
        # Keep what a commit needs reachable even while modules are being
        # torn down (finalization scenarios commit from a __del__).
        self._dumps = json.dumps
        self._open = open
        self._fsync = os.fsync
        self._replace = os.replace
        self._getpid = os.getpid

    # -- facts ---------------------------------------------------------------

    def not_applicable(self, why):
        """The failure family cannot happen on this interpreter."""
        self.applicable = False
        self.why = why

    def register_atexit(self, func, *args):
        """atexit.register, remembering the function's name for the truth."""
        atexit.register(func, *args)
        self.atexit_names.append(getattr(func, "__qualname__", func.__name__))

    # -- parking -------------------------------------------------------------

    def arrive(self, delta=1):
        """Called by a thread right before it blocks forever.

        The blocking call must be ``delta`` lines below this call, in the
        same function.
        """
        frame = sys._getframe(1)
        ident = threading.get_ident()
        self._arrivals[ident] = (frame.f_code, frame.f_lineno + delta)

    def expect_arrivals(self, count, timeout=30.0):
        """Wait until ``count`` threads have called arrive()."""
        deadline = time.monotonic() + timeout
        while len(self._arrivals) < count:
            if time.monotonic() > deadline:
                raise RuntimeError("only %d of %d threads arrived"
                                   % (len(self._arrivals), count))
            time.sleep(0.005)

    def wait_parked(self, timeout=30.0):
        """Wait until every arrived thread sits on its blocking line."""
        deadline = time.monotonic() + timeout
        while True:
            frames = sys._current_frames()
            pending = []
            for ident, (code, line) in list(self._arrivals.items()):
                f = frames.get(ident)
                if f is None or f.f_code is not code or f.f_lineno != line:
                    pending.append(ident)
                else:
                    self._final.add(ident)
            del frames
            if not pending:
                return
            if time.monotonic() > deadline:
                raise RuntimeError("threads never parked: %r" % (pending,))
            time.sleep(0.005)

    def wait_blocked(self, ident, functions, samples=4, interval=0.05,
                     timeout=30.0):
        """Wait until thread ``ident`` is blocked in one of ``functions``.

        For threads that block inside library code (join, waitpid), where no
        arrive() line can be named: the innermost frame must be one of the
        given function names and the whole stack must stay the same over
        several samples.  Once true, the thread is blocked in C.
        """
        deadline = time.monotonic() + timeout
        last, same = None, 0
        while True:
            f = sys._current_frames().get(ident)
            now = _frame_list(f) if f is not None else None
            del f
            if now and now[0]["function"] in functions and now == last:
                same += 1
                if same >= samples:
                    self._final.add(ident)
                    return now
            else:
                same = 0
            last = now
            if time.monotonic() > deadline:
                raise RuntimeError("thread %d never blocked in %r"
                                   % (ident, functions))
            time.sleep(interval)

    def commit_when_blocked(self, ident, functions):
        """Commit from a watcher thread once thread ``ident`` is blocked in
        one of ``functions`` (see wait_blocked).

        For a thread that blocks in library code and so cannot commit from
        its own frame (a main thread in join(), or in atexit's waitpid).
        The watcher, a daemon thread named "truth-watcher", then parks on
        the line after its own commit, so its stack is final too.
        """
        def watch():
            self.wait_blocked(ident, functions)
            lock = held_lock()
            self.commit()
            lock.acquire()
        t = threading.Thread(target=watch, name="truth-watcher")
        t.daemon = True
        t.start()
        return t

    # -- recording -----------------------------------------------------------

    def _collect(self, delta, frame, final):
        me = threading.get_ident()
        frames = sys._current_frames()
        stacks = {}
        for ident, f in frames.items():
            if ident == me:
                continue
            stacks[str(ident)] = _frame_list(f)
        del frames
        own = _frame_list(frame)
        if delta is not None and own:
            own[0]["line"] = frame.f_lineno + delta
        stacks[str(me)] = own

        main = threading.main_thread()
        threads = []
        for t in threading.enumerate():
            threads.append({
                "ident": t.ident,
                "native_id": _native_id(t),
                "name": t.name,
                "daemon": t.daemon,
                "main": t is main,
                "stack_final": (t.ident in self._final
                                or (t.ident == me and final)),
            })

        facts = {
            "gc_count": list(gc.get_count()),
            "gc_threshold": list(gc.get_threshold()),
            "gc_enabled": gc.isenabled(),
            "is_finalizing": sys.is_finalizing(),
            "trace": type(sys.gettrace()).__name__,
            "profile": type(sys.getprofile()).__name__,
            "recursion_limit": sys.getrecursionlimit(),
            "switch_interval": sys.getswitchinterval(),
            "atexit": list(self.atexit_names),
        }
        if delta is not None:
            facts["crash_thread"] = me
            facts["crash_function"] = frame.f_code.co_name
            facts["crash_file"] = frame.f_code.co_filename
            facts["crash_line"] = frame.f_lineno + delta
        facts.update(self.facts)

        return {
            "schema": SCHEMA,
            "scenario": self.scenario,
            "role": self.role,
            "applicable": self.applicable,
            "why": self.why,
            "pid": self._getpid(),
            "ppid": os.getppid(),
            "version": sys.version,
            "hexversion": sys.hexversion,
            "implementation": sys.implementation.name,
            "debug": hasattr(sys, "gettotalrefcount"),
            "executable": sys.executable,
            "argv": list(sys.argv),
            "env": dict((k, os.environ[k]) for k in _ENV_KEYS
                        if k in os.environ),
            "main_thread": main.ident,
            "committing_thread": me,
            "threads": threads,
            "stacks": stacks,
            "facts": facts,
            "after": {},
        }

    def _write(self):
        record = dict(self._record)
        record["applicable"] = self.applicable
        record["why"] = self.why
        record["after"] = dict(self.after)
        data = self._dumps(record, indent=1, sort_keys=True,
                           ensure_ascii=False).encode("utf-8")
        tmp = "%s.tmp.%d" % (self.path, self._getpid())
        f = self._open(tmp, "wb")
        try:
            f.write(data)
            f.flush()
            self._fsync(f.fileno())
        finally:
            f.close()
        self._replace(tmp, self.path)

    def commit(self, delta=1, frame=None, final=None):
        """Record every thread now and write the truth file.

        ``delta`` is the distance, in lines, from the caller's commit() line
        to the call that kills or blocks this thread; the caller's innermost
        frame is recorded on that line.  Pass ``delta=None`` when this thread
        goes on running.  ``final`` says whether this thread's recorded stack
        is the one a core will show; by default it is when ``delta`` is given
        (pass final=False when the call on that line goes deeper first, as a
        runaway recursion does).
        """
        if frame is None:
            frame = sys._getframe(1)
        if final is None:
            final = delta is not None
        self._record = self._collect(delta, frame, final)
        del frame
        self._write()

    def update(self, **after):
        """Add facts learnt after the commit (outcome, exit codes) under
        "after"; the committed stacks are left as they were."""
        self.after.update(after)
        if self._record is not None:
            self._write()


def go_fd():
    """A file descriptor to read one byte from before going on.

    The generator passes the read end of a pipe in $PYAUTOPSY_GO_FD and
    writes one byte once it has taken its gcore cores.  Without it (a test
    running the scenario itself) the byte is already there.  Scenarios call
    ``os.read(fd, 1)`` themselves, on the line after their commit, so that
    the blocking line is in their own frame.
    """
    fd = os.environ.get("PYAUTOPSY_GO_FD")
    if fd is not None:
        return int(fd)
    r, w = os.pipe()
    os.write(w, b"g")
    os.close(w)
    return r


def held_lock():
    """A lock that is already held: a thread parks on ``lock.acquire()``,
    a C call that never returns, written on its own line in its own frame."""
    lock = threading.Lock()
    lock.acquire()
    return lock
