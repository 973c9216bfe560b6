"""pyautopsy inside GDB: the engine's C ABI (libpyautopsy.so) bridged to GDB's Python API.

Modules, each with one job:
  capi       ctypes bindings for core/capi/pyautopsy_capi.h, and where to find the library
  bridge     GDB's view of the process (memory, mappings, threads, facts) as the ABI's callbacks
  session    one analysis per stop of the inferior, cached, and the selected Python frame
  commands   py-bt, py-bt-full, py-list, py-locals, py-print, py-up, py-down, pyautopsy ...
  decorator  the frame filter that names the Python code beside each eval-loop frame in `bt`
No module here reads CPython's structures: the engine does, once, in C++.
"""
