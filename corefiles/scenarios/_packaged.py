"""Third-party modules for scenarios, from Debian's packages only.

A scenario that needs greenlet or gevent imports it from the interpreter's
own site-packages (sid's packages are unpacked there for the sid
interpreters) or, for another build of 3.11, from Debian bookworm's
/usr/lib/python3/dist-packages, which is built for python3.11 only.
"""

import importlib
import sys

_BOOKWORM_DIST_PACKAGES = "/usr/lib/python3/dist-packages"


def import_packaged(name, *submodules):
    """The module `name` (after importing `name.SUB` for each of submodules),
    or None when no package of it runs on this interpreter."""
    for attempt in range(2):
        try:
            module = importlib.import_module(name)
            for sub in submodules:
                importlib.import_module("%s.%s" % (name, sub))
            return module
        except Exception:   # not packaged for this interpreter, or broken
            if attempt or sys.version_info[:2] != (3, 11) or _BOOKWORM_DIST_PACKAGES in sys.path:
                return None
            sys.path.append(_BOOKWORM_DIST_PACKAGES)
    return None
