"""Finding the core a crashed xdist worker left.

The kernel writes it where core_pattern says, relative to the worker's
working directory: `core`, `core.PID` or a pattern of its own. The plugin
looks in that directory for files named like a core that appeared after the
worker started, and asks pyautopsy which process each belongs to.
"""
import json
import os
import re

from pyautopsy_pytest import cli

CORE_NAME = re.compile(r"^(core(\.\d+)?|.*\.core|core\..*)$")


def candidates(directory, since):
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    out = []
    for name in names:
        path = os.path.join(directory, name)
        if not CORE_NAME.match(name) or not os.path.isfile(path):
            continue
        try:
            if os.path.getmtime(path) >= since:
                out.append(path)
        except OSError:
            continue
    return sorted(out, key=os.path.getmtime)


def core_of(pyautopsy, directory, pid, since, keep_dir):
    """The core of process `pid` written in `directory` since `since`, moved
    into keep_dir as core.PID (so the next crash cannot overwrite it); None
    when there is none."""
    for path in candidates(directory, since):
        name = os.path.basename(path)
        if name == "core.%d" % pid or name.endswith(".%d.core" % pid):
            owner = pid
        else:
            status, text = cli.run(pyautopsy, ["core", path, "--json"])
            try:
                owner = json.loads(text)["target"]["pid"] if status in (0, 1) else None
            except (ValueError, KeyError, TypeError):
                owner = None
        if owner != pid:
            continue
        kept = os.path.join(keep_dir, "core.%d" % pid)
        try:
            os.replace(path, kept)
        except OSError:
            kept = path
        return kept
    return None
