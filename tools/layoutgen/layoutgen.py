#!/usr/bin/env python3
"""layoutgen: compile CPython's own headers into pyautopsy's layout tables.

The supported versions come from the registry, core/runtime/versions.json;
layoutgen compiles it into core/runtime/discovery/GeneratedVersions.cpp.

For every header set of the test bed (the provisioner's manifest, pyenv's
builds, Debian's /usr/include/python3.X[d]) of a listed version it writes a C
probe that prints offsetof()/sizeof() for each Layout field (the expressions
are in fields.py), compiles it with gcc against that header set with
Py_BUILD_CORE (and Py_DEBUG for the debug variant), runs it, and writes one
file per version, core/runtime/layouts/generated/CPython3_N.h: one
LayoutTableEntry per (patch release, build kind), in a stable order, each
value commented with the C expression it came from, and on versions with
_Py_DebugOffsets the names of that struct's words in order (read from the
preprocessed struct, each position checked with offsetof()). GeneratedTables.cpp
joins the tables into one array, in the registry's order.

Tables whose headers are not on this machine are kept as committed, never
dropped: a machine regenerates what it has, and says what it kept.

    layoutgen.py            regenerate the generated files
    layoutgen.py --only 3.N probe only 3.N's header sets (or 3.N.M's)
    layoutgen.py --check    exit 1 if regenerating would change a committed
                            file, 77 (skip) if all agree but some tables'
                            header sets are not on this machine
    layoutgen.py --list     show the header sets that were found

Python 3 standard library only.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
LAYOUT_H = REPO / "core/runtime/layouts/Layout.h"
OUTPUT = REPO / "core/runtime/layouts/GeneratedTables.cpp"
REGISTRY = REPO / "core/runtime/versions.json"
VERSIONS_OUTPUT = REPO / "core/runtime/discovery/GeneratedVersions.cpp"
EXIT_SKIP = 77

sys.path.insert(0, str(HERE))
import fields as fieldspec  # noqa: E402


# --------------------------------------------------------------------------
# The registry: core/runtime/versions.json
# --------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class SupportedVersion:
    major: int
    minor: int
    debug_offsets: bool         # _PyRuntime starts with _Py_DebugOffsets

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"


_REGISTRY_KEYS = {"version": str, "debug_offsets": bool, "testbed": dict}
_TESTBED_KEYS = {"pyenv": bool, "debian": str}


def load_registry(path: Path = REGISTRY) -> list[SupportedVersion]:
    """The registry's versions, oldest first; exits with a message if it is malformed.

    Strict on purpose: a misspelt key would otherwise silently mean "no"."""
    def fail(message: str):
        sys.exit(f"layoutgen: {pretty_repo_path(path)}: {message}")

    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        fail(str(exc))
    if not isinstance(data, dict) or not isinstance(data.get("versions"), list) or not data["versions"]:
        fail('expected {"versions": [...]} with at least one version')
    versions = []
    for entry in data["versions"]:
        if not isinstance(entry, dict) or set(entry) != set(_REGISTRY_KEYS):
            fail(f"each version needs exactly the keys {sorted(_REGISTRY_KEYS)}: {entry!r}")
        for key, kind in _REGISTRY_KEYS.items():
            if not isinstance(entry[key], kind):
                fail(f"{key} must be a {kind.__name__}: {entry!r}")
        m = re.fullmatch(r"3\.(\d+)", entry["version"])
        if not m:
            fail(f"version must read 3.N: {entry['version']!r}")
        testbed = entry["testbed"]
        for key, value in testbed.items():
            if key not in _TESTBED_KEYS or not isinstance(value, _TESTBED_KEYS[key]):
                fail(f"testbed of {entry['version']}: unknown key or wrong type: {key!r}: {value!r}")
        versions.append(SupportedVersion(3, int(m.group(1)), entry["debug_offsets"]))
    minors = [v.minor for v in versions]
    if minors != list(range(minors[0], minors[0] + len(minors))):
        fail(f"versions must be listed oldest first, without gaps: {', '.join(map(str, versions))}")
    return versions


def pretty_repo_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO))
    except ValueError:
        return str(path)


# --------------------------------------------------------------------------
# Layout.h: which fields exist, in declaration order
# --------------------------------------------------------------------------

def parse_layout_h(path: Path) -> list[tuple[str, list[str]]]:
    """[(member of struct Layout, [its Offset fields in order])]."""
    text = re.sub(r"//[^\n]*", "", path.read_text())
    structs: dict[str, list[str]] = {}
    for m in re.finditer(r"struct\s+(\w+)\s*\{(.*?)\};", text, re.S):
        structs[m.group(1)] = re.findall(r"Offset\s+(\w+)\s*=", m.group(2))
    if "Layout" not in structs:
        sys.exit(f"layoutgen: no struct Layout in {path}")
    body = re.search(r"struct\s+Layout\s*\{(.*?)\};", text, re.S).group(1)
    groups = []
    for type_name, member in re.findall(r"(\w+)\s+(\w+)\s*;", body):
        if type_name not in structs:
            sys.exit(f"layoutgen: Layout member {member} has unknown type {type_name}")
        groups.append((member, structs[type_name]))
    return groups


# --------------------------------------------------------------------------
# Version ranges of fields.py
# --------------------------------------------------------------------------

def _parse_version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split("."))


def range_matches(spec: str, version: tuple[int, int, int]) -> tuple[bool, bool]:
    """(does the range cover version, is the member optional there)."""
    optional = spec.endswith("?")
    spec = spec.rstrip("?")
    if spec.endswith("+"):
        low, high = _parse_version(spec[:-1]), None
    elif "-" in spec:
        a, b = spec.split("-")
        low, high = _parse_version(a), _parse_version(b)
    else:
        low = high = _parse_version(spec)
    if version[: len(low)] < low:
        return False, optional
    if high is not None and version[: len(high)] > high:
        return False, optional
    return True, optional


@dataclasses.dataclass
class Row:
    field: str          # "runtime.finalizing"
    expr: str
    optional: bool
    mirror: bool


def rows_for(version: tuple[int, int, int], known: set[str]) -> list[Row]:
    rows: dict[str, Row] = {}
    for entry in fieldspec.FIELDS:
        field, spec, expr = entry[:3]
        if field not in known:
            sys.exit(f"layoutgen: fields.py names {field}, which Layout.h does not have")
        covered, optional = range_matches(spec, version)
        if not covered:
            continue
        if field in rows:
            sys.exit(f"layoutgen: fields.py has two rows for {field} covering {version}")
        rows[field] = Row(field, expr, optional, fieldspec.MIRROR in entry[3:])
    return list(rows.values())


# --------------------------------------------------------------------------
# Header sets
# --------------------------------------------------------------------------

@dataclasses.dataclass
class HeaderSet:
    origin: str                 # "pyenv", "debian", or the manifest's source
    include_dir: Path
    debug: bool
    pyconfig: Path | None = None     # a debug pyconfig.h to force-include
    define_debug: bool = False       # no debug pyconfig: compile with -DPy_DEBUG
    version: tuple[int, int, int] = (0, 0, 0)
    release_level: str = "final"

    def describe(self) -> str:
        how = "release"
        if self.debug:
            how = "debug via -DPy_DEBUG" if self.define_debug else "debug"
        if self.pyconfig is not None:
            how += f", pyconfig {pretty_path(self.pyconfig)}"
        ver = ".".join(map(str, self.version))
        if self.release_level != "final":
            ver += f" ({self.release_level})"
        return f"{self.origin} {ver} headers {pretty_path(self.include_dir)} ({how})"


def pretty_path(path: Path) -> str:
    """Machine-independent spelling, so the generated file does not depend on $HOME."""
    text = str(path)
    cache = str(cache_dir()).rstrip("/")
    if text.startswith(cache + "/"):
        return "${PYAUTOPSY_CACHE}" + text[len(cache):]
    # The test bed may be a symlink into another cache: its real path is the one in use.
    testbed = os.path.realpath(cache_dir() / "testbed")
    if text.startswith(testbed + "/"):
        return "${PYAUTOPSY_CACHE}/testbed" + text[len(testbed):]
    home = str(Path.home())
    if text.startswith(home + "/"):
        return "~" + text[len(home):]
    return text


def read_version(include_dir: Path) -> tuple[tuple[int, int, int], str] | None:
    patch = include_dir / "patchlevel.h"
    if not patch.is_file():
        return None
    text = patch.read_text(errors="replace")
    nums = {}
    for key in ("MAJOR", "MINOR", "MICRO"):
        m = re.search(rf"#define\s+PY_{key}_VERSION\s+(\d+)", text)
        if not m:
            return None
        nums[key] = int(m.group(1))
    level = re.search(r"#define\s+PY_RELEASE_LEVEL\s+PY_RELEASE_LEVEL_(\w+)", text)
    return (nums["MAJOR"], nums["MINOR"], nums["MICRO"]), (level.group(1).lower() if level else "final")


def cache_dir() -> Path:
    return Path(os.environ.get("PYAUTOPSY_CACHE") or Path.home() / ".cache/pyautopsy")


def find_debug_pyconfig(entry: dict, include_dir: Path) -> Path | None:
    for key in ("pyconfig_dir", "pyconfig"):
        value = entry.get(key)
        if not value:
            continue
        p = Path(value).expanduser()
        if p.is_dir():
            p = p / "pyconfig.h"
        if p.is_file():
            return p
    return None


def from_manifest(path: Path) -> list[HeaderSet]:
    if not path.is_file():
        return []
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        print(f"layoutgen: ignoring unreadable manifest {path}: {exc}", file=sys.stderr)
        return []
    sets = []
    for entry in data.get("interpreters", []):
        inc = entry.get("include_dir")
        if not inc or not Path(inc).expanduser().is_dir():
            continue
        include_dir = Path(inc).expanduser()
        debug = bool(entry.get("debug"))
        pyconfig = find_debug_pyconfig(entry, include_dir)
        # A release entry's pyconfig is the one next to its headers anyway.
        hs = HeaderSet(origin=str(entry.get("source") or "testbed"), include_dir=include_dir,
                       debug=debug, pyconfig=pyconfig if debug else None)
        if debug and not _pyconfig_defines_debug(hs):
            hs.define_debug = True
        sets.append(hs)
    return sets


def _pyconfig_defines_debug(hs: HeaderSet) -> bool:
    candidates = [hs.pyconfig] if hs.pyconfig else []
    candidates.append(hs.include_dir / "pyconfig.h")
    for c in candidates:
        text = c.read_text(errors="replace") if c and c.is_file() else ""
        if re.search(r"^#define\s+Py_DEBUG\s+1", text, re.M):
            return True
        inner = re.search(r"#\s*include\s*<(x86_64-linux-gnu/[^>]+)>", text)
        if inner:
            for base in (hs.include_dir.parent, Path("/usr/include")):
                p = base / inner.group(1)
                if p.is_file() and re.search(r"^#define\s+Py_DEBUG\s+1",
                                             p.read_text(errors="replace"), re.M):
                    return True
    return False


def from_pyenv() -> list[HeaderSet]:
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    sets = []
    if root.is_dir():
        for d in sorted(root.iterdir()):
            m = re.fullmatch(r"3\.(\d+)\.(\d+)", d.name)
            if m:
                inc = d / "include" / f"python3.{m.group(1)}"
                if inc.is_dir():
                    sets.append(HeaderSet("pyenv", inc, debug=False))
    return sets


def from_system() -> list[HeaderSet]:
    sets = []
    names = sorted(p.name for p in Path("/usr/include").glob("python3.*"))
    for minor in sorted({int(m.group(1)) for m in map(re.compile(r"python3\.(\d+)d?").fullmatch, names) if m}):
        for suffix, debug in (("", False), ("d", True)):
            inc = Path(f"/usr/include/python3.{minor}{suffix}")
            if (inc / "Python.h").is_file():
                arch_pyconfig = Path(f"/usr/include/x86_64-linux-gnu/python3.{minor}{suffix}/pyconfig.h")
                # Same description as the provisioner's manifest gives these headers.
                hs = HeaderSet("debian", inc, debug=debug,
                               pyconfig=arch_pyconfig if debug and arch_pyconfig.is_file() else None)
                if debug and not _pyconfig_defines_debug(hs):
                    hs.define_debug = True
                sets.append(hs)
    return sets


def discover(manifest: Path, use_pyenv: bool, use_system: bool, versions: list[SupportedVersion],
             verbose: bool = False) -> list[HeaderSet]:
    """Every header set of a registry version once per (version, build kind).
    Earlier sources win: the manifest, then pyenv, then the system; a real debug
    pyconfig wins over a -DPy_DEBUG variant of the release headers."""
    found = from_manifest(manifest)
    if use_pyenv:
        found += from_pyenv()
    if use_system:
        found += from_system()
    for hs in found:
        v = read_version(hs.include_dir)
        if v:
            hs.version, hs.release_level = v
    listed = {(v.major, v.minor) for v in versions}
    for hs in found:
        if hs.version[:2] not in listed and hs.version[0] and verbose:
            print(f"layoutgen: ignoring {hs.describe()}: {hs.version[0]}.{hs.version[1]} is not in "
                  f"{pretty_repo_path(REGISTRY)}", file=sys.stderr)
    found = [hs for hs in found if hs.version[:2] in listed]
    chosen: dict[tuple, HeaderSet] = {}
    for hs in found:
        chosen.setdefault((hs.version, hs.debug), hs)
    # Release headers without a real debug counterpart get a -DPy_DEBUG variant.
    for (version, debug), hs in list(chosen.items()):
        if not debug and (version, True) not in chosen:
            chosen[(version, True)] = dataclasses.replace(hs, debug=True, define_debug=True)
    return [chosen[k] for k in sorted(chosen)]


# --------------------------------------------------------------------------
# The probe
# --------------------------------------------------------------------------

class ProbeError(Exception):
    pass


def probe_includes(hs: HeaderSet) -> list[str]:
    lines = [
        "/* layoutgen probe (generated) */",
        "#define Py_BUILD_CORE 1",
        '#include "Python.h"',
    ]
    for header in fieldspec.HEADERS:
        if (hs.include_dir / header).is_file():
            lines.append(f'#include "{header}"')
    return lines


def probe_source(hs: HeaderSet, rows: list[Row]) -> tuple[str, dict[int, Row]]:
    lines = probe_includes(hs)
    lines += [
        '#include "mirrors.h"',
        "#include <stddef.h>",
        "#include <stdio.h>",
        "int main(void) {",
    ]
    by_line: dict[int, Row] = {}
    for row in rows:
        lines.append(f'    printf("%s=%ld\\n", "{row.field}", (long)({row.expr}));')
        by_line[len(lines)] = row
    lines += ["    return 0;", "}", ""]
    return "\n".join(lines), by_line


def compiler_flags(hs: HeaderSet) -> list[str]:
    flags = ["-std=gnu11", "-w", "-O0",
             f"-I{hs.include_dir}", f"-I{hs.include_dir / 'internal'}",
             # Debian's pyconfig.h is a wrapper around <x86_64-linux-gnu/python3.X/pyconfig.h>;
             # searched last, so an unpacked tree's libc headers never replace the host's.
             "-idirafter", str(hs.include_dir.parent),
             f"-I{HERE}"]
    if hs.pyconfig is not None:
        flags += ["-include", str(hs.pyconfig)]
    if hs.define_debug:
        flags.append("-DPy_DEBUG")
    return flags


def run_probe(hs: HeaderSet, rows: list[Row], cc: str, workdir: Path) -> tuple[dict[str, int], list[str]]:
    """{field: value} and the optional fields the headers do not have."""
    rows = list(rows)
    dropped: list[str] = []
    src, exe = workdir / "probe.c", workdir / "probe"
    for _ in range(len(rows) + 1):
        text, by_line = probe_source(hs, rows)
        src.write_text(text)
        proc = subprocess.run([cc, *compiler_flags(hs), str(src), "-o", str(exe)],
                              capture_output=True, text=True)
        if proc.returncode == 0:
            break
        failed_lines = {int(n) for n in re.findall(rf"^{re.escape(str(src))}:(\d+):\d+: error", proc.stderr, re.M)}
        failed = [by_line[n] for n in sorted(failed_lines) if n in by_line]
        hard = [r for r in failed if not r.optional]
        if not failed or hard or len(failed) != len(failed_lines):
            raise ProbeError(f"probe for {hs.describe()} does not compile:\n{proc.stderr[-4000:]}")
        for r in failed:
            rows.remove(r)
            dropped.append(r.field)
    out = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout
    values = {}
    for line in out.splitlines():
        name, _, value = line.partition("=")
        values[name] = int(value)
    return values, dropped


# --------------------------------------------------------------------------
# _Py_DebugOffsets: the order of its entries
# --------------------------------------------------------------------------
#
# A 3.13+ runtime starts with _Py_DebugOffsets: a cookie, the version, a
# free-threaded flag, then sub-structs of uint64_t offsets and sizes. The
# reader (DebugOffsets.cpp) takes it as an array of words, so it needs each
# word's name in order; one missing name would shift every later one. The
# names come from the struct as the compiler sees it for this build (the
# preprocessed headers, so #if blocks count as they do for CPython), and every
# position is then confirmed with offsetof() on the real struct.

DEBUG_OFFSETS_STRUCT = "_Py_DebugOffsets"
DEBUG_OFFSETS_PREFIX = ("cookie", "version", "free_threaded")   # read by position, not by name
_DECLARATION = re.compile(rf"\bstruct\s+{DEBUG_OFFSETS_STRUCT}\s*\{{")
_TOKEN = re.compile(r"[A-Za-z_]\w*|\d+|\S")


def _skip_group(tokens: list[str], i: int) -> int:
    """Index after the bracket group that opens at tokens[i]."""
    closing = {"(": ")", "[": "]", "{": "}"}
    stack = [closing[tokens[i]]]
    i += 1
    while stack:
        if i >= len(tokens):
            raise ProbeError(f"unbalanced {DEBUG_OFFSETS_STRUCT} declaration")
        if tokens[i] in closing:
            stack.append(closing[tokens[i]])
        elif tokens[i] == stack[-1]:
            stack.pop()
        i += 1
    return i


def _declarators(tokens: list[str], i: int) -> tuple[list[str], int]:
    """The names declared from tokens[i] up to ';' (after the type, if any), and the index after ';'."""
    parts: list[list[str]] = [[]]
    while tokens[i] != ";":
        t = tokens[i]
        if t in ("__attribute__", "__attribute"):
            i = _skip_group(tokens, i + 1)
        elif t == "[":
            i = _skip_group(tokens, i)
        elif t == ",":
            parts.append([])
            i += 1
        elif t in "({}":
            near = " ".join(tokens[max(0, i - 3):i + 3])
            raise ProbeError(f"cannot read a member of {DEBUG_OFFSETS_STRUCT} near {near!r}")
        else:
            parts[-1].append(t)
            i += 1
    names = [p[-1] for p in parts if p]
    for name in names:
        if not re.fullmatch(r"[A-Za-z_]\w*", name):
            raise ProbeError(f"cannot read a member name of {DEBUG_OFFSETS_STRUCT}: {name!r}")
    return names, i + 1


def _members(tokens: list[str], i: int) -> tuple[list[str], int]:
    """Dotted paths of the scalar members of the struct body starting at tokens[i]
    (just after its '{'), in declaration order, and the index after its '}'."""
    paths: list[str] = []
    while tokens[i] != "}":
        if tokens[i] == "struct" and "{" in tokens[i + 1:i + 3]:
            i = tokens.index("{", i) + 1
            inner, i = _members(tokens, i)
            names, i = _declarators(tokens, i)
            # An unnamed struct member (C11) puts its members into ours.
            paths += [f"{n}.{p}" for n in names for p in inner] if names else inner
        else:
            names, i = _declarators(tokens, i)
            paths += names
    return paths, i + 1


def debug_offsets_paths(preprocessed: str) -> list[str] | None:
    """Every scalar member of struct _Py_DebugOffsets, in declaration order; None without one."""
    m = _DECLARATION.search(preprocessed)
    if not m:
        return None
    tokens = _TOKEN.findall(preprocessed[m.end():])
    try:
        paths, _ = _members(tokens, 0)
    except IndexError:
        raise ProbeError(f"the declaration of {DEBUG_OFFSETS_STRUCT} does not end") from None
    return paths


def declaring_headers(hs: HeaderSet) -> list[Path]:
    """The headers of the set that declare the struct (a cheap test before preprocessing)."""
    # Include/ and its subdirectories (internal/, cpython/; symbolic links in Debian's debug trees).
    headers = sorted([*hs.include_dir.glob("*.h"), *hs.include_dir.glob("*/*.h")])
    return [p for p in headers
            if DEBUG_OFFSETS_STRUCT in (text := p.read_text(errors="replace")) and _DECLARATION.search(text)]


def run_debug_offsets_probe(hs: HeaderSet, cc: str, workdir: Path) -> list[str] | None:
    """The names of _Py_DebugOffsets' words after the prefix, in order; None if
    these headers have no such struct. Raises ProbeError unless every word is a
    uint64_t-sized member at the next position, as the reader assumes."""
    declared_in = declaring_headers(hs)
    if not declared_in:
        return None
    src, exe = workdir / "debug_offsets.c", workdir / "debug_offsets"
    src.write_text("\n".join(probe_includes(hs)) + "\n")
    pre = subprocess.run([cc, *compiler_flags(hs), "-E", "-P", str(src)], capture_output=True, text=True)
    if pre.returncode != 0:
        raise ProbeError(f"headers of {hs.describe()} do not preprocess:\n{pre.stderr[-4000:]}")
    paths = debug_offsets_paths(pre.stdout)
    if paths is None:
        where = ", ".join(str(p.relative_to(hs.include_dir)) for p in declared_in)
        raise ProbeError(f"{hs.describe()} declares {DEBUG_OFFSETS_STRUCT} in {where}, which the probe "
                         "does not reach: add it to HEADERS in tools/layoutgen/fields.py")
    struct = f"struct {DEBUG_OFFSETS_STRUCT}"
    lines = probe_includes(hs) + ["#include <stddef.h>", "#include <stdio.h>", "int main(void) {",
                                  f'    printf("sizeof %ld\\n", (long)sizeof({struct}));']
    for path in paths:
        lines.append(f'    printf("{path} %ld %ld\\n", (long)offsetof({struct}, {path}), '
                     f'(long)sizeof((({struct} *)0)->{path}));')
    lines += ["    return 0;", "}", ""]
    src.write_text("\n".join(lines))
    proc = subprocess.run([cc, *compiler_flags(hs), str(src), "-o", str(exe)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise ProbeError(f"{DEBUG_OFFSETS_STRUCT} probe for {hs.describe()} does not compile "
                         f"(members read: {', '.join(paths)}):\n{proc.stderr[-4000:]}")
    out = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout.splitlines()
    total = int(out[0].split()[1])
    placed = [(name, int(offset), int(size)) for name, offset, size in (line.split() for line in out[1:])]

    def fail(why: str):
        raise ProbeError(f"{DEBUG_OFFSETS_STRUCT} of {hs.describe()}: {why}; "
                         "core/runtime/layouts/DebugOffsets.cpp reads it as an array of 8-byte words")
    if tuple(p[0] for p in placed[:len(DEBUG_OFFSETS_PREFIX)]) != DEBUG_OFFSETS_PREFIX:
        fail(f"it does not start with {', '.join(DEBUG_OFFSETS_PREFIX)}")
    for index, (name, offset, size) in enumerate(placed):
        if offset != 8 * index or size != 8:
            fail(f"{name} is {size} bytes at offset {offset}, not 8 bytes at {8 * index}")
    if total != 8 * len(placed):
        fail(f"it is {total} bytes, not {8 * len(placed)} ({len(placed)} words)")
    return [p[0] for p in placed[len(DEBUG_OFFSETS_PREFIX):]]


# --------------------------------------------------------------------------
# generated/CPython3_N.h: one version's tables
# --------------------------------------------------------------------------

GENERATED_DIR = REPO / "core/runtime/layouts/generated"

Key = tuple[int, int, int, bool]     # (major, minor, micro, debug): one table


def version_file(v: SupportedVersion) -> Path:
    return GENERATED_DIR / f"CPython{v.major}_{v.minor}.h"


def version_id(v: SupportedVersion) -> str:
    return f"{v.major}_{v.minor}"


VERSION_HEADER = """\
// generated by tools/layoutgen, do not edit.
//
// CPython {version}: one LayoutTableEntry per header set of the test bed
// (patch release, release or debug build), oldest first{and_debug_offsets}.
//
// Every number below is offsetof()/sizeof() compiled by tools/layoutgen against
// the CPython headers named in the entry's .source (Py_BUILD_CORE; Py_DEBUG for
// debug builds); the comment on each value is the C expression that produced it.
// Values marked "mirror" come from tools/layoutgen/mirrors.h, our restatement of
// a struct CPython keeps in a .c file (it is not in the installed headers).
// kAbsent: the version does not have the field (see tools/layoutgen/fields.py).
//
// Regenerate:  python3 tools/layoutgen/layoutgen.py [--only {version}]
// Verify:      python3 tools/layoutgen/layoutgen.py --check
#pragma once

