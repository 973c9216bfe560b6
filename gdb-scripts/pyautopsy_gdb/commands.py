"""The GDB commands. Every line they print about the process comes from the
engine's report code through the C ABI (the CLI's wording); these classes only
choose what to print and keep the selected Python frame.

Each command catches its own failures and prints one line starting with
"pyautopsy:", so a bad pointer or an unknown CPython never raises into GDB.
"""

import linecache
import os

import gdb

from pyautopsy_gdb import capi
from pyautopsy_gdb.session import Unavailable

# Names CPython's own gdb helper (Tools/gdb/libpython.py) also defines.
LIBPYTHON_COMMANDS = ("py-bt", "py-bt-full", "py-list", "py-locals", "py-print", "py-up", "py-down")


def _fail(message):
    gdb.write("pyautopsy: %s\n" % message, gdb.STDERR)


def _guarded(function):
    def run(self, argument, from_tty):
        try:
            function(self, argument, from_tty)
        except Unavailable as e:
            _fail(str(e))
        except capi.CapiError as e:
            _fail(str(e))
        except gdb.error as e:
            _fail(str(e))
        except Exception as e:  # noqa: BLE001 -- a script bug must not take GDB down
            _fail("internal error in the GDB scripts: %s: %s" % (type(e).__name__, e))
    run.__doc__ = function.__doc__
    return run


class _Command(gdb.Command):
    session = None  # set by register()

    def __init__(self, name, command_class=gdb.COMMAND_STACK, prefix=False):
        super().__init__(name, command_class, gdb.COMPLETE_NONE, prefix)


def _level(frame):
    """frame.level(), also on GDBs older than 11, which lack it."""
    try:
        return frame.level()
    except AttributeError:
        level = 0
        newer = frame.newer()
        while newer is not None and level < MAX_GDB_FRAMES:
            newer, level = newer.newer(), level + 1
        return level


def _selected_position(session):
    """Position (0 = innermost) of the selected Python frame of the selected
    thread: where py-up/py-down left it, unless GDB's own up, down or frame N
    selected another frame since; then the Python frame run by the nearest
    eval loop at or outward of GDB's selected frame."""
    tid = session.selected_tid()
    try:
        current = gdb.selected_frame()
    except gdb.error:
        return session.selected.get(tid, 0)
    mark = session.native_marks.get(tid)
    if (current == mark) if mark is not None else _level(current) == 0:
        return session.selected.get(tid, 0)
    levels = _eval_loop_levels(session)
    selected = _level(current)
    position = next((p for p, (level, _frame) in enumerate(levels) if level is not None and level >= selected), None)
    if position is not None:
        session.selected[tid] = position
    session.native_marks[tid] = current
    return session.selected.get(tid, 0)


def _selected_frame(session, analysis, thread_index):
    """(position among Python frames, frame index in the thread, frame JSON) of the selected Python frame."""
    frames = analysis.python_frames(thread_index)
    if not frames:
        raise Unavailable("no Python frames in this thread")
    position = min(_selected_position(session), len(frames) - 1)
    index, frame = frames[position]
    return position, index, frame


def _parse_flags(argument, known, usage):
    """(set of canonical flags given, positional arguments); raises Unavailable on an unknown flag.

    known: {spelling: canonical name}."""
    given, positional = set(), []
    for arg in gdb.string_to_argv(argument):
        if arg.startswith("-") and not arg.lstrip("-").isdigit():
            if arg not in known:
                raise Unavailable("unknown argument %s (usage: %s)" % (arg, usage))
            given.add(known[arg])
        else:
            positional.append(arg)
    return given, positional


