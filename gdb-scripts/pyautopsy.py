"""pyautopsy for GDB: Python-aware commands that need no debug symbols.

Load with `source /path/to/gdb-scripts/pyautopsy.py` (or that line in
~/.gdbinit). Defines py-bt, py-bt-full, py-list, py-locals, py-print, py-up,
py-down, pyautopsy and pyautopsy-lib, and a frame filter that shows the Python
code beside each eval-loop frame in `bt`. The walking is done by pyautopsy's
C++ engine (libpyautopsy.so); see README.md next to this file.

When CPython's own helper (libpython.py, auto-loaded by python3.X-dbg) defines
the same commands, ours replace them, now or when it loads later, and say so
once.
"""

import os
import sys

import gdb

_HERE = os.path.dirname(os.path.abspath(os.path.expanduser(__file__)))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from pyautopsy_gdb import commands, decorator, session  # noqa: E402

def _defined_by_others(names):
    """The names among `names` that are defined now, by someone else."""
    taken = []
    for name in names:
        try:
            text = gdb.execute("help %s" % name, to_string=True)
        except gdb.error:
            continue
        ours = getattr(sys.modules[__name__], "_registered", {}).get(name)
        if ours is None or not text.startswith(ours):
            taken.append(name)
    return taken


class _State:
    announced = False


def _register(state):
    taken = _defined_by_others(commands.LIBPYTHON_COMMANDS)
    commands.register(state)
    # Each command's first help line tells ours from a later redefinition.
    globals()["_registered"] = {_command_name(cls): cls.__doc__.splitlines()[0] for cls in commands.ALL_COMMANDS}
    if taken and not _State.announced:
        gdb.write("pyautopsy: replaced %s from CPython's gdb helper (libpython) with pyautopsy's\n"
                  % ", ".join(taken))
        _State.announced = True


def _command_name(cls):
    return {"PyBt": "py-bt", "PyBtFull": "py-bt-full", "PyList": "py-list", "PyLocals": "py-locals",
            "PyPrint": "py-print", "PyUp": "py-up", "PyDown": "py-down", "Pyautopsy": "pyautopsy",
            "PyautopsyLib": "pyautopsy-lib"}[cls.__name__]


def _reclaim(*_args):
    """CPython's helper may be auto-loaded after us (with a new objfile): take our names back."""
    try:
        if _defined_by_others(commands.LIBPYTHON_COMMANDS):
            _register(_SESSION)
    except Exception:  # noqa: BLE001 -- an event handler must never raise into GDB
        pass


_SESSION = session.Session(_HERE)
_SESSION.connect_events()
_register(_SESSION)
decorator.PythonFrameFilter(_SESSION)
# GDB runs an objfile's auto-load scripts before it reports the new objfile to
# Python, so the helper's commands exist when this handler runs. (gdb.post_event
# is no use here: in batch mode it may run during GDB's exit, after Python.)
gdb.events.new_objfile.connect(_reclaim)
if hasattr(gdb.events, "before_prompt"):
    gdb.events.before_prompt.connect(_reclaim)
