"""Where the interpreter test bed lives, and how other scripts read it.

    import sys; sys.path.insert(0, "<repo>/tests/testbed")
    import testbed
    for interpreter in testbed.load_manifest():
        print(interpreter["name"], interpreter["path"])

The manifest is written by tests/testbed/provision; see README.md there for
its format. Which versions the test bed holds, and where each comes from, is
in the registry of supported versions, core/runtime/versions.json
(supported_versions()). Keep this module compatible with Python 3.8: test
helpers may run under any interpreter of the test bed.
"""

import json
import os

SCHEMA = 1
MANIFEST_NAME = "manifest.json"
REGISTRY = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                        "core", "runtime", "versions.json")


def supported_versions(registry=REGISTRY):
    """The CPython versions pyautopsy reads, oldest first, as the registry lists
    them: dicts with "minor" (int), "debug_offsets" and "testbed" ({"pyenv": a
    pyenv build is expected, "debian": the Debian suite it comes from}).
    tools/layoutgen validates the file; this only reads it."""
    with open(registry) as f:
        data = json.load(f)
    versions = []
    for entry in data["versions"]:
        major, minor = (int(part) for part in entry["version"].split("."))
        versions.append(dict(entry, major=major, minor=minor))
    return versions


def cache_dir(cache=None):
    """The pyautopsy cache: `cache`, else $PYAUTOPSY_CACHE, else ~/.cache/pyautopsy."""
    if cache:
        return os.path.abspath(os.path.expanduser(cache))
    return os.path.abspath(os.environ.get("PYAUTOPSY_CACHE")
                           or os.path.join(os.path.expanduser("~"), ".cache", "pyautopsy"))


def testbed_dir(cache=None):
    return os.path.join(cache_dir(cache), "testbed")


def manifest_path(cache=None):
    return os.path.join(testbed_dir(cache), MANIFEST_NAME)


def load_manifest(cache=None):
    """The provisioned interpreters: a list of dicts, sorted by version.

    Raises FileNotFoundError (naming the command to run) if the test bed has
    not been provisioned, and ValueError for a manifest of another schema.
    """
    path = manifest_path(cache)
    try:
        with open(path) as f:
            manifest = json.load(f)
    except FileNotFoundError:
        raise FileNotFoundError(
            "no interpreter test bed at %s; run tests/testbed/provision" % path) from None
    if manifest.get("schema") != SCHEMA:
        raise ValueError("%s: schema %r, expected %d; re-run tests/testbed/provision"
                         % (path, manifest.get("schema"), SCHEMA))
    return manifest["interpreters"]
