# -*- coding: utf-8 -*-
"""A module's top-level code starts a thread and joins it; the thread
imports that same module, and waits forever for its import lock.

Models the plugin registry that warms up its cache in a background thread
at import time and waits for it, until someone moves the warm-up code into
a function that imports the package: importlib holds a module's import lock
while its top level runs, so the thread blocks on the lock the importing
thread holds, and the importing thread blocks in join(). importlib's own
deadlock detection does not see it (one side is a join, not an import).

The scenario writes the module into its working directory and imports it.
A watcher thread commits the truth once both threads are seen blocked:
the worker in _ModuleLock.acquire(), the main thread in join().
Cored by SIGABRT (a CI timeout), or kept alive for live tests.
"""
# corefile-capture: abort

import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _truth  # noqa: E402

truth = _truth.Truth("import_deadlock")

MODULE = "plugin_registry"
SOURCE = '''\
import threading

import __main__

PLUGINS = {}


def warm_up():
    import plugin_registry  # waits for the import lock the importer holds
    plugin_registry.PLUGINS["default"] = object()


worker = threading.Thread(target=warm_up, name="registry-warm-up")
worker.start()
__main__.watch(worker)
worker.join()
'''


def watch(worker):
    """Called by the module's top level, from the importing thread."""
    importer = threading.get_ident()
    importer_name = threading.current_thread().name

    def settle():
        truth.wait_blocked(worker.ident, ("acquire",))
        truth.wait_blocked(importer, ("join", "_wait_for_tstate_lock"))
        truth.facts["module"] = MODULE
        truth.facts["importer"] = {"ident": importer, "name": importer_name}
        truth.facts["waiter"] = {"ident": worker.ident, "name": worker.name}
        truth.facts["hangs_forever"] = True
        lock = _truth.held_lock()
        truth.commit()
        lock.acquire()

    threading.Thread(target=settle, name="truth-watcher", daemon=True).start()


def main():
    with open(os.path.join(os.getcwd(), MODULE + ".py"), "w") as f:
        f.write(SOURCE)
    sys.path.insert(0, os.getcwd())
    import plugin_registry  # noqa: F401  (never returns)


if __name__ == "__main__":
    main()