class PyBt(_Command):
    """Print the Python stack of the selected thread, most recent call first.

Usage: py-bt [--all|-a] [--native] [--no-source]
Each frame prints as: File "PATH", line N, in FUNCTION, followed by its
source line when the file is readable on this machine (--no-source: not).
Without --all, the stack starts at the Python frame selected with py-up /
py-down, and says how many newer frames it leaves out.
With --all (-a), print every Python thread whole, each with a header naming
its threading ident, native thread id, name, and whether it holds the GIL.
With --native, the native frames are interleaved with the Python frames.
Needs no debug symbols: pyautopsy reads CPython's state from memory."""

    _FLAGS = {"--all": "all", "-a": "all", "--native": "native", "--no-source": "no-source"}

    def __init__(self, name="py-bt", locals_=False):
        super().__init__(name)
        self._locals = locals_
        self._usage = "%s [--all|-a] [--native] [--no-source]" % name

    @_guarded
    def invoke(self, argument, from_tty):
        flags, positional = _parse_flags(argument, self._FLAGS, self._usage)
        if positional:
            raise Unavailable("unexpected argument %s (usage: %s)" % (positional[0], self._usage))
        analysis = self.session.analysis(locals_=self._locals, native="native" in flags)
        source = "no-source" not in flags
        if "all" in flags:
            texts = [analysis.report.thread_text(index, source=source)
                     for index in range(len(analysis.data["threads"]))]
            gdb.write("\n".join(texts) if texts else "No Python threads.\n")
            return
        index = self.session.selected_thread_index(analysis)
        frames = analysis.python_frames(index)
        first = 0
        if frames:
            position = min(_selected_position(self.session), len(frames) - 1)
            first = frames[position][0]
        gdb.write(analysis.report.thread_text(index, most_recent_last=False, source=source, first_frame=first))


class PyBtFull(PyBt):
    """Print the Python stack of the selected thread with each frame's locals.

Usage: py-bt-full [--all|-a] [--native] [--no-source]
Like py-bt, and under each frame its local variables as NAME = REPR."""

    def __init__(self):
        super().__init__("py-bt-full", locals_=True)


class PyList(_Command):
    """List the Python source around the selected Python frame's current line.

Usage: py-list [START [END] | START,END]
Without arguments, five lines either side of the current line (marked >);
with START, ten lines from START; with START and END, those lines.
The source file is read from this machine's file system and decoded by its
declared encoding (PEP 263)."""

    def __init__(self):
        super().__init__("py-list", gdb.COMMAND_FILES)

    @staticmethod
    def _bounds(argument, line):
        text = argument.replace(",", " ").split()
        try:
            numbers = [int(x) for x in text]
        except ValueError:
            numbers = None
        if numbers is None or len(numbers) > 2 or any(n < 0 for n in numbers):
            raise Unavailable("usage: py-list [START [END] | START,END]")
        if not numbers:
            return (line - 5, line + 5) if line else (1, 10)
        if len(numbers) == 1:
            return numbers[0], numbers[0] + 10
        return numbers[0], numbers[1]

    @_guarded
    def invoke(self, argument, from_tty):
        analysis = self.session.analysis()
        thread = self.session.selected_thread_index(analysis)
        _position, index, frame = _selected_frame(self.session, analysis, thread)
        line = frame.get("line")
        path = frame.get("file") or ""
        start, end = self._bounds(argument, line)
        if not os.path.isfile(path):
            raise Unavailable("source file %s is not on this machine" % path)
        gdb.write(analysis.report.frame_text(thread, index, source=False))
        # linecache decodes as Python's tokenizer does: by the PEP 263 declaration.
        linecache.checkcache(path)
        for number in range(max(start, 1), end + 1):
            text = linecache.getline(path, number)
            if not text:
                break
            gdb.write("%s%5d    %s" % (">" if number == line else " ", number, text))


class PyLocals(_Command):
    """Print the local variables of the selected Python frame.

Usage: py-locals [--all|-a]
Values are shown as Python's repr() would show them, read from memory. A
module-level frame's locals are its module's globals. With --all, every
Python frame of the selected thread, innermost first."""

    def __init__(self):
        super().__init__("py-locals", gdb.COMMAND_DATA)

    @_guarded
    def invoke(self, argument, from_tty):
        flags, positional = _parse_flags(argument, {"--all": "all", "-a": "all"}, "py-locals [--all|-a]")
        if positional:
            raise Unavailable("unexpected argument %s (usage: py-locals [--all|-a])" % positional[0])
        analysis = self.session.analysis(locals_=True, namespaces=True)
        thread = self.session.selected_thread_index(analysis)
        if "all" in flags:
            frames = analysis.python_frames(thread)
            if not frames:
                raise Unavailable("no Python frames in this thread")
            for position, (index, _frame) in enumerate(frames):
                gdb.write("#%d %s" % (position, analysis.report.frame_names_text(thread, index).lstrip()))
            return
        _position, index, _frame = _selected_frame(self.session, analysis, thread)
        gdb.write(analysis.report.frame_names_text(thread, index))


