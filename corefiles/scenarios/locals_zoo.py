# -*- coding: utf-8 -*-
"""Threads parked in frames whose locals hold one of every kind of value.

The test bed for --locals: ints of every size and sign, floats whose repr
switches to exponent form, complex numbers, str of every storage kind (ASCII,
latin-1, BMP, astral, a str subclass, quotes and control characters that
must be escaped), bytes, nested and cyclic containers, dicts with deleted
entries and split tables, sets with removed elements, an instance of a user
class, arguments of every kind, a closure's cell and free variable, an
unbound local and a comprehension's hidden variable.

The truth records, for every parked thread, each frame innermost first with
{name: repr(value)} for the frames of this file, exactly as Python's own
repr() wrote them; facts["truncated"] names the locals whose repr is longer
or deeper than a reader shows (they are compared by prefix and marker).
"""
# corefile-capture: kernel

import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _truth  # noqa: E402

truth = _truth.Truth("locals_zoo")
PARK = _truth.held_lock()     # every thread blocks on it; no lock in any zoo frame


class Widget(object):
    def __init__(self):
        self.size = 3
        self.label = "w"


class Name(str):
    pass


def numbers():
    zero = 0
    one = 1
    minus_one = -1
    byte = 255
    two_30 = 2 ** 30
    two_62 = 2 ** 62
    two_64 = 2 ** 64
    minus_two_100 = -(2 ** 100)
    ten_50 = 10 ** 50
    two_600 = 2 ** 600
    yes = True
    no = False
    nothing = None
    one_f = 1.0
    tenth = 0.1
    e16 = 1e16
    e15 = 1e15
    small = 1.5e-07
    ten_thousandth = 0.0001
    e_minus_5 = 1e-05
    minus_zero = -0.0
    not_a_number = float("nan")
    infinity = float("inf")
    minus_infinity = float("-inf")
    huge_f = 1e308
    tiny_f = 5e-324
    pi_ish = 123456789.123
    c1 = 1 + 2j
    c2 = 2j
    c3 = complex(-0.0, -1.0)
    c4 = complex(1.0, float("nan"))
    c5 = complex(0.0, 0.0)
    c6 = complex(-1.5, -0.0)
    c7 = complex(2.5e20, -1e-7)
    truth.arrive()
    PARK.acquire()


def strings():
    empty = ""
    ascii_s = "hello"
    apostrophe = "it's"
    double_q = 'say "hi"'
    both_q = "both ' and \""
    controls = "tab\tnew\nline\r"
    low = "\x00\x1f\x7f"
    backslash = "a\\b"
    latin = "café"
    latin_np = "\x80\xa0\xad"
    bmp = "Ω≈中文"
    astral = "😀𝄞"
    zero_width = "a\u200bb"
    subclass = Name("sub'class")
    long_s = "x" * 1000
    empty_b = b""
    ascii_b = b"abc"
    quote_b = b"it's"
    raw_b = b"\x00\xff\n\\"
    truth.arrive()
    PARK.acquire()


def containers():
    empty_t = ()
    one_t = (1,)
    mixed_t = (1, "a", None, 2.5)
    empty_l = []
    nested = [1, [2, [3, "x"]], (4,)]
    empty_d = {}
    general_d = {"a": 1, 2: [3], (1, 2): "x"}
    str_d = {"x": 1, "y": 2}
    holes_d = {"a": 1, "b": 2, "c": 3}
    del holes_d["b"]
    many_d = {}
    for k in range(20):
        many_d[k] = str(k)
    empty_s = set()
    small_s = {1, 2, 3}
    small_s.discard(2)
    str_s = {"only"}
    empty_fs = frozenset()
    fs = frozenset([5])
    long_l = list(range(500))
    cyclic = [1, 2]
    cyclic.append(cyclic)
    cyclic_d = {"k": 0}
    cyclic_d["self"] = cyclic_d
    deep = [[[[[[1]]]]]]
    widget = Widget()
    attrs = vars(widget)
    squares = [i * i for i in range(3)]
    if squares is None:
        unbound = 1  # noqa: F841  never bound: a reader must skip it
    truth.arrive()
    PARK.acquire()


def arguments(a, b=2, *rest, key=None, **extra):
    truth.arrive()
    PARK.acquire()


def outer():
    captured = ["shared", 1]
    plain = 7

    def inner(arg):
        value = captured[0]
        truth.arrive()
        PARK.acquire()
    inner(plain)


THREADS = [
    ("numbers", numbers, ()),
    ("strings", strings, ()),
    ("containers", containers, ()),
    ("arguments", lambda: arguments(1, "two", 3, 4, key="k", more=[5])),
    ("closure", outer, ()),
]

TRUNCATED = ["long_s", "long_l", "deep"]


def frames_with_locals(frame):
    """Innermost first; locals only for this file's frames (others are
    threading's, whose Thread reprs a reader does not imitate)."""
    out = []
    here = os.path.abspath(__file__)
    while frame is not None:
        code = frame.f_code
        entry = {"function": code.co_name, "line": frame.f_lineno, "locals": None}
        if os.path.abspath(code.co_filename) == here and code.co_name != "<lambda>":
            entry["locals"] = dict((name, repr(value)) for name, value in frame.f_locals.items())
        out.append(entry)
        frame = frame.f_back
    return out


def main():
    started = []
    for spec in THREADS:
        name, target = spec[0], spec[1]
        args = spec[2] if len(spec) > 2 else ()
        t = threading.Thread(target=target, args=args, name=name)
        t.daemon = True
        t.start()
        started.append(t)
    truth.expect_arrivals(len(started))
    truth.wait_parked()
    frames = sys._current_frames()
    truth.facts["locals"] = dict((str(t.ident), frames_with_locals(frames[t.ident])) for t in started)
    del frames
    truth.facts["truncated"] = TRUNCATED
    truth.commit()
    os.abort()


if __name__ == "__main__":
    main()
