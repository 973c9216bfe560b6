"""The environment the processes under test get.

CTest prepends tests/support to PYTHONPATH so that test scripts find this
package. The interpreters under test, and the debuggers with their embedded
Python, must not see it: they run in the environment the tests were started
in, exactly as before the support package existed.
"""

import os

SUPPORT = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))


def for_target(**extra):
    """os.environ without tests/support on PYTHONPATH, plus `extra`."""
    env = dict(os.environ, **extra)
    if "PYTHONPATH" not in env:
        return env
    kept = [p for p in env["PYTHONPATH"].split(os.pathsep) if not p or os.path.realpath(p) != SUPPORT]
    if kept:
        env["PYTHONPATH"] = os.pathsep.join(kept)
    else:
        env.pop("PYTHONPATH", None)
    return env
