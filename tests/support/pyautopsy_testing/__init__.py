"""What pyautopsy's Python integration tests share.

CTest puts tests/support on PYTHONPATH for every Python test
(pyautopsy_add_python_test in tests/CMakeLists.txt); to run one by hand, do
the same, e.g.

    PYTHONPATH=tests/support python3 tests/integration/test_live_stacks.py \\
        3.12.1 --python PYTHON --pyautopsy build/cli/pyautopsy

One job per module:
  cli           runs the pyautopsy CLI and reads its --json report
  cores         finds a scenario's core and recorded truth in the cache
  truthcheck    compares a report with the truth a scenario recorded
  live          keeps a scenario alive, parked where it would abort
  scenario_runs the core-and-live runner: one scenario's core and live process
  checks        runs named checks, one "ok"/"FAIL" line each
  tasks         the kernel's view of a target's threads: stopped, traced, polled
  environment   the environment the processes under test get
  gdb_runner    the real GDB with gdb-scripts/pyautopsy.py, per-command output
  lldb_runner   the real LLDB with the plugin, per-command output
parking/ holds the scripts an interpreter under test runs to run a scenario
parked instead of aborting: they are run, never imported.

The tests run under CMake's Python3_EXECUTABLE, not under the interpreters
they test; keep this package importable by Python 3.8 all the same.
"""

import os

# The repository: this file is tests/support/pyautopsy_testing/__init__.py.
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


class Mismatch(Exception):
    """What pyautopsy or a debugger showed differs from what was expected;
    the message names the first difference a user would see."""
