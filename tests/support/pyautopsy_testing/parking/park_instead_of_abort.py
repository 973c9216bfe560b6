"""Runs a corefiles scenario, but parks the thread that would call os.abort().

Live tests need the scenario's process alive in exactly the state its core
would show. Replacing os.abort() with park() keeps every thread where the
scenario put it; the committing thread gains one innermost frame, park().
Usage: python park_instead_of_abort.py SCENARIO.py
"""

import os
import runpy
import sys
import threading


def park():
    # Block in C, inside park() itself: a Python-level wait would add frames.
    lock = threading.Lock()
    lock.acquire()
    lock.acquire()


os.abort = park
scenario = sys.argv[1]
sys.argv = sys.argv[1:]
runpy.run_path(scenario, run_name="__main__")
