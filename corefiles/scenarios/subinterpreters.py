# -*- coding: utf-8 -*-
"""A thread parked inside a subinterpreter, then os.abort() in main.

A reader must walk every interpreter, not just the main one: the thread
"sub-runner" has a thread state in the main interpreter (blocked in
run_string) and another one in the subinterpreter, where its Python frames
are. sys._current_frames() keys frames by thread ident and so cannot show
both, so the subinterpreter's code reports its own stack through a pipe
before it parks; main records that, with the subinterpreter's id, as truth.
"""

import json
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _truth  # noqa: E402

try:
    import _interpreters as interpreters   # 3.13+
except ImportError:
    import _xxsubinterpreters as interpreters   # 3.8-3.12

truth = _truth.Truth("subinterpreters")

# Runs inside the subinterpreter: {fd} is the pipe's write end.
SUB_CODE = '''
import _thread, json, os, sys

def park_in_subinterpreter():
    lock = _thread.allocate_lock()
    lock.acquire()
    here = sys._getframe()
    stack = []
    frame = here
    while frame is not None:
        stack.append({{"function": frame.f_code.co_name, "file": frame.f_code.co_filename,
                       "line": frame.f_lineno}})
        frame = frame.f_back
    stack[0]["line"] = here.f_lineno + 3
    os.write({fd}, json.dumps(stack).encode() + b"\\n")
    os.close({fd})
    lock.acquire()

def enter():
    park_in_subinterpreter()

enter()
'''


def run_in_subinterpreter(interp, fd):
    interpreters.run_string(interp, SUB_CODE.format(fd=fd))


def main():
    interp = interpreters.create()
    read_end, write_end = os.pipe()
    runner = threading.Thread(target=run_in_subinterpreter, args=(interp, write_end), name="sub-runner")
    runner.daemon = True
    runner.start()
    line = b""
    while not line.endswith(b"\n"):
        chunk = os.read(read_end, 65536)
        if not chunk:
            raise RuntimeError("the subinterpreter exited before parking")
        line += chunk
    truth.facts["subinterpreter"] = {
        "id": int(interp),
        "thread_ident": runner.ident,
        "stack": json.loads(line.decode()),
    }
    truth.commit()
    os.abort()


if __name__ == "__main__":
    main()
