#!/usr/bin/env python3
"""`cmake --install` into a temporary prefix, then the installed copy at work.

The prefix is moved after the install, so everything below also checks that
the installation finds its parts relative to itself:
  - the layout docs/install.md promises, and no file naming the build or
    source tree (no RPATH either);
  - `pyautopsy --version`: the project's version and the supported CPython range;
  - the installed CLI on a real core: every thread's frames equal the truth;
  - the installed GDB script, sourced with no PYAUTOPSY_LIB: it loads the
    installed libpyautopsy.so, and py-bt, py-bt --all, the JSON report and
    bt are right (the checks tests/gdb runs);
  - the installed LLDB plugin (`plugin load`): py-bt --all is right;
  - the manual page: man renders it without a warning, and it names every
    subcommand, every option `--help` lists, every exit status and every
    environment variable the code reads;
  - the bash completion: it loads, and completes the subcommands and each
    subcommand's options.
"""

import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

from pyautopsy_testing import Mismatch, checks, cli, cores, environment, gdb_runner, lldb_runner, truthcheck

SUBCOMMANDS = ("core", "pid", "batch", "run")
BASH_COMPLETION = "/usr/share/bash-completion/bash_completion"


def run(argv, **kwargs):
    return subprocess.run(argv, capture_output=True, text=True, env=environment.for_target(), timeout=120, **kwargs)


class Installation:
    def __init__(self, prefix):
        self.prefix = prefix
        self.cli = os.path.join(prefix, "bin", "pyautopsy")
        self.library = os.path.join(prefix, "lib", "pyautopsy", "libpyautopsy.so")
        self.plugin = os.path.join(prefix, "lib", "pyautopsy", "libpyautopsy_lldb.so")
        self.gdb_script = os.path.join(prefix, "share", "pyautopsy", "pyautopsy.py")
        self.man = os.path.join(prefix, "share", "man", "man1", "pyautopsy.1.gz")
        self.bash = os.path.join(prefix, "share", "bash-completion", "completions", "pyautopsy")
        self.docs = os.path.join(prefix, "share", "doc", "pyautopsy")


def install(build, workdir):
    """Installs into workdir/staging, then moves it to workdir/moved."""
    staging = os.path.join(workdir, "staging")
    proc = run(["cmake", "--install", build, "--prefix", staging])
    if proc.returncode != 0:
        raise Mismatch("cmake --install exited %d: %s" % (proc.returncode, (proc.stderr or proc.stdout)[-2000:]))
    moved = os.path.join(workdir, "moved")
    os.rename(staging, moved)
    return Installation(moved)


def check_layout(inst, with_lldb):
    expected = [inst.cli, inst.library, inst.gdb_script, inst.man, inst.bash,
                os.path.join(inst.prefix, "share", "pyautopsy", "pyautopsy_gdb", "pyautopsy_paths.py"),
                os.path.join(inst.docs, "README.md"), os.path.join(inst.docs, "install.md"),
                os.path.join(inst.docs, "gdb.md")]
    if with_lldb:
        expected += [inst.plugin, os.path.join(inst.docs, "lldb.md")]
    missing = [os.path.relpath(p, inst.prefix) for p in expected if not os.path.exists(p)]
    if missing:
        raise Mismatch("not installed: %s" % ", ".join(missing))
    return "%d files in place" % len(expected)


def check_no_tree_references(inst, build, source):
    """Files must not name the build or source tree (the documentation is copied
    as written, with its examples' paths, and is left out); ELF files carry no RPATH."""
    trees = [os.path.realpath(build), os.path.realpath(source)]
    elves = 0
    for root, _dirs, files in os.walk(inst.prefix):
        if root.startswith(inst.docs):
            continue
        for name in files:
            path = os.path.join(root, name)
            if os.path.islink(path):
                continue
            with open(path, "rb") as f:
                head = f.read(4)
                data = head + f.read()
            if head == b"\x7fELF":
                elves += 1
                dynamic = run(["readelf", "-d", path]).stdout
                if "RPATH" in dynamic or "RUNPATH" in dynamic:
                    raise Mismatch("%s has an RPATH: %s" % (path, dynamic))
                continue
            for tree in trees:
                if tree.encode() in data:
                    raise Mismatch("%s names %s" % (os.path.relpath(path, inst.prefix), tree))
    return "no installed file names the build or source tree; %d ELF files without RPATH" % elves


