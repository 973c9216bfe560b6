#!/usr/bin/env python3
"""Bad input gets one clear line and a non-zero exit, never a crash or a hang.

Uses a real scenario core of one interpreter (default: Debian's stripped
3.11) to make the bad inputs: a truncated copy, copies with corrupted memory,
the core of a process that is not Python, a text file, a missing file, the
wrong --exe, and bad usage.
"""

import argparse
import glob
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile

TIMEOUT = 30


def run(binary, args):
    try:
        proc = subprocess.run([binary] + args, capture_output=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return None, "", "timed out after %d s" % TIMEOUT
    return proc.returncode, proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace")


class Checker(object):
    def __init__(self, binary):
        self.binary = binary
        self.failures = 0

    def expect(self, label, args, codes, stderr_has=None, stdout_has=None):
        code, out, err = run(self.binary, args)
        problems = []
        if code is None:
            problems.append("hung")
        elif code < 0:
            problems.append("killed by %s" % signal.Signals(-code).name)
        elif code not in codes:
            problems.append("exit %d, expected %s" % (code, "/".join(map(str, codes))))
        if code is not None and code not in (0,) and len(err.strip().splitlines()) != 1:
            problems.append("expected one line on stderr, got %r" % err)
        if stderr_has and stderr_has not in err:
            problems.append("stderr lacks %r: %r" % (stderr_has, err.strip()))
        if stdout_has and stdout_has not in out:
            problems.append("stdout lacks %r" % stdout_has)
        if problems:
            self.failures += 1
            print("FAIL %s: %s" % (label, "; ".join(problems)))
        else:
            print("ok   %s: exit %d %s" % (label, code, err.strip()[:120]))


def make_non_python_core(work):
    """A core of /bin/sleep, which has no CPython in it."""
    proc = subprocess.Popen(["/bin/sleep", "60"], cwd=work,
                            preexec_fn=lambda: __import__("resource").setrlimit(
                                __import__("resource").RLIMIT_CORE, (-1, -1)))
    proc.send_signal(signal.SIGABRT)
    proc.wait()
    for name in ("core.%d" % proc.pid, "core"):
        path = os.path.join(work, name)
        if os.path.exists(path):
            return path
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pyautopsy", required=True)
    parser.add_argument("--cache", default=os.environ.get("PYAUTOPSY_CACHE",
                                                          os.path.expanduser("~/.cache/pyautopsy")))
    parser.add_argument("--interpreter", default="3.11.2-debian")
    args = parser.parse_args()
    check = Checker(args.pyautopsy)

    cores = glob.glob(os.path.join(args.cache, "cores", args.interpreter, "threads_abort", "core.*"))
    if not cores:
        print("FAIL no threads_abort core for %s (run corefiles/generate)" % args.interpreter)
        return 1
    core = cores[0]
    size = os.path.getsize(core)

    with tempfile.TemporaryDirectory(prefix="pyautopsy-bad-") as work:
        check.expect("good core", ["core", core], [0], stdout_has="Traceback")
        check.expect("usage: no subcommand", [], [2])
        check.expect("usage: unknown option", ["core", core, "--bogus"], [2])
        check.expect("missing file", ["core", os.path.join(work, "nope")], [1], stderr_has="nope")

        text = os.path.join(work, "notes.txt")
        with open(text, "w") as f:
            f.write("this is not a core file\n" * 100)
        check.expect("text file", ["core", text], [1], stderr_has="not an ELF")

        check.expect("an executable, not a core", ["core", "/bin/true"], [1], stderr_has="not a core")

        for fraction in (0.001, 0.1, 0.5, 0.9):
            cut = os.path.join(work, "truncated")
            with open(core, "rb") as src, open(cut, "wb") as dst:
                dst.write(src.read(int(size * fraction)))
            # A core cut anywhere still opens with a warning or fails cleanly.
            check.expect("truncated to %d%%" % (fraction * 100), ["core", cut], [1, 3])

        nonpy = make_non_python_core(work)
        if nonpy is None:
            print("FAIL could not make a core of /bin/sleep")
            check.failures += 1
        else:
            check.expect("core of a non-Python process", ["core", nonpy], [3], stderr_has="no CPython runtime")

        check.expect("wrong --exe", ["core", core, "--exe", "/bin/true"], [3], stderr_has="build-id mismatch")

        # Corruption: overwrite random runs of a core's bytes, in its memory and
        # in its headers and notes; whatever the damage, pyautopsy reports what
        # it can and exits cleanly, quickly. A 3.13+ core is included because
        # it can send the reader scanning memory for _Py_DebugOffsets.
        rng = random.Random(1234)
        corrupt_sources = [core] + glob.glob(os.path.join(args.cache, "cores", "3.13*-sid", "threads_abort",
                                                          "core.*"))[:1]
        for source in corrupt_sources:
            with open(source, "rb") as f:
                original = f.read()
            for round_ in range(12):
                data = bytearray(original)
                headers = round_ % 2 == 1
                for _ in range(20 if headers else 200):
                    at = rng.randrange(64 if headers else 4096, (16384 if headers else len(data)) - 64)
                    data[at:at + 64] = bytes(rng.randrange(256) for _ in range(64))
                bad = os.path.join(work, "corrupt")
                with open(bad, "wb") as f:
                    f.write(data)
                check.expect("corrupted %s of %s #%d" % ("headers" if headers else "memory",
                                                         os.path.basename(os.path.dirname(os.path.dirname(source))),
                                                         round_), ["core", bad], [0, 1, 3])

    print("%d failures" % check.failures)
    return 1 if check.failures else 0


if __name__ == "__main__":
    sys.exit(main())
