"""A test whose C call crashes the process: SIGSEGV in a worker."""
import ctypes


def crash_in_extension():
    ctypes.string_at(0)  # reads address 0: SIGSEGV


def test_segfault():
    crash_in_extension()