#include "runtime/layouts/LayoutTables.h"

namespace pyautopsy::runtime::generated {{

// clang-format off
inline constexpr LayoutTableEntry kLayouts{id}[] = {{
"""

DEBUG_OFFSETS_HEADER = """\
}};

// _Py_DebugOffsets: the names of its 8-byte words after cookie, version and
// free_threaded, in order, as "<sub-struct>.<member>". tools/layoutgen read the
// struct from the headers above and checked every position with offsetof().
inline constexpr const char* kDebugOffsetFields{id}[] = {{
"""

VERSION_FOOTER = """\
}};
// clang-format on

}}  // namespace pyautopsy::runtime::generated
"""


def cpp_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_entry(groups, hs: HeaderSet, rows: list[Row], values: dict[str, int]) -> str:
    major, minor, micro = hs.version
    by_field = {r.field: r for r in rows}
    out = ["    {\n",
           f"        .major = {major}, .minor = {minor}, .micro = {micro}, "
           f".debug = {'true' if hs.debug else 'false'},\n",
           f"        .source = {cpp_string(hs.describe())},\n",
           "        .layout = {\n"]
    for member, names in groups:
        out.append(f"            .{member} = {{\n")
        for name in names:
            key = f"{member}.{name}"
            if key in values:
                row = by_field[key]
                note = f"  // {row.expr}" + ("  [mirror]" if row.mirror else "")
                out.append(f"                .{name} = {values[key]},{note}\n")
            else:
                out.append(f"                .{name} = kAbsent,\n")
        out.append("            },\n")
    out += ["        },\n", "    },\n"]
    return "".join(out)


def render_version(v: SupportedVersion, entries: list[str], debug_offsets: list[str] | None) -> str:
    fill = {"version": str(v), "id": version_id(v),
            "and_debug_offsets": "" if debug_offsets is None else ",\n// and the order of its _Py_DebugOffsets"}
    out = VERSION_HEADER.format(**fill) + "".join(entries)
    if debug_offsets is not None:
        out += DEBUG_OFFSETS_HEADER.format(**fill) + "".join(f'    "{name}",\n' for name in debug_offsets)
    return out + VERSION_FOOTER.format(**fill)


@dataclasses.dataclass
class Committed:
    """What a committed version file holds, to keep what cannot be regenerated here."""
    entries: dict[Key, str]     # the entry's text, exactly as render_entry() wrote it
    sources: dict[Key, str]
    debug_offsets: list[str] | None


def read_committed(path: Path) -> Committed:
    committed = Committed({}, {}, None)
    if not path.is_file():
        return committed
    lines = path.read_text().splitlines(True)
    inside, current = "", []
    for line in lines:
        if line.startswith("inline constexpr LayoutTableEntry "):
            inside = "tables"
        elif line.startswith("inline constexpr const char* kDebugOffsetFields"):
            inside = "debug_offsets"
            committed.debug_offsets = []
        elif inside and line == "};\n":
            inside = ""
        elif inside == "debug_offsets":
            m = re.fullmatch(r'    "([\w.]+)",\n', line)
            if not m:
                sys.exit(f"layoutgen: cannot read {pretty_repo_path(path)}; restore it from git")
            committed.debug_offsets.append(m.group(1))
        elif inside:
            current.append(line)
            if line == "    },\n":
                text = "".join(current)
                current = []
                m = re.search(r"\.major = (\d+), \.minor = (\d+), \.micro = (\d+), \.debug = (true|false),", text)
                src = re.search(r'^\s*\.source = "((?:[^"\\]|\\.)*)",', text, re.M)
                if not m or not src:
                    sys.exit(f"layoutgen: cannot read {pretty_repo_path(path)}; restore it from git")
                key = (int(m.group(1)), int(m.group(2)), int(m.group(3)), m.group(4) == "true")
                committed.entries[key] = text
                committed.sources[key] = src.group(1)
    return committed


# --------------------------------------------------------------------------
# GeneratedTables.cpp: every version's tables as one array
# --------------------------------------------------------------------------

INDEX_HEADER = """\
// generated by tools/layoutgen from core/runtime/versions.json, do not edit.
//
// Every supported version's layout tables, oldest first, as one array, and the
// names of each version's _Py_DebugOffsets words: each version's own are in
// generated/CPython3_N.h, compiled from its headers.
//
// Regenerate:  python3 tools/layoutgen/layoutgen.py
// Verify:      python3 tools/layoutgen/layoutgen.py --check
#include "runtime/layouts/LayoutTables.h"
"""

INDEX_BODY = """\

