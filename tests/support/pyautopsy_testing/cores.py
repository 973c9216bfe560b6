"""The scenario cores corefiles/generate leaves in the cache, each with the
truth its process recorded: CACHE/cores/INTERPRETER/SCENARIO/ holds
core.PID (one per process), truth.json and meta.json (corefiles/README.md).
"""

import glob
import os

from pyautopsy_testing import Mismatch
from pyautopsy_testing.truthcheck import load_truth


def default_cache():
    """$PYAUTOPSY_CACHE, else ~/.cache/pyautopsy: where tests/testbed/provision
    and corefiles/generate put the test bed and the cores. CTest always
    passes --cache; this is for tests run by hand."""
    return os.environ.get("PYAUTOPSY_CACHE") or os.path.expanduser("~/.cache/pyautopsy")


def scenario_dir(cache, interpreter, scenario):
    return os.path.join(cache, "cores", interpreter, scenario)


def core_and_truth(cache, interpreter, scenario):
    """(path of the scenario's first core, its truth). Raises Mismatch,
    naming the directory, when either is missing."""
    directory = scenario_dir(cache, interpreter, scenario)
    cores = sorted(glob.glob(os.path.join(directory, "core.*")))
    truth_path = os.path.join(directory, "truth.json")
    if not cores or not os.path.exists(truth_path):
        raise Mismatch("no %s core or truth in %s (run corefiles/generate)" % (scenario, directory))
    return cores[0], load_truth(truth_path)
