"""Running the pyautopsy command line from the plugin.

The plugin never reads CPython itself: it asks the CLI, found through
--autopsy-bin, $PYAUTOPSY or PATH, and puts what it prints into the failing
test's report.
"""
import os
import shutil
import subprocess

# A snapshot of a hung tree takes milliseconds; this only guards against a
# pyautopsy that cannot finish (a process it cannot read), so the session goes on.
ANALYSIS_TIMEOUT = 120


class CliMissing(Exception):
    pass


def find_cli(option):
    """The pyautopsy executable: the option, then $PYAUTOPSY, then PATH."""
    for candidate in (option, os.environ.get("PYAUTOPSY")):
        if candidate:
            path = shutil.which(candidate) or (candidate if os.access(candidate, os.X_OK) else None)
            if path is None:
                raise CliMissing("pyautopsy: %s is not an executable" % candidate)
            return os.path.abspath(path)
    path = shutil.which("pyautopsy")
    if path is None:
        raise CliMissing("pyautopsy: no pyautopsy executable (install it, put it on PATH, "
                         "or name it with --autopsy-bin or $PYAUTOPSY)")
    return path


def supports(cli, flag, subcommand):
    """Whether this pyautopsy's SUBCOMMAND knows FLAG (older builds lack --tree)."""
    try:
        out = subprocess.run([cli, subcommand, "--help"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return flag in out.stdout


def run(cli, args):
    """(exit status, text): what pyautopsy printed, or why it printed nothing."""
    try:
        proc = subprocess.run([cli] + list(args), capture_output=True, text=True, errors="replace",
                              timeout=ANALYSIS_TIMEOUT)
    except subprocess.TimeoutExpired:
        return None, "pyautopsy %s did not finish within %d s" % (" ".join(args), ANALYSIS_TIMEOUT)
    except OSError as error:
        return None, "pyautopsy could not be started: %s" % error
    text = proc.stdout
    if proc.stderr.strip():
        text += ("\n" if text else "") + proc.stderr.strip()
    return proc.returncode, text