#include <algorithm>
#include <array>
#include <cstddef>
#include <iterator>

namespace pyautopsy::runtime {{
namespace {{

template <std::size_t... N>
constexpr std::array<LayoutTableEntry, (N + ...)> joined(const LayoutTableEntry (&... parts)[N])
{{
    std::array<LayoutTableEntry, (N + ...)> all{{}};
    auto at = all.begin();
    ((at = std::copy(std::begin(parts), std::end(parts), at)), ...);
    return all;
}}

constexpr auto kGeneratedTables = joined(
    {tables});

}}  // namespace

std::span<const LayoutTableEntry> generatedLayoutTables() {{
    return kGeneratedTables;
}}

std::span<const char* const> debugOffsetFields(int minor) {{
    switch (minor) {{
{cases}    default: return {{}};
    }}
}}

}}  // namespace pyautopsy::runtime
"""


def render_index(versions: list[SupportedVersion]) -> str:
    includes = "".join(f'#include "runtime/layouts/generated/{version_file(v).name}"\n' for v in versions)
    tables = ",\n    ".join(f"generated::kLayouts{version_id(v)}" for v in versions)
    cases = "".join(f"    case {v.minor}: return generated::kDebugOffsetFields{version_id(v)};\n"
                    for v in versions if v.debug_offsets)
    return INDEX_HEADER + includes + INDEX_BODY.format(tables=tables, cases=cases)


# --------------------------------------------------------------------------
# Probing every header set, and putting the files together
# --------------------------------------------------------------------------

@dataclasses.dataclass
class Probed:
    hs: HeaderSet
    key: Key
    entry: str                  # its LayoutTableEntry, rendered
    debug_offsets: list[str] | None


def probe_all(sets: list[HeaderSet], cc: str, verbose: bool) -> list[Probed]:
    groups = parse_layout_h(LAYOUT_H)
    known = {f"{member}.{name}" for member, names in groups for name in names}

    def one(index_hs):
        index, hs = index_hs
        workdir = Path(tmp) / str(index)
        workdir.mkdir()
        rows = rows_for(hs.version, known)
        values, dropped = run_probe(hs, rows, cc, workdir)
        debug_offsets = run_debug_offsets_probe(hs, cc, workdir)
        return hs, [r for r in rows if r.field not in dropped], values, dropped, debug_offsets

    with tempfile.TemporaryDirectory(prefix="layoutgen.") as tmp:
        # The probes are independent; map() keeps the results in `sets` order.
        with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 4) as pool:
            done = list(pool.map(one, enumerate(sets)))
    probed = []
    for hs, rows, values, dropped, debug_offsets in done:
        if verbose:
            extra = f"; not in these headers: {', '.join(dropped)}" if dropped else ""
            if debug_offsets is not None:
                extra += f"; {DEBUG_OFFSETS_STRUCT}: {len(debug_offsets)} words"
            print(f"layoutgen: {hs.describe()}: {len(values)} fields{extra}", file=sys.stderr)
        probed.append(Probed(hs, (*hs.version, hs.debug), render_entry(groups, hs, rows, values), debug_offsets))
    unmapped = sorted(known - {r[0] for r in fieldspec.FIELDS})
    if unmapped and verbose:
        print(f"layoutgen: fields with no row in fields.py (always kAbsent): {', '.join(unmapped)}",
              file=sys.stderr)
    return probed


@dataclasses.dataclass
class Assembled:
    outputs: dict[Path, str]            # every generated file and its text
    obsolete: list[Path]                # version files of versions no longer listed
    kept: list[str]                     # committed tables whose headers are not here
    errors: list[str]


def assemble(versions: list[SupportedVersion], probed: list[Probed], present: set[Key]) -> Assembled:
    """Each version's file: the tables probed here, and the committed tables
    of header sets this run did not probe (kept as they are, never dropped)."""
    result = Assembled({}, [], [], [])
    for v in versions:
        path = version_file(v)
        committed = read_committed(path)
        fresh = {p.key: p for p in probed if p.key[:2] == (v.major, v.minor)}
        entries = {**committed.entries, **{key: p.entry for key, p in fresh.items()}}
        for key in sorted(set(committed.entries) - set(fresh)):
            if key not in present:
                result.kept.append(committed.sources[key])
        if not entries:
            result.errors.append(f"{v} is in {pretty_repo_path(REGISTRY)}, but no header set of {v} is on this "
                                 f"machine and {pretty_repo_path(path)} does not exist: provision the test bed "
                                 f"(tests/testbed/provision), then run layoutgen again")
            continue
        debug_offsets = committed.debug_offsets
        if fresh:
            # The reader picks the list by minor version alone, before it knows
            # the patch release or the build kind: they must all agree.
            found = {tuple(p.debug_offsets) if p.debug_offsets is not None else None: p for p in fresh.values()}
            if len(found) > 1:
                result.errors.append(
                    f"the header sets of {v} disagree about {DEBUG_OFFSETS_STRUCT}; DebugOffsets.cpp would need "
                    "to tell them apart:\n  " + "\n  ".join(
                        f"{p.hs.describe()}: " + (f"{len(names)} words" if names is not None else "none")
                        for names, p in found.items()))
                continue
            names = next(iter(found))
            debug_offsets = list(names) if names is not None else None
        if v.debug_offsets != (debug_offsets is not None):
            actual = ("its headers declare one" if debug_offsets is not None else
                      "its headers here declare none" if fresh else
                      f"{pretty_repo_path(path)} lists none (and no headers of it are here)")
            result.errors.append(f"{pretty_repo_path(REGISTRY)} says {v} {'has' if v.debug_offsets else 'has no'} "
                                 f"{DEBUG_OFFSETS_STRUCT}, but {actual}")
            continue
        result.outputs[path] = render_version(v, [entries[k] for k in sorted(entries)], debug_offsets)
    result.outputs[OUTPUT] = render_index(versions)
    result.outputs[VERSIONS_OUTPUT] = render_versions(versions)
    result.obsolete = sorted(set(GENERATED_DIR.glob("CPython*.h")) - set(result.outputs))
    return result


# --------------------------------------------------------------------------
# GeneratedVersions.cpp: the registry, for the C++ side
# --------------------------------------------------------------------------

VERSIONS_HEADER = """\
// generated by tools/layoutgen from core/runtime/versions.json, do not edit.
//
// The CPython versions pyautopsy reads, oldest first (SupportedVersions.h).
//
// Regenerate:  python3 tools/layoutgen/layoutgen.py
// Verify:      python3 tools/layoutgen/layoutgen.py --check
#include "runtime/discovery/SupportedVersions.h"