def check_version(inst, version, source):
    proc = run([inst.cli, "--version"])
    with open(os.path.join(source, "core", "runtime", "versions.json")) as f:
        versions = json.load(f)
    names = [entry["version"] for entry in versions["versions"]]  # oldest first
    lines = proc.stdout.splitlines()
    if proc.returncode != 0 or not lines or lines[0] != "pyautopsy %s" % version:
        raise Mismatch("--version exited %d and printed %r" % (proc.returncode, proc.stdout))
    expected = "%s to %s" % (names[0], names[-1])
    if expected not in proc.stdout:
        raise Mismatch("--version does not name the range %s: %r" % (expected, proc.stdout))
    return " / ".join(lines)


def check_cli(inst, core, truth):
    report = cli.report_of(inst.cli, ["core", core])
    threads = truthcheck.compare_report(truth, report)
    return "%d threads match" % threads


def check_gdb_library(inst, python, core):
    result = gdb_runner.run_gdb([python, core], [("lib", "pyautopsy-lib")], None, script=inst.gdb_script)
    text = result.sections.get("lib", "")
    if os.path.realpath(inst.library) not in text and inst.prefix not in text:
        raise Mismatch("pyautopsy-lib does not name the installed library: %r" % text.strip()[:500])
    return text.strip().splitlines()[0] if text.strip() else ""


def check_lldb(inst, lldb, python, core, truth):
    commands = ["target create %s --core %s" % (python, core), "py-bt --all"]
    outputs = lldb_runner.run_lldb(lldb, inst.plugin, commands)
    lldb_runner.compare_backtrace(truth, outputs["py-bt --all"])
    return "py-bt --all matches the truth"


def help_options(inst, subcommand):
    """Every option `pyautopsy SUBCOMMAND --help` lists (-j, --jobs, ...)."""
    proc = run([inst.cli, subcommand, "--help"])
    options = set()
    for line in proc.stdout.splitlines():
        stripped = line.strip()
        if stripped.startswith("-"):
            spec = stripped.split()[0]
            options.update(o for o in spec.split(",") if o.startswith("-"))
    if not options:
        raise Mismatch("pyautopsy %s --help lists no options: %r" % (subcommand, proc.stdout))
    return options


def environment_variables(source):
    """Every variable the CLI's code, the GDB script or the LLDB plugin reads."""
    names = set()
    patterns = (re.compile(r'getenv\("([A-Z_][A-Z0-9_]*)"\)'), re.compile(r'environ\.get\("([A-Z_][A-Z0-9_]*)"'))
    for top in ("core", "cli", "gdb-scripts", "lldb-plugin"):
        for path in glob.glob(os.path.join(source, top, "**", "*"), recursive=True):
            if path.endswith((".cpp", ".h", ".py")):
                with open(path, encoding="utf-8", errors="replace") as f:
                    text = f.read()
                for pattern in patterns:
                    names.update(pattern.findall(text))
    return names


def check_man(inst, source):
    proc = subprocess.run(["man", "--warnings", "-l", inst.man], capture_output=True, text=True,
                          env=dict(environment.for_target(), MANWIDTH="80", MAN_KEEP_FORMATTING="0"), timeout=60)
    if proc.returncode != 0 or proc.stderr.strip():
        raise Mismatch("man --warnings exited %d: %s" % (proc.returncode, proc.stderr.strip()[:1000]))
    page = subprocess.run(["zcat", inst.man], capture_output=True, text=True, check=True).stdout
    plain = page.replace("\\-", "-")
    missing = [s for s in SUBCOMMANDS if not re.search(r"^\.BI? %s\b" % s, plain, re.M)]
    for subcommand in SUBCOMMANDS:
        for option in sorted(help_options(inst, subcommand)):
            if not re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(option), plain):
                missing.append("%s %s" % (subcommand, option))
    sections = {m.group(1): m.start() for m in re.finditer(r'^\.SH "?([A-Z ]+?)"?$', plain, re.M)}
    for name in ("EXIT STATUS", "ENVIRONMENT"):
        if name not in sections:
            missing.append("section " + name)
    if not missing:
        status = plain[sections["EXIT STATUS"]:sections["ENVIRONMENT"]]
        missing += ["exit status %d" % c for c in (0, 1, 2, 3, 124) if not re.search(r"\b%d\b" % c, status)]
        env_section = plain[sections["ENVIRONMENT"]:]
        env_section = env_section[:env_section.find("\n.SH", 1)]
        missing += ["variable " + v for v in sorted(environment_variables(source)) if v not in env_section]
    if missing:
        raise Mismatch("the manual page lacks: %s" % ", ".join(missing))
    return "renders without warnings; names every subcommand, option, exit status and variable"


