#!/usr/bin/env python3
"""`pyautopsy core` gets the interpreter by build-id from a real debuginfod server.

The server (Debian's debuginfod, started here on 127.0.0.1 on a free port,
with its own database) scans a directory holding copies of the interpreter's
executable and libpython; the core is analysed with --sysroot pointing to an
empty directory, so those copies are the only ones to be had. With a private
DEBUGINFOD_CACHE_PATH:
  - with DEBUGINFOD_URLS: every thread's frames equal the truth, and the
    report's warnings say which files were fetched from the server;
  - without it: nothing is fetched (no warning says so, no cache is written);
  - with the server gone: the run fails with one error line that names the
    server and the reason (connection refused), and nothing more is asked.
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from pyautopsy_testing import Mismatch, checks, cores, environment, truthcheck

SCENARIO = "threads_abort"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_id(path):
    out = subprocess.run(["readelf", "-n", path], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        if "Build ID:" in line:
            return line.split("Build ID:")[1].strip()
    raise Mismatch("%s has no build-id" % path)


def interpreter_files(python):
    """The executable and the libpython it loads (ldd), resolved."""
    files = [os.path.realpath(python)]
    out = subprocess.run(["ldd", python], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        if "libpython" in line and "=>" in line:
            files.append(os.path.realpath(line.split("=>")[1].split()[0]))
    return files


class Server:
    """debuginfod -F DIR on a free port; stopped (and waited for) on close()."""

    def __init__(self, binary, serve_dir, workdir):
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.log = open(os.path.join(workdir, "debuginfod.log"), "w")
        self.proc = subprocess.Popen(
            [binary, "-F", serve_dir, "-p", str(self.port), "-d", os.path.join(workdir, "debuginfod.sqlite"),
             "-c", "1", "-t", "0", "-g", "0", "--disable-source-scan"],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, preexec_fn=os.setpgrp)

    def wait_for(self, ident, timeout=60):
        """Until the server has scanned the file with this build-id."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise Mismatch("debuginfod exited %d (see its log)" % self.proc.returncode)
            try:
                with urllib.request.urlopen("%s/buildid/%s/executable" % (self.url, ident), timeout=5) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.3)
        raise Mismatch("debuginfod did not serve %s within %d s" % (ident, timeout))

    def close(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def analyse(pyautopsy, core, sysroot, extra_env, drop_urls=False):
    env = environment.for_target(**extra_env)
    if drop_urls:
        env.pop("DEBUGINFOD_URLS", None)
    proc = subprocess.run([pyautopsy, "core", "--sysroot", sysroot, "--json", core], capture_output=True, text=True,
                          env=env, timeout=120)
    report = json.loads(proc.stdout) if proc.returncode == 0 and proc.stdout.strip() else None
    return proc.returncode, report, proc.stderr


def check_fetched(args, core, truth, sysroot, server, cache, files):
    code, report, stderr = analyse(args.pyautopsy, core, sysroot,
                                   {"DEBUGINFOD_URLS": server.url, "DEBUGINFOD_CACHE_PATH": cache})
    if report is None:
        raise Mismatch("exited %d: %s" % (code, stderr.strip()[-1500:]))
    threads = truthcheck.compare_report(truth, report)
    fetched = [w for w in report.get("warnings", []) if "fetched build-id" in w]
    source = "from debuginfod (%s)" % server.url
    for path in files:
        # The core names each file as the process mapped it: compare by name.
        name = "/" + os.path.basename(path)
        if not any(w.split(": ")[0].endswith(name) and source in w and cache in w for w in fetched):
            raise Mismatch("no warning says %s was fetched %s into the cache: %s" % (path, source,
                                                                                   report.get("warnings")))
    return "%d threads match; %s" % (threads, fetched[0])


def check_not_fetched_without_urls(args, core, sysroot, workdir):
    cache = os.path.join(workdir, "unused-cache")
    code, report, stderr = analyse(args.pyautopsy, core, sysroot, {"DEBUGINFOD_CACHE_PATH": cache}, drop_urls=True)
    text = stderr + json.dumps(report)
    if "fetched build-id" in text or "from debuginfod (" in text or os.path.exists(cache):
        raise Mismatch("without DEBUGINFOD_URLS something was fetched: %s" % text[-1000:])
    return "nothing fetched (exit %d)" % code


def check_unreachable(args, core, sysroot, url, workdir):
    cache = os.path.join(workdir, "unreachable-cache")
    code, report, stderr = analyse(args.pyautopsy, core, sysroot, {"DEBUGINFOD_URLS": url,
                                                                    "DEBUGINFOD_CACHE_PATH": cache})
    lines = stderr.strip().splitlines()
    reason = "not fetched from debuginfod (%s): Connection refused; nothing more is fetched" % url
    if code == 0 or len(lines) != 1 or not lines[0].startswith("pyautopsy: ") or reason not in lines[0]:
        raise Mismatch("exit %d, stderr %r" % (code, stderr[-1500:]))
    return "exit %d: %s" % (code, lines[0][:300])


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("interpreter")
    parser.add_argument("--python", required=True)
    parser.add_argument("--pyautopsy", required=True)
    parser.add_argument("--debuginfod", required=True)
    parser.add_argument("--cache", default=cores.default_cache())
    args = parser.parse_args()

    label = "%s debuginfod" % args.interpreter
    workdir = tempfile.mkdtemp(prefix="pyautopsy-debuginfod-")
    server = None
    try:
        try:
            core, truth = cores.core_and_truth(args.cache, args.interpreter, SCENARIO)
            files = interpreter_files(args.python)
            serve_dir = os.path.join(workdir, "serve")
            os.makedirs(serve_dir)
            for path in files:
                shutil.copy2(path, serve_dir)
            sysroot = os.path.join(workdir, "empty-sysroot")
            os.makedirs(sysroot)
            server = Server(args.debuginfod, serve_dir, workdir)
            for path in files:
                server.wait_for(build_id(path))
        except Mismatch as e:
            checks.fail(label, e)
            return 1
        cache = os.path.join(workdir, "client-cache")
        failures = checks.run_all(label, [
            ("fetched", lambda: check_fetched(args, core, truth, sysroot, server, cache, files)),
            ("without DEBUGINFOD_URLS", lambda: check_not_fetched_without_urls(args, core, sysroot, workdir)),
        ])
        url = server.url
        server.close()
        server = None
        failures += checks.run("%s unreachable" % label, lambda: check_unreachable(args, core, sysroot, url, workdir))
        return 1 if failures else 0
    finally:
        if server is not None:
            server.close()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