namespace pyautopsy::runtime {
namespace {

constexpr SupportedVersion kSupportedVersions[] = {
"""

VERSIONS_FOOTER = """\
};

}  // namespace

std::span<const SupportedVersion> supportedVersions() {
    return kSupportedVersions;
}

}  // namespace pyautopsy::runtime
"""


def render_versions(versions: list[SupportedVersion]) -> str:
    rows = [f"    {{.major = {v.major}, .minor = {v.minor}, "
            f".debugOffsets = {'true' if v.debug_offsets else 'false'}}},\n" for v in versions]
    return VERSIONS_HEADER + "".join(rows) + VERSIONS_FOOTER


def write_if_changed(path: Path, text: str) -> bool:
    """Write only what changed, so a regeneration rebuilds only what it must."""
    if path.is_file() and path.read_text() == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return True


def show_diff(path: Path, committed: str, text: str) -> None:
    import difflib
    diff = difflib.unified_diff(committed.splitlines(True), text.splitlines(True),
                                pretty_repo_path(path), "regenerated")
    sys.stderr.writelines(list(diff)[:200])


def matches_only(version: tuple[int, int, int], only: list[str]) -> bool:
    return any(version[: len(p)] == p for p in (_parse_version(o) for o in only))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="compare with the committed files instead of writing them")
    ap.add_argument("--list", action="store_true", help="list the header sets found and exit")
    ap.add_argument("--only", action="append", metavar="3.N[.M]", default=[],
                    help="probe only these versions' header sets (repeatable); keep every other table as committed")
    ap.add_argument("--manifest", type=Path, default=cache_dir() / "testbed/manifest.json")
    ap.add_argument("--no-pyenv", action="store_true")
    ap.add_argument("--no-system", action="store_true")
    ap.add_argument("--cc", default=os.environ.get("CC") or "gcc")
    ap.add_argument("-q", "--quiet", action="store_true")
    args = ap.parse_args()
    for only in args.only:
        if not re.fullmatch(r"3\.\d+(\.\d+)?", only):
            ap.error(f"--only takes 3.N or 3.N.M, not {only!r}")

    versions = load_registry()
    have_cc = shutil.which(args.cc) is not None
    sets = discover(args.manifest, not args.no_pyenv, not args.no_system, versions,
                    verbose=not args.quiet and not args.list)
    if args.list:
        for hs in sets:
            print(hs.describe())
        return 0
    present = {(*hs.version, hs.debug) for hs in sets}
    if not have_cc:
        # The registry's own files can still be written and checked.
        print(f"layoutgen: no C compiler {args.cc!r}: no header set can be probed", file=sys.stderr)
        sets, present = [], set()
    elif not sets:
        print("layoutgen: no CPython header sets found", file=sys.stderr)
    if args.only:
        sets = [hs for hs in sets if matches_only(hs.version, args.only)]
    try:
        probed = probe_all(sets, args.cc, verbose=not args.quiet)
    except ProbeError as exc:
        print(f"layoutgen: {exc}", file=sys.stderr)
        return 1
    result = assemble(versions, probed, present)
    for error in result.errors:
        print(f"layoutgen: {error}", file=sys.stderr)
    if result.errors:
        return 1
    kept_note = ("layoutgen: kept as committed, their headers are not on this machine:\n  "
                 + "\n  ".join(result.kept)) if result.kept else ""

    if not args.check:
        written = [path for path, text in result.outputs.items() if write_if_changed(path, text)]
        for path in result.obsolete:
            path.unlink()
        if kept_note:
            print(kept_note, file=sys.stderr)
        changed = [pretty_repo_path(p) for p in written]
        changed += [f"{pretty_repo_path(p)} (removed)" for p in result.obsolete]
        print(f"layoutgen: {len(probed)} tables probed; "
              + (f"changed: {', '.join(changed)}" if changed else "every generated file was up to date"),
              file=sys.stderr)
        return 0

    stale = 0
    for path, text in result.outputs.items():
        committed = path.read_text() if path.is_file() else ""
        if committed != text:
            show_diff(path, committed, text)
            stale += 1
    for path in result.obsolete:
        print(f"layoutgen: {pretty_repo_path(path)} is not a version of {pretty_repo_path(REGISTRY)}",
              file=sys.stderr)
        stale += 1
    if stale:
        print("layoutgen: the generated files are out of date; run tools/layoutgen/layoutgen.py", file=sys.stderr)
        return 1
    if kept_note or not probed:
        print((kept_note or "layoutgen: no header set was probed") + "\nlayoutgen: cannot check those here",
              file=sys.stderr)
        return EXIT_SKIP
    print(f"layoutgen: up to date ({len(probed)} tables probed)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
