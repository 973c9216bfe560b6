#!/usr/bin/env python3
"""opcodegen: what each CPython minor's bytecode does to the value stack, as
that interpreter's own `dis` and `opcode` modules say, for pyautopsy's
stack-depth analysis (core/runtime/code/StackDepth.h).

For every interpreter of the test bed's manifest ($PYAUTOPSY_CACHE, default
~/.cache/pyautopsy, testbed/manifest.json) of 3.8-3.13 it runs probe.py under
that interpreter, which reports per opcode: the base opcode a specialized one
deoptimizes to (3.11+), its inline cache entries, dis.stack_effect() with and
without the jump as `low[arg & 0xff] + high * (arg >> 8)`, and where a jump
lands, fitted on the targets dis.get_instructions() computes. All
interpreters of one minor must agree. Which opcodes never fall through (a
return, a raise, an unconditional jump) comes from the headers of 3.12+
(IS_SCOPE_EXIT_OPCODE, IS_UNCONDITIONAL_JUMP_OPCODE in
internal/pycore_opcode_utils.h); before 3.12 CPython keeps that list in
compile.c, which is not installed, and it is restated below.

    opcodegen.py           write core/runtime/layouts/generated/Bytecode3_N.h
    opcodegen.py --check   exit 1 if that would change a committed file, 77
                           if all agree but some minor has no interpreter here

Python 3 standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
OUT_DIR = REPO / "core/runtime/layouts/generated"
MINORS = (8, 9, 10, 11, 12, 13)   # from 3.14 a frame records its stack depth for a call
EXIT_SKIP = 77

# Opcodes after which CPython's compiler (compile.c, stackdepth()) stops
# following a block, before 3.12 moved the list into an installed header.
# Only names the version defines are used. A wrong entry cannot make the
# analysis claim a wrong depth, only give up: a depth reached two ways that
# disagree ends it (StackDepth.h).
NO_FALLTHROUGH_BEFORE_3_12 = ("RETURN_VALUE", "RAISE_VARARGS", "RERAISE", "JUMP_ABSOLUTE", "JUMP_FORWARD",
                              "JUMP_BACKWARD", "JUMP_BACKWARD_NO_INTERRUPT")

# The opcodes the C++ side names (slot of the callable, EXTENDED_ARG, 3.8's
# finally blocks whose compiler stack effects are not the run-time ones, the
# first instruction of a generator's code).
ROLES = (("extendedArg", "EXTENDED_ARG"), ("callFunction", "CALL_FUNCTION"), ("callMethod", "CALL_METHOD"),
         ("callFunctionKw", "CALL_FUNCTION_KW"), ("callFunctionEx", "CALL_FUNCTION_EX"), ("precall", "PRECALL"),
         ("call", "CALL"), ("callKw", "CALL_KW"), ("beginFinally", "BEGIN_FINALLY"),
         ("callFinally", "CALL_FINALLY"), ("popFinally", "POP_FINALLY"), ("genStart", "GEN_START"),
         ("returnGenerator", "RETURN_GENERATOR"))


def cache_dir() -> Path:
    return Path(os.environ.get("PYAUTOPSY_CACHE") or Path.home() / ".cache/pyautopsy")


def interpreters(manifest: Path) -> dict[int, list[dict]]:
    by_minor: dict[int, list[dict]] = {}
    if not manifest.exists():
        return by_minor
    data = json.loads(manifest.read_text())
    for entry in data.get("interpreters", []):
        major, minor = (int(x) for x in entry["version"].split(".")[:2])
        if major == 3 and minor in MINORS and entry.get("path") and os.path.exists(entry["path"]):
            by_minor.setdefault(minor, []).append(entry)
    return by_minor


def probe(entry: dict) -> dict:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    out = subprocess.run([entry["path"], "-I", str(HERE / "probe.py")], capture_output=True, check=True,
                         timeout=300, env=env)
    return json.loads(out.stdout)


def header_stops(include_dir: str | None) -> set[str] | None:
    if not include_dir:
        return None
    path = Path(include_dir) / "internal/pycore_opcode_utils.h"
    if not path.exists():
        return None
    text = path.read_text()
    names: set[str] = set()
    for macro in ("IS_SCOPE_EXIT_OPCODE", "IS_UNCONDITIONAL_JUMP_OPCODE"):
        match = re.search(r"#define\s+%s\(opcode\)((?:.*\\\n)*.*)" % macro, text)
        if not match:
            return None
        names.update(re.findall(r"\(opcode\)\s*==\s*(\w+)", match.group(1)))
    return names


def effect_cpp(form: dict | None, tables: list[list[int | None]]) -> str:
    """EffectForm{kind, a, b, table, highKnown, high}."""
    if form is None:
        return "{}"
    low, high = form["low"], form["high"]
    high_known = "true" if high is not None else "false"
    high_value = high if high is not None else 0
    if all(v is not None for v in low):
        a, b = low[0], low[1] - low[0]
        if all(low[i] == a + b * i for i in range(256)):
            return "{EffectKind::Affine, %d, %d, 0, %s, %d}" % (a, b, high_known, high_value)
    if low not in tables:
        tables.append(low)
    return "{EffectKind::Table, 0, 0, %d, %s, %d}" % (tables.index(low), high_known, high_value)


def target_cpp(form: dict | None) -> str:
    if form is None:
        return "{}"
    kind = "JumpKind::Relative" if form["relative"] else "JumpKind::Absolute"
    return "{%s, %d, %d}" % (kind, form["base"], form["per_arg"])


def render(minor: int, facts: dict, sources: list[str], stops: set[str], stops_from: str) -> str:
    ops = {o["op"]: o for o in facts["opcodes"]}
    names = {o["name"]: o["op"] for o in facts["opcodes"]}
    tables: list[list[int | None]] = []
    rows = []
    for op in range(256):
        o = ops.get(op)
        if o is None or "base" not in o:
            rows.append("    {},  // %d%s" % (op, " " + o["name"] if o else ""))
            continue
        base = ops[o["base"]]
        stop = "true" if base["name"] in stops else "false"
        rows.append("    {true, %d, %d, %s, %s, %s, %s},  // %d %s" % (
            o["base"], base.get("caches", 0), effect_cpp(base.get("next"), tables),
            effect_cpp(base.get("jump"), tables), target_cpp(base.get("target")), stop, op, o["name"]))
    table_rows = []
    for low in tables:
        values = ", ".join("kNoEffect" if v is None else str(v) for v in low)
        table_rows.append("    {%s}," % values)
    roles = ", ".join("%d" % names.get(name, -1) for _, name in ROLES)
    role_doc = ", ".join(field for field, _ in ROLES)
    return """// generated by tools/opcodegen -- do not edit.
