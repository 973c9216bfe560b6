"""Runs a corefiles scenario parked (see park_instead_of_abort.py), with one
extra thread that has no Python thread state: faulthandler's watchdog, a C
thread started by dump_traceback_later() that only waits on a lock.
Usage: python park_with_c_thread.py SCENARIO.py
"""

import faulthandler
import os
import runpy
import sys

faulthandler.dump_traceback_later(24 * 3600)
parker = os.path.join(os.path.dirname(os.path.abspath(__file__)), "park_instead_of_abort.py")
sys.argv = [parker] + sys.argv[1:]
runpy.run_path(parker, run_name="__main__")
