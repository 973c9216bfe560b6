"""Run by opcodegen under one interpreter: prints, as JSON, what that
interpreter's own `opcode` and `dis` modules say about each opcode.

Standard library only; must run unchanged on 3.8 and later.
"""

import dis
import json
import opcode
import random
import sys

HIGH_SAMPLES = [1, 2, 3, 7, 255, 256, 4095, 65535]


def specialized_names():
    """{specialized opcode: base opcode} for 3.11+ adaptive bytecode."""
    out = {}
    specs = getattr(opcode, "_specializations", None) or getattr(dis, "_specializations", None) or {}
    all_opmap = dict(getattr(opcode, "_specialized_opmap", None) or getattr(dis, "_all_opmap", None) or {})
    for base, names in specs.items():
        for name in names:
            if name in all_opmap and base in dis.opmap:
                out[all_opmap[name]] = dis.opmap[base]
    return out


def caches_of(op, name):
    entries = getattr(opcode, "_inline_cache_entries", None)
    if entries is None:
        return 0
    if isinstance(entries, dict):
        return int(entries.get(name, 0))
    return int(entries[op]) if op < len(entries) else 0


def raw_effect(op, arg, jump):
    try:
        return dis.stack_effect(op, arg, jump=jump)
    except ValueError:
        return dis.stack_effect(op, jump=jump)   # takes no argument: arg is ignored


def effect_form(op, jump):
    """effect(arg) == low[arg & 0xff] + high * (arg >> 8), checked on samples;
    low[i] is None for an argument CPython rejects. None when the opcode has
    no stack effect at all here, or the form does not fit."""
    def effect(arg):
        try:
            return raw_effect(op, arg, jump)
        except ValueError:
            return None

    low = [effect(arg) for arg in range(256)]
    valid = [lo for lo in range(256) if low[lo] is not None]
    if not valid:
        return None
    lo0 = valid[0]
    at = effect(256 + lo0)
    high = 0 if at is None else at - low[lo0]
    rng = random.Random(op * 2 + jump)
    samples = [h * 256 + lo for h in HIGH_SAMPLES for lo in valid[:4] + valid[-1:]]
    samples += [rng.randrange(1 << 24) for _ in range(64)]
    for arg in samples:
        got = effect(arg)
        if got is None:
            continue   # an argument CPython rejects never occurs in its bytecode
        if low[arg & 0xff] is None or got != low[arg & 0xff] + high * (arg >> 8):
            return {"low": low, "high": None}   # known for one-byte arguments only
    return {"low": low, "high": high}


def jump_form(op, caches):
    """target byte offset == rel * offset + base + per_arg * arg, fitted on
    what dis says the jump's target is (its argval), then checked."""
    nop = dis.opmap["NOP"]
    template = compile("pass", "", "exec")

    def target(pad, arg):
        code = bytes([nop, 0] * pad + [op, arg] + [0, 0] * caches + [nop, 0] * 300)
        for ins in dis.get_instructions(template.replace(co_code=code)):
            if ins.offset == 2 * pad:
                return ins.argval
        return None

    t00, t10, t01 = target(0, 0), target(4, 0), target(0, 6)
    if None in (t00, t10, t01) or (t10 - t00) not in (0, 8) or (t01 - t00) % 6:
        return None
    rel, per_arg = (t10 - t00) // 8, (t01 - t00) // 6
    base = t00
    for pad, arg in [(9, 1), (17, 20), (100, 33), (50, 50)]:
        if target(pad, arg) != rel * 2 * pad + base + per_arg * arg:
            return None
    return {"relative": rel == 1, "base": base, "per_arg": per_arg}


def main():
    deopt = specialized_names()
    jumps = set(dis.hasjrel) | set(dis.hasjabs) | set(getattr(dis, "hasjump", []))
    ops = []
    names = dict(getattr(dis, "_all_opname", None) and enumerate(dis._all_opname) or {})
    names.update({op: name for name, op in getattr(opcode, "_specialized_opmap", {}).items()})
    names.update({op: name for name, op in dis.opmap.items()})
    for op in range(256):
        name = names.get(op)
        if name is None or name.startswith("<"):
            continue
        entry = {"op": op, "name": name}
        if op in deopt:
            entry["base"] = deopt[op]
        elif op in dis.opmap.values() and not name.startswith("INSTRUMENTED_") and name != "ENTER_EXECUTOR":
            entry["base"] = op
            entry["caches"] = caches_of(op, name)
            entry["next"] = effect_form(op, False)
            entry["jump"] = effect_form(op, True)
            entry["target"] = jump_form(op, entry["caches"]) if op in jumps else None
        ops.append(entry)
    print(json.dumps({"version": list(sys.version_info[:3]), "opcodes": ops}))


if __name__ == "__main__":
    main()