class PyPrint(_Command):
    """Print the value of a name as the selected Python frame sees it.

Usage: py-print NAME
Looked up as libpython does: the frame's locals, then its globals, then the
builtins; the line says which (local 'x' = ..., global 'x' = ...,
builtin 'len' = ...), or that a local is unbound, or that it was not found."""

    def __init__(self):
        super().__init__("py-print", gdb.COMMAND_DATA)

    @_guarded
    def invoke(self, argument, from_tty):
        name = argument.strip()
        if not name or len(name.split()) != 1:
            raise Unavailable("usage: py-print NAME")
        analysis = self.session.analysis(locals_=True, namespaces=True)
        thread = self.session.selected_thread_index(analysis)
        _position, index, _frame = _selected_frame(self.session, analysis, thread)
        gdb.write(analysis.report.name_text(thread, index, name))


MAX_GDB_FRAMES = 1 << 16  # GDB frames searched for an eval loop


def _eval_loop_levels(session):
    """[(GDB level, gdb.Frame) or (None, None)] of the eval loop running each
    Python frame of the selected thread, innermost first: the first native
    frame outward of it in the engine's mixed stack, found in GDB's stack by
    its pc (recursive eval calls return to one call site: the engine's n-th
    frame at a pc is GDB's n-th). Empty when the engine has no native frames."""
    try:
        analysis = session.analysis(native=True)
        thread = session.selected_thread_index(analysis)
    except Unavailable:
        return []
    frames = analysis.data["threads"][thread]["frames"]
    seen, occurrence = {}, {}
    for i, f in enumerate(frames):
        if f.get("kind") == "native" and f.get("address") is not None:
            occurrence[i] = seen.get(f["address"], 0)
            seen[f["address"]] = occurrence[i] + 1
    wanted = {}   # (pc, n) -> Python positions
    levels = []
    eval_index = None
    python = [i for i, f in enumerate(frames) if f.get("kind") == "python"]
    for position, index in enumerate(python):
        if eval_index is None or eval_index <= index:
            eval_index = next((i for i in range(index + 1, len(frames))
                               if frames[i].get("kind") == "native" and frames[i].get("role") == "eval_loop"), None)
        levels.append((None, None))
        if eval_index is not None and eval_index in occurrence:
            wanted.setdefault((frames[eval_index]["address"], occurrence[eval_index]), []).append(position)
    if not wanted:
        return levels
    counts = {}
    frame, level = gdb.newest_frame(), 0
    while frame is not None and level < MAX_GDB_FRAMES and wanted:
        if frame.type() != gdb.INLINE_FRAME:
            n = counts.get(frame.pc(), 0)
            counts[frame.pc()] = n + 1
            for position in wanted.pop((frame.pc(), n), ()):
                levels[position] = (level, frame)
        frame, level = frame.older(), level + 1
    return levels


def _select_eval_loop_frame(session, position):
    """Selects GDB's frame of the eval loop that runs Python frame `position`
    (0 = innermost) of the selected thread; returns its level, or None when
    the engine's native frames do not tie it to one."""
    levels = _eval_loop_levels(session)
    if position >= len(levels) or levels[position][0] is None:
        return None
    level, frame = levels[position]
    frame.select()
    return level


class _Move(_Command):
    def __init__(self, name, step):
        super().__init__(name)
        self._step = step

    @_guarded
    def invoke(self, argument, from_tty):
        analysis = self.session.analysis()
        thread = self.session.selected_thread_index(analysis)
        frames = analysis.python_frames(thread)
        if not frames:
            raise Unavailable("no Python frames in this thread")
        count = argument.strip() or "1"
        if not count.isdigit() or int(count) == 0:
            raise Unavailable("usage: %s [N]" % ("py-up" if self._step > 0 else "py-down"))
        tid = self.session.selected_tid()
        current = min(_selected_position(self.session), len(frames) - 1)
        if current + self._step < 0 or current + self._step >= len(frames):
            # libpython's words, on stdout, as its users' scripts expect them.
            gdb.write("Unable to find %s python frame\n" % ("a newer" if self._step < 0 else "an older"))
            return
        # Like the debuggers' own up N/down N: as far as there are frames.
        position = min(max(current + self._step * int(count), 0), len(frames) - 1)
        self.session.selected[tid] = position
        index, _frame = frames[position]
        gdb.write("#%d %s" % (position, analysis.report.frame_text(thread, index).lstrip()))
        level = _select_eval_loop_frame(self.session, position)
        # What GDB has selected now stands for this Python frame, until the user selects another.
        self.session.native_marks[tid] = gdb.selected_frame()
        if level is not None:
            gdb.write("  (GDB frame #%d selected: the eval loop running it)\n" % level)