// Source:      the dis and opcode modules of {sources}
// No fallthrough: {stops_from}
// Verify:      python3 tools/opcodegen/opcodegen.py --check
#pragma once

#include "runtime/code/BytecodeFacts.h"

namespace pyautopsy::runtime::generated {{

inline constexpr std::int16_t kEffectTables3_{minor}[][256] = {{
{tables}
}};

// {{defined, base, caches, effect (falling through), effect (jumping), jump target, never falls through}}
inline constexpr OpcodeFacts kOpcodes3_{minor}[256] = {{
{rows}
}};

// {role_doc}
inline constexpr OpcodeRoles kRoles3_{minor} = {{{roles}}};

inline constexpr BytecodeFacts kBytecode3_{minor} = {{kOpcodes3_{minor}, kEffectTables3_{minor}, kRoles3_{minor}}};

}}  // namespace pyautopsy::runtime::generated
""".format(sources=", ".join(sources), stops_from=stops_from, minor=minor, tables="\n".join(table_rows) or "    {}",
           rows="\n".join(rows), role_doc=role_doc, roles=roles)


def comparable(facts: dict) -> dict:
    return {"opcodes": facts["opcodes"]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="compare with the committed files instead of writing")
    ap.add_argument("--manifest", type=Path, default=cache_dir() / "testbed/manifest.json")
    ap.add_argument("-q", "--quiet", action="store_true")
    args = ap.parse_args()

    found = interpreters(args.manifest)
    stale, missing = [], []
    for minor in MINORS:
        path = OUT_DIR / ("Bytecode3_%d.h" % minor)
        entries = sorted(found.get(minor, []), key=lambda e: e["name"])
        if not entries:
            if not path.exists():
                print("opcodegen: no 3.%d interpreter here and no committed %s" % (minor, path.name), file=sys.stderr)
                return 2
            missing.append(minor)
            continue
        results = [(e, probe(e)) for e in entries]
        first_entry, first = results[0]
        for entry, facts in results[1:]:
            if comparable(facts) != comparable(first):
                print("opcodegen: %s and %s disagree about their opcodes" % (first_entry["name"], entry["name"]),
                      file=sys.stderr)
                return 2
        stops, stops_from = None, None
        for entry in entries:
            stops = header_stops(entry.get("include_dir"))
            if stops is not None:
                stops_from = "IS_SCOPE_EXIT_OPCODE, IS_UNCONDITIONAL_JUMP_OPCODE (internal/pycore_opcode_utils.h)"
                break
        if stops is None:
            if minor >= 12:
                print("opcodegen: no 3.%d header names the opcodes that never fall through" % minor, file=sys.stderr)
                return 2
            stops, stops_from = set(NO_FALLTHROUGH_BEFORE_3_12), "compile.c's stackdepth(), restated in opcodegen.py"
        text = render(minor, first, [e["name"] for e in entries], stops, stops_from)
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(path.name)
        else:
            path.write_text(text)
            if not args.quiet:
                print("wrote %s" % path.relative_to(REPO))
    if stale:
        print("opcodegen: stale: %s (run tools/opcodegen/opcodegen.py)" % ", ".join(stale), file=sys.stderr)
        return 1
    if missing:
        if not args.quiet:
            print("opcodegen: no interpreter here for 3.%s" % ", 3.".join(map(str, missing)), file=sys.stderr)
        return EXIT_SKIP if args.check else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
