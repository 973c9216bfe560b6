"""Named checks, each printing the one line the CTest log shows for it:
"ok   LABEL: what it found" or "FAIL LABEL: the first difference".

A check is a callable returning what it found. It fails by raising one of
CHECK_ERRORS: a Mismatch, or the error a report that lacks what the check
reads gives (a missing key, a null where a list was expected, output with
no JSON in it). Either way only that check fails: the ones after it still
run, so one run of a test names everything that is wrong.
"""

from pyautopsy_testing import Mismatch

CHECK_ERRORS = (Mismatch, KeyError, IndexError, TypeError, ValueError)


def describe(error):
    """A Mismatch says what differs; anything else also says what it is."""
    return str(error) if isinstance(error, Mismatch) else "%s: %s" % (type(error).__name__, error)


def ok(label, found):
    print("ok   %s: %s" % (label, found), flush=True)


def fail(label, error):
    print("FAIL %s: %s" % (label, describe(error) if isinstance(error, Exception) else error), flush=True)


def run(label, check):
    """Runs check(); returns the number of failures (0 or 1)."""
    try:
        found = check()
    except CHECK_ERRORS as e:
        fail(label, e)
        return 1
    ok(label, found)
    return 0


def run_all(label, checks):
    """checks: [(name, check)], each printed as "LABEL NAME"; returns the number of failures."""
    return sum(run("%s %s" % (label, name), check) for name, check in checks)
