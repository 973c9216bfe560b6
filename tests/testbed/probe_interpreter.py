"""Run BY a candidate interpreter (any CPython 3.8+): prints one JSON object.

It proves the interpreter is usable for our tests (it starts, finds its stdlib,
and can import the modules the crash scenarios use) and reports the facts the
manifest needs, straight from the running process:
  - version, hexversion, and whether it is a debug build;
  - sys.prefix, to check a relocated interpreter found its own stdlib;
  - which mapped file holds _PyRuntime (the executable for a static build,
    libpython for a shared one), found through /proc/self/maps, which is
    what pyautopsy itself will see.
Keep this file compatible with Python 3.8.
"""

import json
import os
import sys

REQUIRED_MODULES = ("threading", "ctypes", "asyncio", "json", "multiprocessing")


def _version_string(info):
    text = "%d.%d.%d" % (info.major, info.minor, info.micro)
    suffix = {"alpha": "a", "beta": "b", "candidate": "rc"}.get(info.releaselevel)
    if suffix:
        text += "%s%d" % (suffix, info.serial)
    return text


def _mapped_file_holding(address):
    # A variable in .bss may sit in the anonymous mapping that directly follows
    # the file-backed part of its object's data segment; it belongs to that file.
    previous_end, previous_path = None, None
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split(None, 5)
            start, end = (int(x, 16) for x in fields[0].split("-"))
            path = fields[5].strip() if len(fields) == 6 else ""
            if start <= address < end:
                if path.startswith("/"):
                    return path
                if not path and previous_end == start and previous_path:
                    return previous_path
                return None
            if path.startswith("/"):
                previous_end, previous_path = end, path
            elif not path and previous_end == start:
                previous_end = end  # bss can span more than one anonymous mapping
            else:
                previous_end, previous_path = end, None
    return None


def main():
    result = {
        "version": _version_string(sys.version_info),
        "version_full": sys.version,
        "hexversion": sys.hexversion,
        "debug": hasattr(sys, "gettotalrefcount"),
        "prefix": sys.prefix,
        "executable": os.path.realpath(sys.executable),
        "import_errors": {},
        "runtime_file": None,
    }
    for name in REQUIRED_MODULES:
        try:
            __import__(name)
        except Exception as error:  # report every failure, not just the first
            result["import_errors"][name] = "%s: %s" % (type(error).__name__, error)
    try:
        import ctypes

        runtime = ctypes.c_char.in_dll(ctypes.pythonapi, "_PyRuntime")
        holder = _mapped_file_holding(ctypes.addressof(runtime))
        result["runtime_file"] = os.path.realpath(holder) if holder else None
    except Exception as error:
        result["runtime_error"] = "%s: %s" % (type(error).__name__, error)
    json.dump(result, sys.stdout)


main()
