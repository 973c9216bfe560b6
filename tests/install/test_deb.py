#!/usr/bin/env python3
"""`cpack -G DEB` makes the two packages docs/install.md describes, and lintian accepts them.

Into a temporary directory, from this build:
  - pyautopsy_X.Y.Z_ARCH.deb and pyautopsy-lldb_X.Y.Z_ARCH.deb, named so;
  - their contents (dpkg-deb -c): the command, the private library and the
    GDB script in the first, the plugin alone in the second, copyright and
    changelog.gz in each, no C header;
  - their Depends (dpkg-deb -f), computed by dpkg-shlibdeps: libelf1 and
    libdw1 for the command, and no LLVM; liblldb for the plugin;
  - lintian reports no error (warnings are printed);
  - the unpacked command runs: `pyautopsy --version`.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

from pyautopsy_testing import Mismatch, checks, environment

CLI_FILES = ("./usr/bin/pyautopsy", "./usr/lib/pyautopsy/libpyautopsy.so", "./usr/share/pyautopsy/pyautopsy.py",
             "./usr/share/pyautopsy/pyautopsy_gdb/pyautopsy_paths.py", "./usr/share/man/man1/pyautopsy.1.gz",
             "./usr/share/bash-completion/completions/pyautopsy", "./usr/share/doc/pyautopsy/install.md",
             "./usr/share/doc/pyautopsy/copyright", "./usr/share/doc/pyautopsy/changelog.gz")
LLDB_FILES = ("./usr/lib/pyautopsy/libpyautopsy_lldb.so", "./usr/share/doc/pyautopsy-lldb/copyright",
              "./usr/share/doc/pyautopsy-lldb/changelog.gz")


def run(argv, timeout=300):
    return subprocess.run(argv, capture_output=True, text=True, env=environment.for_target(), timeout=timeout)


def contents(deb):
    """The paths dpkg-deb -c lists."""
    proc = run(["dpkg-deb", "-c", deb])
    if proc.returncode != 0:
        raise Mismatch("dpkg-deb -c %s: %s" % (deb, proc.stderr.strip()))
    return {line.split()[5] for line in proc.stdout.splitlines()}


def field(deb, name):
    return run(["dpkg-deb", "-f", deb, name]).stdout.strip()


def depends_names(deb):
    """Package names in Depends, without versions or alternatives' order."""
    names = set()
    for clause in field(deb, "Depends").split(","):
        for alternative in clause.split("|"):
            if alternative.strip():
                names.add(alternative.split()[0])
    return names


def check_contents(deb, wanted, unwanted_prefixes):
    files = contents(deb)
    missing = [f for f in wanted if f not in files]
    if missing:
        raise Mismatch("%s lacks %s" % (os.path.basename(deb), ", ".join(missing)))
    stray = sorted(f for f in files if f.startswith(unwanted_prefixes))
    if stray:
        raise Mismatch("%s holds %s" % (os.path.basename(deb), ", ".join(stray)))
    return "%d entries, the expected ones among them" % len(files)


def check_cli_depends(deb):
    names = depends_names(deb)
    missing = {"libc6", "libelf1", "libdw1"} - names
    llvm = sorted(n for n in names if "lldb" in n or "llvm" in n)
    if missing or llvm:
        raise Mismatch("Depends %r: missing %s, LLVM %s" % (field(deb, "Depends"), sorted(missing), llvm))
    return field(deb, "Depends")


def check_lldb_depends(deb, llvm_version):
    names = depends_names(deb)
    if "liblldb-%s" % llvm_version not in names:
        raise Mismatch("Depends %r lacks liblldb-%s" % (field(deb, "Depends"), llvm_version))
    return field(deb, "Depends")


def check_lintian(debs):
    if not shutil.which("lintian"):
        raise Mismatch("lintian is not installed (scripts/install-deps installs it)")
    proc = run(["lintian", "--fail-on", "error", "--tag-display-limit", "0"] + debs)
    tags = [line for line in proc.stdout.splitlines() if line[:2] in ("E:", "W:")]
    for line in tags:
        print("info lintian %s" % line)
    errors = [line for line in tags if line.startswith("E:")]
    if proc.returncode != 0 or errors:
        raise Mismatch("lintian exited %d: %s" % (proc.returncode, "; ".join(errors) or proc.stderr.strip()[-1000:]))
    return "no errors, %d warnings" % (len(tags) - len(errors))


def check_unpacked(deb, root, version):
    proc = run(["dpkg-deb", "-x", deb, root])
    if proc.returncode != 0:
        raise Mismatch("dpkg-deb -x: %s" % proc.stderr.strip())
    proc = run([os.path.join(root, "usr", "bin", "pyautopsy"), "--version"])
    if proc.returncode != 0 or not proc.stdout.startswith("pyautopsy %s\n" % version):
        raise Mismatch("the unpacked pyautopsy --version exited %d: %r" % (proc.returncode, proc.stdout))
    return proc.stdout.splitlines()[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--build", required=True)
    parser.add_argument("--version", required=True)
    parser.add_argument("--llvm-version", help="without it, the build has no LLDB plugin and no pyautopsy-lldb")
    args = parser.parse_args()

    arch = run(["dpkg", "--print-architecture"]).stdout.strip()
    workdir = tempfile.mkdtemp(prefix="pyautopsy-deb-")
    try:
        proc = run(["cpack", "-G", "DEB", "--config", os.path.join(args.build, "CPackConfig.cmake"), "-B", workdir])
        cli_deb = os.path.join(workdir, "pyautopsy_%s_%s.deb" % (args.version, arch))
        lldb_deb = os.path.join(workdir, "pyautopsy-lldb_%s_%s.deb" % (args.version, arch))
        wanted = [cli_deb] + ([lldb_deb] if args.llvm_version else [])
        missing = [os.path.basename(p) for p in wanted if not os.path.exists(p)]
        if proc.returncode != 0 or missing:
            checks.fail("deb cpack", "cpack exited %d, made no %s: %s" % (
                proc.returncode, ", ".join(missing), (proc.stderr or proc.stdout).strip()[-2000:]))
            return 1
        checks.ok("deb cpack", ", ".join(os.path.basename(p) for p in wanted))
        runs = [
            ("contents", lambda: check_contents(cli_deb, CLI_FILES, ("./usr/include", "./usr/lib/pyautopsy/libpyautopsy_lldb"))),
            ("depends", lambda: check_cli_depends(cli_deb)),
        ]
        if args.llvm_version:
            runs += [
                ("lldb contents", lambda: check_contents(lldb_deb, LLDB_FILES, ("./usr/bin", "./usr/share/pyautopsy"))),
                ("lldb depends", lambda: check_lldb_depends(lldb_deb, args.llvm_version)),
            ]
        runs += [
            ("lintian", lambda: check_lintian(wanted)),
            ("unpacked", lambda: check_unpacked(cli_deb, os.path.join(workdir, "root"), args.version)),
        ]
        failures = checks.run_all("deb", runs)
        return 1 if failures else 0
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
