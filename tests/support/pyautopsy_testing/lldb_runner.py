"""Runs the real LLDB in batch mode with the plugin and splits its output per command.

`lldb -b -o CMD ...` echoes each command as "(lldb) CMD" before its output;
run_lldb returns, for each command given, the text it printed.
"""

import json
import re
import subprocess

from pyautopsy_testing import Mismatch, environment
from pyautopsy_testing.truthcheck import compare_text_stacks

PROMPT = "(lldb) "


class LldbError(Mismatch):
    """LLDB stopped before a command, or a command reported an error."""


def run_lldb(lldb, plugin, commands, pre=(), timeout=120):
    """pre: LLDB options before the commands (e.g. ["-p", PID]). Returns {command: output}."""
    return dict(run_lldb_in_order(lldb, plugin, commands, pre, timeout))


def run_lldb_in_order(lldb, plugin, commands, pre=(), timeout=120):
    """As run_lldb, but [(command, output)] in the order run: a command given
    twice keeps both outputs."""
    argv = [lldb, "--no-lldbinit", "-b"] + list(pre) + ["-o", "plugin load " + plugin]
    for command in commands:
        argv += ["-o", command]
    try:
        proc = subprocess.run(argv, capture_output=True, timeout=timeout, env=environment.for_target())
    except subprocess.TimeoutExpired:
        raise LldbError("lldb did not finish in %d s: %s" % (timeout, " ".join(argv)))
    text = proc.stdout.decode("utf-8", "replace")
    outputs = []
    for line in text.splitlines(keepends=True):
        if line.startswith(PROMPT):
            outputs.append([line[len(PROMPT):].rstrip("\n"), ""])
        elif outputs:
            outputs[-1][1] += line
    ran = [command for command, _output in outputs]
    missing = [c for c in commands if c not in ran]
    errors = proc.stderr.decode("utf-8", "replace").strip()
    if missing:
        raise LldbError("lldb exited %d before %r; stderr: %s" % (proc.returncode, missing[0], errors[-2000:]))
    if errors:
        # Our commands report failures as "error: py-bt: ..." on stderr.
        for line in errors.splitlines():
            if line.startswith("error:"):
                raise LldbError(line)
    return [tuple(pair) for pair in outputs]


def parse_json(output):
    """The JSON a command printed (`pyautopsy report --json`)."""
    start = output.find("{")
    if start < 0:
        raise LldbError("no JSON in output: %r" % output[:500])
    return json.loads(output[start:])


THREAD_HEADER = re.compile(r"^Thread (0x[0-9a-f]+|\?) \((.*)\)$")
FRAME_LINE = re.compile(r'^  File "(.*)", line (\d+|\?), in (.*)$')
REPEATED = re.compile(r"^\s*\[Previous line repeated (\d+) more times?\]$")


def parse_backtrace(output):
    """py-bt text -> {ident: [frames innermost first, each {function, file, line}]}."""
    threads = {}
    frames = None
    for line in output.splitlines():
        header = THREAD_HEADER.match(line)
        if header:
            frames = threads.setdefault(int(header.group(1), 16) if header.group(1) != "?" else None, [])
            continue
        repeated = REPEATED.match(line)
        if repeated and frames:
            frames.extend(dict(frames[-1]) for _ in range(int(repeated.group(1))))
            continue
        frame = FRAME_LINE.match(line)
        if frame and frames is not None:
            frames.append({"file": frame.group(1), "line": None if frame.group(2) == "?" else int(frame.group(2)),
                           "function": frame.group(3)})
    return threads


def compare_backtrace(truth, output, extra_innermost=None):
    """Every final thread's stack in `py-bt --all`'s output equals the truth
    (truthcheck.compare_text_stacks); returns the number of threads checked."""
    try:
        return compare_text_stacks(truth, parse_backtrace(output), extra_innermost)
    except Mismatch as e:
        raise Mismatch("py-bt --all: %s" % e)
