"""pyautopsy's pytest plugin: a hung test or a crashed xdist worker fails with
the reason, not just a timeout or `node down`.

Enable with `-p pyautopsy_pytest --autopsy` (or install the package: its
pytest11 entry point loads it; `--autopsy` still enables it):
- `--autopsy-timeout=SECONDS`: a test that runs longer is snapshotted live by
  pyautopsy (its process, and with xdist the worker's whole process tree),
  fails with the diagnosis and every thread's stack in its failure text (so
  they land in the terminal summary and --junitxml), and is ended so the
  session goes on (watchdog.py says how).
- with pytest-xdist (-n N): a worker that crashes (SIGSEGV, SIGABRT, a fatal
  error) leaves a core (the plugin raises the workers' core size limit); the
  test that was running fails with pyautopsy's report of that core instead
  of only "node down".
A crash of a process running tests without xdist cannot be reported from
inside it: run the session under `pyautopsy run -- pytest ...`.
"""
import json
import os
import tempfile
import time

import pytest

from pyautopsy_pytest import cli, cores, processes
from pyautopsy_pytest.watchdog import Watchdog

WORKER_INPUT_KEY = "pyautopsy_dir"


def pytest_addoption(parser):
    group = parser.getgroup("pyautopsy", "why a test hung or a worker crashed (pyautopsy)")
    group.addoption("--autopsy", action="store_true", default=False,
                    help="snapshot hung tests and analyse crashed xdist workers with pyautopsy")
    group.addoption("--autopsy-timeout", type=float, default=None, metavar="SECONDS",
                    help="a test running longer is snapshotted, fails with the report, and is ended")
    group.addoption("--autopsy-dir", default=None, metavar="DIR",
                    help="where reports and workers' cores are kept (default: a new temporary directory)")
    group.addoption("--autopsy-bin", default=None, metavar="PATH",
                    help="the pyautopsy executable (default: $PYAUTOPSY, then PATH)")


def _is_worker(config):
    return hasattr(config, "workerinput")


def pytest_configure(config):
    if not config.getoption("autopsy"):
        return
    try:
        pyautopsy = cli.find_cli(config.getoption("autopsy_bin"))
    except cli.CliMissing as error:
        raise pytest.UsageError(str(error))
    timeout = config.getoption("autopsy_timeout")
    if timeout is not None and timeout <= 0:
        raise pytest.UsageError("--autopsy-timeout must be a positive number of seconds")
    if _is_worker(config):
        plugin = WorkerPlugin(config, pyautopsy, config.workerinput[WORKER_INPUT_KEY], timeout)
    else:
        directory = config.getoption("autopsy_dir") or tempfile.mkdtemp(prefix="pyautopsy-pytest-")
        os.makedirs(directory, exist_ok=True)
        plugin = SessionPlugin(config, pyautopsy, os.path.abspath(directory), timeout)
    config.pluginmanager.register(plugin, "pyautopsy-session")


class TimeoutMixin:
    def _start_watchdog(self, item):
        if self.watchdog is not None:
            self.watchdog.start(item.nodeid)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item, nextitem):
        self._start_watchdog(item)
        try:
            yield
        finally:
            if self.watchdog is not None:
                self.watchdog.stop()


class SessionPlugin(TimeoutMixin):
    """The pytest process: the whole session without xdist, the controller with it."""

    def __init__(self, config, pyautopsy, directory, timeout):
        self.config = config
        self.pyautopsy = pyautopsy
        self.directory = directory
        self.reports = []
        distributed = config.pluginmanager.hasplugin("xdist") and getattr(config.option, "dist", "no") != "no"
        # Without xdist the tests run here, so the watchdog does too.
        self.watchdog = None
        if timeout is not None and not distributed:
            self.watchdog = Watchdog(pyautopsy, timeout, cli.supports(pyautopsy, "--tree", "pid"))

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node):
        node.workerinput[WORKER_INPUT_KEY] = self.directory

    @pytest.hookimpl(optionalhook=True)
    def pytest_handlecrashitem(self, crashitem, report, sched):
        worker = report.node.gateway.id
        text = self._explain_crash(worker)
        report.longrepr = "%s\n\n%s" % (report.longrepr, text)
        self.reports.append(crashitem)

    def _explain_crash(self, worker):
        hang = os.path.join(self.directory, "%s.hang.txt" % worker)
        if os.path.exists(hang):
            with open(hang, errors="replace") as f:
                return f.read()
        try:
            with open(os.path.join(self.directory, "%s.json" % worker)) as f:
                info = json.load(f)
        except (OSError, ValueError):
            return "pyautopsy: worker %s left no record of its pid; no core looked for" % worker
        core = cores.core_of(self.pyautopsy, info["cwd"], info["pid"], info["started"], self.directory)
        if core is None:
            why = info.get("core_note") or "none in %s" % info["cwd"]
            return "pyautopsy: worker %s (pid %d) left no core: %s" % (worker, info["pid"], why)
        status, text = cli.run(self.pyautopsy, ["core", core])
        return "pyautopsy: worker %s (pid %d) crashed; its core %s:\n\n%s" % (worker, info["pid"], core, text)

    def pytest_terminal_summary(self, terminalreporter):
        if self.reports:
            terminalreporter.write_line("pyautopsy: %d crashed or hung test(s) explained; cores and reports in %s"
                                        % (len(self.reports), self.directory))


class WorkerPlugin(TimeoutMixin):
    """An xdist worker: records where its core would go, watches its tests."""

    def __init__(self, config, pyautopsy, directory, timeout):
        self.directory = directory
        self.worker = config.workerinput["workerid"]
        note = processes.enable_core_dumps()
        record = {"pid": os.getpid(), "cwd": os.getcwd(), "started": time.time(), "core_note": note}
        with open(os.path.join(directory, "%s.json" % self.worker), "w") as f:
            json.dump(record, f)
        self.watchdog = None
        if timeout is not None:
            self.watchdog = Watchdog(pyautopsy, timeout, cli.supports(pyautopsy, "--tree", "pid"),
                                     on_worker_hang=self._end_hung_worker)

    def _end_hung_worker(self, nodeid, report):
        path = os.path.join(self.directory, "%s.hang.txt" % self.worker)
        with open(path + ".tmp", "w") as f:
            f.write(report)
        os.replace(path + ".tmp", path)
        # The hung test's own processes go with it; xdist starts a new worker.
        processes.kill_descendants(os.getpid())
        os._exit(1)
