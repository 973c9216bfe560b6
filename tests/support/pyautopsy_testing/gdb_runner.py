"""Runs the real GDB with gdb-scripts/pyautopsy.py and splits its output per command.

Each command's output is framed by `echo` markers, so a test can read what
py-bt --all printed, parse what `pyautopsy report --json` printed, and look at
`bt`, from one GDB session (one core load, one attach). SESSION and
session_checks() are what gdb-core and gdb-live both run and check.
"""

import json
import os
import re
import subprocess
import time

from pyautopsy_testing import ROOT, Mismatch, environment
from pyautopsy_testing.truthcheck import compare_report, compare_text_stacks

SCRIPT = os.path.join(ROOT, "gdb-scripts", "pyautopsy.py")
MARK = "@@pyautopsy-test@@"

# (label, command) of one session: the selected thread's stack, every
# thread's, the JSON report, and GDB's own bt with our frame decorator.
SESSION = [("py-bt", "py-bt"), ("py-bt-all", "py-bt --all"), ("json", "pyautopsy report --json"), ("bt", "bt")]


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
            raise Mismatch("no JSON in the output of %s: %s" % (label, text.strip()[:300]))
        return json.loads(text[start:])


def run_gdb(target_args, commands, library, source_ours=True, pre_commands=(), timeout=180, script=SCRIPT):
    """commands: [(label, gdb command)]; target_args: e.g. [EXE, CORE] or ["-p", PID].
    library: the libpyautopsy.so to use ($PYAUTOPSY_LIB), or None to let the
    script find its own; script: which copy of pyautopsy.py to source."""
    argv = ["gdb", "-batch", "-nx"]
    for command in pre_commands:
        argv += ["-iex", command]
    if source_ours:
        argv += ["-ex", "source " + script]
    for label, command in commands:
        argv += ["-ex", "echo %s %s\\n" % (MARK, label), "-ex", command]
    argv += ["-ex", "echo %s end\\n" % MARK]
    argv += list(target_args)
    env = environment.for_target(PYAUTOPSY_LIB=library) if library else environment.for_target()
    if not library:
        env.pop("PYAUTOPSY_LIB", None)
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
# traceback's collapsed run of identical frame lines (TextReport.cpp).
REPEATED = re.compile(r"^\s*\[Previous line repeated (\d+) more times?\]$")
_HEADER = re.compile(r"^Thread (0x[0-9a-f]+|\?) \(")


def parse_text_threads(text):
    """py-bt --all text -> {ident: [{"file", "line", "function"}] innermost first}."""
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
        repeated = REPEATED.match(line)
        if repeated and current:
            current.extend(dict(current[-1]) for _ in range(int(repeated.group(1))))
            continue
        frame = _FRAME.match(line)
        if frame and current is not None:
            number = frame.group(2)
            current.append({"file": frame.group(1), "line": int(number) if number.isdigit() else None,
                            "function": frame.group(3)})
    return threads


def compare_text(truth, text, extra_innermost=None):
    """Every final thread's stack in py-bt --all's text equals the truth; returns the count checked."""
    return compare_text_stacks(truth, parse_text_threads(text), extra_innermost)


_DECORATED = re.compile(r"_PyEval_EvalFrameDefault \[Python: (.*?)\]")


def check_decorated_bt(truth, bt_text, extra_innermost=None):
    """`bt` of the crashing thread: its innermost eval-loop frame names the innermost Python function."""
    match = _DECORATED.search(bt_text)
    if not match:
        raise Mismatch("bt shows no decorated _PyEval_EvalFrameDefault frame:\n%s" % bt_text[:2000])
    stack = truth["stacks"][str(truth["committing_thread"])]
    want = extra_innermost or "%s (%s:%s)" % (stack[0].get("qualname") or stack[0]["function"],
                                             os.path.basename(stack[0]["file"]), stack[0]["line"])
    first = match.group(1).split(" <- ")[0]
    if not first.startswith(want):
        raise Mismatch("bt's innermost decorated eval frame names %r, expected %r" % (first, want))
    return match.group(0)


def check_selected_thread(truth, text, extra_innermost=None):
    """py-bt of the selected thread (the crashing one in a core) shows exactly its stack."""
    crashed = truth["committing_thread"]
    only = {"threads": [t for t in truth["threads"] if t["ident"] == crashed],
            "stacks": truth["stacks"], "committing_thread": crashed}
    threads = parse_text_threads(text)
    if len(threads) != 1:
        raise Mismatch("py-bt shows %d threads, expected only the selected one" % len(threads))
    compare_text_stacks(only, threads, extra_innermost)
    return "%d frames of the selected thread match" % len(truth["stacks"][str(crashed)])


def session_checks(truth, result, extra_innermost=None):
    """[(name, check)] of one SESSION's output against the truth; extra_innermost
    is the parking frame of a live process (truthcheck.compare_report)."""
    return [
        ("py-bt --all", lambda: "%d threads match" % compare_text(
            truth, result.sections.get("py-bt-all", ""), extra_innermost)),
        ("report --json", lambda: "%d threads match" % compare_report(
            truth, result.json("json"), extra_innermost)),
        ("py-bt", lambda: check_selected_thread(truth, result.sections.get("py-bt", ""), extra_innermost)),
        ("bt decorator", lambda: check_decorated_bt(truth, result.sections.get("bt", ""), extra_innermost)),
    ]


def without_gdb_warnings(text):
    """Lines of a command's output, without GDB's own warnings (e.g. short xstate notes in cores)."""
    return [line for line in text.strip().splitlines() if not line.startswith("warning:")]
