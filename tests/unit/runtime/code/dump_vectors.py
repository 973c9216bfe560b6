"""Dump line-table test vectors from the interpreter that runs this script.

Compiles a set of stdlib modules (plus a few sources written to hit the
formats' corner cases), walks every nested code object, and writes one JSON
file with, for each code object: its raw line table (co_lnotab on 3.8/3.9,
co_linetable on 3.10+), co_firstlineno, and the interpreter's own answer,
PyCode_Addr2Line(code, offset), for every even byte offset of its bytecode
and for the negative offsets of a frame that has not started.

Runs unchanged on CPython 3.8 to 3.15, stdlib and ctypes only:
    python3.X dump_vectors.py OUT.json
"""

import ctypes
import glob
import json
import os
import platform
import sys
import sysconfig
import types

# Modules (files or packages) under the stdlib directory. Compiling, not
# importing, keeps their side effects out and gives the same set everywhere.
STDLIB_SOURCES = [
    "threading.py",
    "asyncio",
    "json",
    "email",
    "collections",
    "inspect.py",
    "dis.py",
    "typing.py",
    "argparse.py",
    "unittest",
    "logging",
]

# Corner cases: line gaps past 255 (lnotab/3.10 pairs and multi-group varints),
# lines that go backwards, one line with more than 255 bytes of bytecode,
# exception handling and with-blocks (3.10 "no line" ranges, 3.11 "no location"
# entries), and nested code of every kind.
SYNTHETIC = '''
def big_gap():
    x = 1
''' + "\n" * 1000 + '''
    y = (x +
''' + "\n" * 300 + '''
         2)
    return x + y

def backwards(a, b):
    return f(
        a,
        b,
    ) if g(
        b) else h(a,
                  b)

def long_line(a):
    r = ''' + " + ".join("a.m%d(a)" % i for i in range(120)) + '''
    return r

def handlers(path):
    for i in range(3):
        try:
            with open(path) as fh:
                if fh.read():
                    break
        except (OSError, ValueError) as e:
            continue
        finally:
            path = path + str(i)
    else:
        return None
    while path:
        path = path[1:]
    return [x for x in path if x] or {k: v for k, v in zip(path, path)}

async def coro(q):
    async with q as item:
        async for x in item:
            await x
    return lambda y: (yield_ for yield_ in y)

class K:
    attr = 1
    def method(self):
        def inner():
            return self
        return inner
'''


def code_objects(code):
    """Every code object nested in `code`, itself first, without recursion."""
    pending = [code]
    while pending:
        current = pending.pop()
        yield current
        pending.extend(c for c in reversed(current.co_consts) if isinstance(c, types.CodeType))


def table_format():
    minor = sys.version_info[:2]
    if minor < (3, 8):
        raise SystemExit("dump_vectors.py needs CPython 3.8 or later")
    if minor < (3, 10):
        return "Lnotab38"
    if minor == (3, 10):
        return "Linetable310"
    return "Locations311"


def raw_table(code):
    if sys.version_info < (3, 10):
        return code.co_lnotab
    return code.co_linetable


def sources():
    stdlib = sysconfig.get_paths()["stdlib"]
    for entry in STDLIB_SOURCES:
        path = os.path.join(stdlib, entry)
        if os.path.isdir(path):
            files = sorted(glob.glob(os.path.join(path, "**", "*.py"), recursive=True))
        else:
            files = [path]
        for name in files:
            if os.path.isfile(name):
                with open(name, "rb") as fh:
                    yield name, fh.read()
    yield "<synthetic>", SYNTHETIC.encode()


def main():
    if len(sys.argv) != 2:
        raise SystemExit("usage: python3.X dump_vectors.py OUT.json")
    addr2line = ctypes.pythonapi.PyCode_Addr2Line
    addr2line.argtypes = [ctypes.py_object, ctypes.c_int]
    addr2line.restype = ctypes.c_int

    def expected(code, offset):
        line = addr2line(code, offset)
        return None if line == -1 else line

    vectors = []
    for filename, source in sources():
        try:
            module = compile(source, filename, "exec", dont_inherit=True)
        except SyntaxError:
            continue  # e.g. a test data file that is not valid Python on purpose
        for code in code_objects(module):
            size = len(code.co_code)
            vectors.append({
                "where": "%s:%d:%s" % (filename, code.co_firstlineno, code.co_name),
                "firstlineno": code.co_firstlineno,
                "table": raw_table(code).hex(),
                "lines": [expected(code, offset) for offset in range(0, size - 1, 2)],
                "negative": [[offset, expected(code, offset)] for offset in (-1, -2)],
            })

    info = {
        "python": platform.python_version(),
        "executable": sys.executable,
        "debug": hasattr(sys, "gettotalrefcount"),
        "format": table_format(),
        "codes": vectors,
    }
    with open(sys.argv[1], "w") as out:
        json.dump(info, out, separators=(",", ":"))
    print("%s %s: %d code objects, %d offsets" % (
        info["python"], "debug" if info["debug"] else "release",
        len(vectors), sum(len(v["lines"]) for v in vectors)))


if __name__ == "__main__":
    main()
