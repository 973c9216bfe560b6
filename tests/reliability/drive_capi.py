#!/usr/bin/env python3
"""Drives libpyautopsy.so over core files the way GDB's front end does.

usage: drive_capi.py --library LIB --executable EXE CORE...

For each core: the analyses GDB asks for (plain, then with locals and
native frames), then every text the commands print -- the whole report,
process, runtime, diagnosis, asyncio and greenlet sections, each thread and
its header, each frame with its names, and a name lookup -- as py-bt,
py-list, py-locals, py-print and `pyautopsy ...` would. A status the library
reports (a damaged core) is an answer; the process dying is the failure the
caller looks for. Prints one line per core.
"""

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "gdb-scripts"))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))

from pyautopsy_gdb import capi  # noqa: E402
from pyautopsy_testing.core_callbacks import CoreCallbacks, CoreImage  # noqa: E402


def answered(function, *args, **kwargs):
    """Calls one report function; an error status is an answer too."""
    try:
        function(*args, **kwargs)
        return 1
    except capi.CapiError:
        return 0


def drive(library, executable, path):
    bridge = CoreCallbacks(capi, CoreImage(path), executable)
    calls = answers = 0
    for locals_, native in ((False, False), (True, True)):
        try:
            report = library.analyze(bridge.callbacks, locals_=locals_, native=native)
        except capi.CapiError as e:
            return "library says: %s" % e
        data = json.loads(report.json())
        todo = [(report.text, (), {"most_recent_last": True}),
                (report.text, (), {"most_recent_last": False, "source": False})]
        todo += [(section, (), {}) for section in (report.process_text, report.state_text, report.diagnosis_text,
                                                   report.asyncio_text, report.greenlets_text)]
        for t, thread in enumerate(data["threads"]):
            todo += [(report.thread_header_text, (t,), {}), (report.thread_text, (t,), {"most_recent_last": True})]
            for f in range(len(thread["frames"])):
                todo += [(report.thread_text, (t,), {"first_frame": f}), (report.frame_text, (t, f), {}),
                         (report.frame_names_text, (t, f), {}), (report.name_text, (t, f, "x"), {})]
        for function, args, kwargs in todo:
            answers += answered(function, *args, **kwargs)
        calls += len(todo)
    return "%d threads, %d calls, %d answered without an error status" % (len(data["threads"]), calls, answers)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--library", required=True)
    ap.add_argument("--executable", required=True)
    ap.add_argument("cores", nargs="+")
    args = ap.parse_args()
    library = capi.Library(args.library)
    for path in args.cores:
        print("%s: %s" % (path, drive(library, args.executable, path)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