def complete(inst, words):
    """What the installed completion offers for `pyautopsy WORDS...` (the last word is being typed)."""
    line = " ".join(["pyautopsy"] + words)
    script = ('source %s; source "$1"; shift; COMP_WORDS=(pyautopsy "$@"); COMP_CWORD=$#; COMP_LINE="$LINE"; '
              'COMP_POINT=${#COMP_LINE}; _pyautopsy; printf "%%s\\n" "${COMPREPLY[@]}"' % BASH_COMPLETION)
    proc = subprocess.run(["bash", "--norc", "--noprofile", "-c", script, "bash", inst.bash] + words,
                          capture_output=True, text=True, env=dict(environment.for_target(), LINE=line), timeout=60)
    if proc.returncode != 0:
        raise Mismatch("completing %r exited %d: %s" % (line, proc.returncode, proc.stderr.strip()[:500]))
    return set(proc.stdout.split())


def check_completion(inst):
    if not os.path.exists(BASH_COMPLETION):
        raise Mismatch("%s is missing: install Debian's bash-completion" % BASH_COMPLETION)
    offered = complete(inst, [""])
    if not set(SUBCOMMANDS) <= offered:
        raise Mismatch("`pyautopsy <TAB>` offers %s" % sorted(offered))
    for subcommand in SUBCOMMANDS:
        wanted = help_options(inst, subcommand)
        offered = complete(inst, [subcommand, "-"])
        if not wanted <= offered:
            raise Mismatch("`pyautopsy %s -<TAB>` lacks %s" % (subcommand, sorted(wanted - offered)))
    partial = complete(inst, ["ba"])
    if partial != {"batch"}:
        raise Mismatch("`pyautopsy ba<TAB>` offers %s" % sorted(partial))
    return "subcommands and every subcommand's options complete"


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--build", required=True)
    parser.add_argument("--source", required=True)
    parser.add_argument("--version", required=True)
    parser.add_argument("--interpreter", required=True)
    parser.add_argument("--python", required=True)
    parser.add_argument("--cache", default=cores.default_cache())
    parser.add_argument("--lldb", help="lldb-N; without it the LLDB plugin is not checked")
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="pyautopsy-install-")
    try:
        try:
            inst = install(args.build, workdir)
            core, truth = cores.core_and_truth(args.cache, args.interpreter, "threads_abort")
        except Mismatch as e:
            checks.fail("install", e)
            return 1
        label = "install"
        failures = checks.run_all(label, [
            ("layout", lambda: check_layout(inst, args.lldb is not None)),
            ("relocatable", lambda: check_no_tree_references(inst, args.build, args.source)),
            ("--version", lambda: check_version(inst, args.version, args.source)),
            ("cli core", lambda: check_cli(inst, core, truth)),
            ("gdb library", lambda: check_gdb_library(inst, args.python, core)),
        ])
        result = gdb_runner.run_gdb([args.python, core], gdb_runner.SESSION, None, script=inst.gdb_script)
        gdb_failures = checks.run_all("install gdb", gdb_runner.session_checks(truth, result))
        if gdb_failures:
            print("---- gdb output ----\n" + result.output[-4000:])
        failures += gdb_failures
        if args.lldb:
            failures += checks.run("install lldb", lambda: check_lldb(inst, args.lldb, args.python, core, truth))
        else:
            print("info install lldb: not checked (no LLDB plugin or no lldb in this build)")
        failures += checks.run("install man", lambda: check_man(inst, args.source))
        failures += checks.run("install bash completion", lambda: check_completion(inst))
        print("install: %s on %s, %d failures" % (inst.prefix, os.path.basename(core), failures))
        return 1 if failures else 0
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
