#!/usr/bin/env python3
"""textorder: which of the pyautopsy executable's functions a run executes, in
the order the linker should lay them out (cli/text-order.txt).

A run of `pyautopsy core` executes about 1 MiB of the executable's 3.5 MiB of
machine code, spread over all of it. Each page of code is mapped by a page
fault the first time it runs, and the kernel maps the 64 KiB around it with
it; on a virtual machine a fault costs ~30 us. Laid out together, the code a
run needs takes ~15 fewer faults (cmake/StaticCli.cmake links with lld's
--symbol-ordering-file).

It runs the built executable under valgrind's callgrind, which names every
function executed, on the test bed's scenario cores ($PYAUTOPSY_CACHE,
default ~/.cache/pyautopsy, cores/<interpreter>/<scenario>/core.*) and one
live process, and writes the functions of the executable itself (not libc's)
in groups, each group's after the one before:

  1. what every run executes: loading, parsing the command line, exiting;
  2. what `core` executes with its default output, on any interpreter;
  3. the rest: --json, --locals, --native, pid, batch.

Within a group, functions more runs executed come first, then by name, so
the file is the same for the same runs. A name the linker no longer finds
(code changed since) is skipped; a function missing from the file is laid
out after all of these, so a stale file costs speed, never correctness.

    textorder.py                 write cli/text-order.txt (commit the result)
    textorder.py --pyautopsy B   profile executable B (default build/cli/pyautopsy)

Needs valgrind. Python 3 standard library only.
"""

from __future__ import annotations

import argparse
import collections
import glob
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
OUT = REPO / "cli/text-order.txt"
# The scenarios whose cores every interpreter runs with each output option;
# the others are run once, with the default output (their diagnoses).
MAIN_SCENARIO = "threads_abort"
OPTIONS = ([], ["--json"], ["--locals"], ["--native"])


def cache_dir() -> Path:
    return Path(os.environ.get("PYAUTOPSY_CACHE") or Path.home() / ".cache/pyautopsy")


def version_key(interpreter: str) -> tuple[int, ...]:
    """'3.15.2d-sid' -> (3, 15, 2): the test bed's interpreter names start with the version."""
    version = interpreter.split("-")[0].rstrip("d")
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def executed_functions(profile: Path, executable: str) -> set[str]:
    """The functions of `executable` a callgrind profile (uncompressed names) executed."""
    functions: set[str] = set()
    in_executable = False
    for line in profile.read_text(errors="replace").splitlines():
        if line.startswith("ob="):
            in_executable = os.path.realpath(line[3:].strip()) == executable
        elif line.startswith("fn=") and in_executable:
            name = line[3:].strip()
            # "'2" marks a recursive call's cycle; "0x..." a function with no symbol.
            name = name.split("'")[0]
            if name and not name.startswith("0x") and name != "(below main)":
                functions.add(name)
    return functions


def profile_run(executable: str, args: list[str], work: Path) -> set[str]:
    """Runs `executable args` under callgrind (and the children it forks) and returns what it executed."""
    out_dir = Path(tempfile.mkdtemp(dir=work))
    command = ["valgrind", "--tool=callgrind", "--demangle=no", "--compress-strings=no", "--compress-pos=no",
               f"--callgrind-out-file={out_dir}/callgrind.%p", executable, *args]
    result = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if result.returncode != 0:
        sys.exit(f"textorder: {' '.join(args)}: exit {result.returncode}: {result.stderr.strip()[-400:]}")
    functions: set[str] = set()
    for profile in out_dir.iterdir():
        functions |= executed_functions(profile, executable)
    return functions


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pyautopsy", default=str(REPO / "build/cli/pyautopsy"))
    parser.add_argument("--out", default=str(OUT))
    args = parser.parse_args()
    executable = os.path.realpath(args.pyautopsy)
    if not os.access(executable, os.X_OK):
        sys.exit(f"textorder: {executable}: not an executable (build it first)")
    cores_root = cache_dir() / "cores"
    main_cores = sorted(glob.glob(str(cores_root / "*" / MAIN_SCENARIO / "core.*")))
    if not main_cores:
        sys.exit(f"textorder: no {MAIN_SCENARIO} core under {cores_root} (corefiles/generate makes them)")

    # group -> function -> how many runs executed it
    groups: list[collections.Counter[str]] = [collections.Counter() for _ in range(3)]
    runs = 0
    with tempfile.TemporaryDirectory(prefix="textorder.") as scratch:
        work = Path(scratch)

        def record(group: int, run_args: list[str]) -> None:
            nonlocal runs
            runs += 1
            print(f"textorder: [{runs}] pyautopsy {' '.join(run_args)}", file=sys.stderr)
            groups[group].update(profile_run(executable, run_args, work))

        record(0, ["--version"])
        record(0, ["--help"])
        for core in main_cores:
            for options in OPTIONS:
                record(1 if not options else 2, ["core", *options, core])
        # Every scenario's diagnosis, on the newest interpreter that has it.
        interpreter = max((os.path.basename(os.path.dirname(os.path.dirname(c))) for c in main_cores), key=version_key)
        for core in sorted(glob.glob(str(cores_root / interpreter / "*" / "core.*"))):
            record(1, ["core", core])
        record(2, ["batch", "--exit-zero", "-j", "1", *main_cores[:2]])
        # A live process: this interpreter, in a sleep that outlasts the run.
        # Read without stopping it: valgrind cannot follow the clone() of the
        # watchdog that guards a stop (target/HoldWatchdog.h), and the code
        # of a stop itself is small.
        target = subprocess.Popen([sys.executable, "-c", "import time\nwhile True: time.sleep(1)"])
        try:
            time.sleep(0.5)
            record(2, ["pid", "--nonblocking", str(target.pid)])
            record(2, ["pid", "--nonblocking", "--native", str(target.pid)])
        finally:
            target.send_signal(signal.SIGKILL)
            target.wait()

    # Startup functions run in every run: they come first, then each group
    # adds only what the groups before it did not have.
    placed: set[str] = set()
    lines = [
        "# The pyautopsy executable's functions in the order lld lays them out",
        "# (--symbol-ordering-file, cmake/StaticCli.cmake): what every run executes,",
        "# then `core`'s default output, then the other options.",
        f"# Generated by tools/textorder/textorder.py from {runs} runs; regenerate it when",
        "# the code a run executes has moved a lot (a stale file costs speed only).",
    ]
    for group in groups:
        fresh = [name for name in group if name not in placed]
        fresh.sort(key=lambda name: (-group[name], name))
        lines.extend(fresh)
        placed.update(fresh)
    Path(args.out).write_text("\n".join(lines) + "\n")
    print(f"textorder: {len(placed)} functions from {runs} runs -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
