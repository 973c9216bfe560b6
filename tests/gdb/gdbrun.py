"""Runs the real GDB with gdb-scripts/pyautopsy.py and splits its output per command.

Each command's output is framed by `echo` markers, so a test can read what
py-bt --all printed, parse what `pyautopsy report --json` printed, and look at
`bt`, from one GDB session (one core load, one attach).
"""

import json
import os
import re
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SCRIPT = os.path.join(ROOT, "gdb-scripts", "pyautopsy.py")
MARK = "@@pyautopsy-test@@"


class GdbResult:
    def __init__(self, code, sections, output, seconds):
        self.code = code
        self.sections = sections  # label -> text that command printed (stdout and stderr)
        self.output = output
        self.seconds = seconds

    def json(self, label):
        text = self.sections.get(label, "")
        start = text.find("{")
        if start < 0:
            raise ValueError("no JSON in the output of %s: %s" % (label, text.strip()[:300]))
        return json.loads(text[start:])


def run_gdb(target_args, commands, library, source_ours=True, pre_commands=(), timeout=180):
    """commands: [(label, gdb command)]; target_args: e.g. [EXE, CORE] or ["-p", PID]."""
    argv = ["gdb", "-batch", "-nx"]
    for command in pre_commands:
        argv += ["-iex", command]
    if source_ours:
        argv += ["-ex", "source " + SCRIPT]
    for label, command in commands:
        argv += ["-ex", "echo %s %s\\n" % (MARK, label), "-ex", command]
    argv += ["-ex", "echo %s end\\n" % MARK]
    argv += list(target_args)
    env = dict(os.environ, PYAUTOPSY_LIB=library) if library else dict(os.environ)
    env.pop("DEBUGINFOD_URLS", None)  # never download symbols during a test
    started = time.monotonic()
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                          env=env, timeout=timeout)
    seconds = time.monotonic() - started
    output = proc.stdout.decode("utf-8", "replace")
    sections = {}
    label = None
    for line in output.splitlines(keepends=True):
        if line.startswith(MARK):
            label = line[len(MARK):].strip()
            sections[label] = ""
        elif label is not None:
            sections[label] += line
    return GdbResult(proc.returncode, sections, output, seconds)


_FRAME = re.compile(r'^\s*File "(.*)", line (\S+), in (.*)$')
_HEADER = re.compile(r"^Thread (0x[0-9a-f]+|\?) \(")


def parse_text_threads(text):
    """py-bt --all text -> {ident: [(file, line, function)] innermost first}."""
    threads = {}
    current = None
    for line in text.splitlines():
        header = _HEADER.match(line)
        if header:
            current = threads.setdefault(int(header.group(1), 16) if header.group(1) != "?" else None, [])
            continue
        if line and not line[0].isspace() and not line.startswith(("Stack ", "Traceback ")):
            current = None   # another section of the report (e.g. the asyncio tasks) starts
            continue
        frame = _FRAME.match(line)
        if frame and current is not None:
            number = frame.group(2)
            current.append((frame.group(1), int(number) if number.isdigit() else None, frame.group(3)))
    return threads


def compare_text(truth, text, extra_innermost=None):
    """Every final thread's stack in the text equals the truth; returns the count checked or raises ValueError."""
    threads = parse_text_threads(text)
    checked = 0
    for info in truth["threads"]:
        if not info.get("stack_final"):
            continue
        ident = info["ident"]
        got = threads.get(ident)
        if got is None:
            raise ValueError("py-bt --all shows no thread %#x (%s)" % (ident, info["name"]))
        if extra_innermost is not None and ident == truth["committing_thread"]:
            if not got or got[0][2] != extra_innermost:
                raise ValueError("thread %s: expected %s innermost in py-bt --all" % (info["name"], extra_innermost))
            got = got[1:]
        want = [(f["file"], f["line"], f["function"]) for f in truth["stacks"][str(ident)]]
        if got != want:
            for depth, (a, b) in enumerate(zip(want, got)):
                if a != b:
                    raise ValueError("thread %s frame %d: py-bt --all shows %r, expected %r" % (
                        info["name"], depth, b, a))
            raise ValueError("thread %s: py-bt --all shows %d frames, expected %d" % (info["name"], len(got),
                                                                                     len(want)))
        checked += 1
    return checked


_DECORATED = re.compile(r"_PyEval_EvalFrameDefault \[Python: (.*?)\]")


def check_decorated_bt(truth, bt_text, extra_innermost=None):
    """`bt` of the crashing thread: its innermost eval-loop frame names the innermost Python function."""
    match = _DECORATED.search(bt_text)
    if not match:
        raise ValueError("bt shows no decorated _PyEval_EvalFrameDefault frame:\n%s" % bt_text[:2000])
    stack = truth["stacks"][str(truth["committing_thread"])]
    want = extra_innermost or "%s (%s:%s)" % (stack[0].get("qualname") or stack[0]["function"],
                                             os.path.basename(stack[0]["file"]), stack[0]["line"])
    first = match.group(1).split(" <- ")[0]
    if not first.startswith(want):
        raise ValueError("bt's innermost decorated eval frame names %r, expected %r" % (first, want))
    return match.group(0)


def check_selected_thread(truth, text, extra_innermost=None):
    """py-bt of the selected thread (the crashing one in a core) shows exactly its stack."""
    crashed = truth["committing_thread"]
    only = {"threads": [t for t in truth["threads"] if t["ident"] == crashed],
            "stacks": truth["stacks"], "committing_thread": crashed}
    gdbrun_threads = parse_text_threads(text)
    if len(gdbrun_threads) != 1:
        raise ValueError("py-bt shows %d threads, expected only the selected one" % len(gdbrun_threads))
    compare_text(only, text, extra_innermost)
    return "%d frames of the selected thread match" % len(truth["stacks"][str(crashed)])


def without_gdb_warnings(text):
    """Lines of a command's output, without GDB's own warnings (e.g. short xstate notes in cores)."""
    return [line for line in text.strip().splitlines() if not line.startswith("warning:")]