class PyUp(_Move):
    """Select the Python frame that called the selected one (older).

Usage: py-up [N]
py-bt, py-list, py-locals and py-print then start from that frame. At the
oldest frame it says "Unable to find an older python frame"."""

    def __init__(self):
        super().__init__("py-up", +1)


class PyDown(_Move):
    """Select the Python frame the selected one called (newer).

Usage: py-down [N]
At the newest frame it says "Unable to find a newer python frame"."""

    def __init__(self):
        super().__init__("py-down", -1)


class Pyautopsy(_Command):
    """pyautopsy: why did this Python process crash or hang?

Usage: pyautopsy SUBCOMMAND
Subcommands:
  threads                 one line per Python thread (ident, native id, name, GIL)
  report [--json] [--locals] [--native] [--no-source]
                          everything the pyautopsy CLI shows, as text or JSON
  gc, runtime             runtime, finalization, GC, atexit and refcount state
  diagnose                why the process crashed or hung: findings with evidence
  tasks                   asyncio: each event loop's tasks, what they await, their coroutine stacks
  greenlets               each thread's greenlets: the running one, and each suspended one's stack
  lib [PATH]              show (or load) the libpyautopsy.so in use"""

    def __init__(self):
        super().__init__("pyautopsy", gdb.COMMAND_STATUS)

    @_guarded
    def invoke(self, argument, from_tty):
        args = gdb.string_to_argv(argument)
        if not args:
            raise Unavailable("usage: pyautopsy threads|report [--json]|lib [PATH] (see `help pyautopsy`)")
        command, rest = args[0], args[1:]
        if command == "threads":
            analysis = self.session.analysis()
            if not analysis.data["threads"]:
                gdb.write("No Python threads.\n")
            for index in range(len(analysis.data["threads"])):
                gdb.write(analysis.report.thread_header_text(index))
        elif command == "report":
            unknown = [a for a in rest if a not in ("--json", "--locals", "--native", "--no-source")]
            if unknown:
                raise Unavailable("unknown argument %s (usage: pyautopsy report [--json] [--locals] [--native] "
                                  "[--no-source])" % unknown[0])
            analysis = self.session.analysis(locals_="--locals" in rest, native="--native" in rest)
            if "--json" in rest:
                gdb.write(analysis.report.json(2) + "\n")
            else:
                gdb.write(analysis.report.text(most_recent_last=True, source="--no-source" not in rest))
        elif command in ("gc", "runtime"):
            gdb.write(self.session.analysis().report.state_text())
        elif command == "diagnose":
            # Every analysis gives the rules native frames and locals (the engine collects them).
            gdb.write(self.session.analysis().report.diagnosis_text())
        elif command == "tasks":
            gdb.write(self.session.analysis().report.asyncio_text() or "No asyncio tasks.\n")
        elif command == "greenlets":
            gdb.write(self.session.analysis().report.greenlets_text() or "No greenlets.\n")
        elif command == "lib":
            load_library_command(self.session, rest[0] if rest else None)
        else:
            raise Unavailable("unknown subcommand %s (see `help pyautopsy`)" % command)


def load_library_command(session, path):
    if path:
        if session.load_library(os.path.expanduser(path)) is None:
            raise Unavailable(session.library_error)
    elif session.library is None and session.load_library() is None:
        raise Unavailable(session.library_error)
    gdb.write("pyautopsy: using %s (C ABI version %d)\n" % (session.library.path, session.library.version))


class PyautopsyLib(_Command):
    """Load libpyautopsy.so from PATH, or show which one is in use.

Usage: pyautopsy-lib [PATH]
Without this, the scripts look in $PYAUTOPSY_LIB, then the path the build
wrote next to them, then ../build*/core/capi/ beside gdb-scripts/."""

    def __init__(self):
        super().__init__("pyautopsy-lib", gdb.COMMAND_SUPPORT)

    @_guarded
    def invoke(self, argument, from_tty):
        load_library_command(self.session, argument.strip() or None)


ALL_COMMANDS = (PyBt, PyBtFull, PyList, PyLocals, PyPrint, PyUp, PyDown, Pyautopsy, PyautopsyLib)


def register(session):
    _Command.session = session
    return [command() for command in ALL_COMMANDS]
