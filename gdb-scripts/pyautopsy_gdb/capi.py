"""ctypes bindings for libpyautopsy.so (core/capi/pyautopsy_capi.h), and where to find it.

The structs mirror the header field for field; CAPI_VERSION is the version this
module was written for, and a library older than that is refused with a message.
"""

import ctypes
import glob
import os

CAPI_VERSION = 4

PERM_READ = 4
PERM_WRITE = 2
PERM_EXEC = 1

# pyautopsy_status values, by name, for messages.
STATUS_NAMES = {
    0: "ok", 1: "usage", 2: "bad input", 3: "no CPython runtime", 4: "unsupported",
    5: "system", 6: "internal error", 7: "bad argument",
}

REGISTER_NAMES = ("r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8", "rax", "rcx", "rdx",
                  "rsi", "rdi", "orig_rax", "rip", "cs", "eflags", "rsp", "ss", "fs_base", "gs_base", "ds",
                  "es", "fs", "gs")


class Registers(ctypes.Structure):
    _fields_ = [(name, ctypes.c_uint64) for name in REGISTER_NAMES]


class Mapping(ctypes.Structure):
    _fields_ = [("start", ctypes.c_uint64), ("end", ctypes.c_uint64), ("file_offset", ctypes.c_uint64),
                ("path", ctypes.c_char_p), ("perms", ctypes.c_uint32)]


class Thread(ctypes.Structure):
    _fields_ = [("tid", ctypes.c_int32), ("has_registers", ctypes.c_int32), ("registers", Registers),
                ("name", ctypes.c_char_p)]


class Process(ctypes.Structure):
    _fields_ = [("size", ctypes.c_uint32), ("has_pid", ctypes.c_int32), ("pid", ctypes.c_int32),
                ("executable", ctypes.c_char_p), ("command", ctypes.c_char_p), ("core_path", ctypes.c_char_p),
                ("has_signal", ctypes.c_int32), ("signal_number", ctypes.c_int32), ("signal_code", ctypes.c_int32),
                ("has_fault_address", ctypes.c_int32), ("fault_address", ctypes.c_uint64),
                ("has_sender_pid", ctypes.c_int32), ("sender_pid", ctypes.c_int32),
                ("has_crashed_tid", ctypes.c_int32), ("crashed_tid", ctypes.c_int32),
                ("has_auxv_entry", ctypes.c_int32), ("auxv_entry", ctypes.c_uint64)]


ADD_MAPPING = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.POINTER(Mapping))
ADD_THREAD = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.POINTER(Thread))
READ_MEMORY = ctypes.CFUNCTYPE(ctypes.c_size_t, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_void_p, ctypes.c_size_t)
LIST_MAPPINGS = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p, ADD_MAPPING, ctypes.c_void_p)
LIST_THREADS = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p, ADD_THREAD, ctypes.c_void_p)
DESCRIBE_PROCESS = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p, ctypes.POINTER(Process))


class Callbacks(ctypes.Structure):
    _fields_ = [("size", ctypes.c_uint32), ("context", ctypes.c_void_p), ("read_memory", READ_MEMORY),
                ("list_mappings", LIST_MAPPINGS), ("list_threads", LIST_THREADS),
                ("describe_process", DESCRIBE_PROCESS), ("kind", ctypes.c_char_p)]


class Options(ctypes.Structure):
    _fields_ = [("size", ctypes.c_uint32), ("locals", ctypes.c_int32), ("native", ctypes.c_int32),
                ("namespaces", ctypes.c_int32)]


class TextOptions(ctypes.Structure):
    _fields_ = [("size", ctypes.c_uint32), ("color", ctypes.c_int32), ("most_recent_last", ctypes.c_int32),
                ("source", ctypes.c_int32), ("first_frame", ctypes.c_uint32)]


class CapiError(Exception):
    """A failure the library reported: status code and its one-line message."""

    def __init__(self, status, message):
        super().__init__(message or STATUS_NAMES.get(status, "error %d" % status))
        self.status = status


LIBRARY_NAME = "libpyautopsy.so"


def candidate_paths(script_dir):
    """Where libpyautopsy.so may be, best first (README.md, "Finding the library")."""
    paths = []
    env = os.environ.get("PYAUTOPSY_LIB")
    if env:
        paths.append(env)
    # A build tree's copy of the scripts knows its library (CMake writes pyautopsy_paths.py).
    try:
        from pyautopsy_gdb import pyautopsy_paths  # noqa: F401  (generated at build time)
        paths.append(pyautopsy_paths.LIBRARY)
    except ImportError:
        pass
    # The source tree's scripts look in the build trees next to them, newest first.
    root = os.path.dirname(script_dir)
    built = glob.glob(os.path.join(root, "build*", "core", "capi", LIBRARY_NAME))
    built.sort(key=lambda p: os.path.getmtime(p) if os.path.exists(p) else 0, reverse=True)
    paths.extend(built)
    return paths


class Library:
    """The loaded libpyautopsy.so, with typed signatures."""

    def __init__(self, path):
        self.path = path
        lib = ctypes.CDLL(path)
        lib.pyautopsy_capi_version.restype = ctypes.c_uint32
        lib.pyautopsy_capi_version.argtypes = []
        self.version = lib.pyautopsy_capi_version()
        if self.version < CAPI_VERSION:
            raise CapiError(7, "%s has C ABI version %d; these scripts need %d: rebuild it" % (
                path, self.version, CAPI_VERSION))
        out = ctypes.POINTER(ctypes.c_void_p)
        lib.pyautopsy_analyze.restype = ctypes.c_int
        lib.pyautopsy_analyze.argtypes = [ctypes.POINTER(Callbacks), ctypes.POINTER(Options),
                                          ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_void_p)]
        lib.pyautopsy_report_free.restype = None
        lib.pyautopsy_report_free.argtypes = [ctypes.c_void_p]
        lib.pyautopsy_string_free.restype = None
        lib.pyautopsy_string_free.argtypes = [ctypes.c_void_p]
        lib.pyautopsy_report_json.restype = ctypes.c_int
        lib.pyautopsy_report_json.argtypes = [ctypes.c_void_p, ctypes.c_int32, out, out]
        for name in ("pyautopsy_report_text", "pyautopsy_report_process_text", "pyautopsy_report_asyncio_text",
                     "pyautopsy_report_greenlets_text"):
            getattr(lib, name).restype = ctypes.c_int
            getattr(lib, name).argtypes = [ctypes.c_void_p, ctypes.POINTER(TextOptions), out, out]
        for name in ("pyautopsy_report_thread_text", "pyautopsy_report_thread_header_text"):
            getattr(lib, name).restype = ctypes.c_int
            getattr(lib, name).argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.POINTER(TextOptions), out, out]
        for name in ("pyautopsy_report_state_text", "pyautopsy_report_diagnosis_text"):
            getattr(lib, name).restype = ctypes.c_int
            getattr(lib, name).argtypes = [ctypes.c_void_p, out, out]
        lib.pyautopsy_native_role.restype = ctypes.c_char_p
        lib.pyautopsy_native_role.argtypes = [ctypes.c_char_p]
        lib.pyautopsy_report_name_text.restype = ctypes.c_int
        lib.pyautopsy_report_name_text.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t,
                                                   ctypes.c_char_p, out, out]
        lib.pyautopsy_report_frame_names_text.restype = ctypes.c_int
        lib.pyautopsy_report_frame_names_text.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t,
                                                          ctypes.POINTER(TextOptions), out, out]
        lib.pyautopsy_report_frame_text.restype = ctypes.c_int
        lib.pyautopsy_report_frame_text.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t,
                                                    ctypes.POINTER(TextOptions), out, out]
        self._lib = lib

    def take_string(self, pointer):
        """Copies a library-owned string into Python and frees it."""
        if not pointer:
            return ""
        try:
            return ctypes.string_at(pointer).decode("utf-8", "replace")
        finally:
            self._lib.pyautopsy_string_free(pointer)

    def native_role(self, symbol):
        """The engine's role for a native symbol ("eval_loop", ...; "" for none)."""
        return self._lib.pyautopsy_native_role(symbol.encode("utf-8", "replace")).decode("ascii")

    def check(self, status, error):
        message = self.take_string(error.value) if error.value else ""
        if status != 0:
            raise CapiError(status, message)

    def analyze(self, callbacks, locals_=False, native=False, namespaces=False):
        options = Options(ctypes.sizeof(Options), int(locals_), int(native), int(namespaces))
        report = ctypes.c_void_p()
        error = ctypes.c_void_p()
        status = self._lib.pyautopsy_analyze(ctypes.byref(callbacks), ctypes.byref(options), ctypes.byref(report),
                                             ctypes.byref(error))
        self.check(status, error)
        return Report(self, report)


class Report:
    """One analysis: JSON for structure, and the CLI's text for everything shown."""

    def __init__(self, library, handle):
        self._library = library
        self._lib = library._lib
        self._handle = handle

    def __del__(self):
        if getattr(self, "_handle", None):
            self._lib.pyautopsy_report_free(self._handle)
            self._handle = None

    def _string(self, function, *args):
        out = ctypes.c_void_p()
        error = ctypes.c_void_p()
        status = function(self._handle, *args, ctypes.byref(out), ctypes.byref(error))
        self._library.check(status, error)
        return self._library.take_string(out.value)

    @staticmethod
    def _text_options(most_recent_last, source=True, first_frame=0):
        return ctypes.byref(TextOptions(ctypes.sizeof(TextOptions), 0, int(most_recent_last), int(source),
                                        first_frame))

    def json(self, indent=-1):
        return self._string(self._lib.pyautopsy_report_json, indent)

    def text(self, most_recent_last=False, source=True):
        return self._string(self._lib.pyautopsy_report_text, self._text_options(most_recent_last, source))

    def process_text(self):
        return self._string(self._lib.pyautopsy_report_process_text, self._text_options(False))

    def asyncio_text(self):
        return self._string(self._lib.pyautopsy_report_asyncio_text, self._text_options(True))

    def greenlets_text(self):
        return self._string(self._lib.pyautopsy_report_greenlets_text, self._text_options(True))

    def state_text(self):
        return self._string(self._lib.pyautopsy_report_state_text)

    def diagnosis_text(self):
        return self._string(self._lib.pyautopsy_report_diagnosis_text)

    def thread_text(self, thread, most_recent_last=False, source=True, first_frame=0):
        """One thread; first_frame: start at that frame, counting the newer Python frames left out."""
        return self._string(self._lib.pyautopsy_report_thread_text, thread,
                            self._text_options(most_recent_last, source, first_frame))

    def thread_header_text(self, thread):
        return self._string(self._lib.pyautopsy_report_thread_header_text, thread, self._text_options(False))

    def frame_text(self, thread, frame, source=True):
        return self._string(self._lib.pyautopsy_report_frame_text, thread, frame,
                            self._text_options(False, source))

    def name_text(self, thread, frame, name):
        """py-print NAME in that frame: "local 'x' = 1", "global ...", "builtin ...", "'x' not found"."""
        return self._string(self._lib.pyautopsy_report_name_text, thread, frame, name.encode("utf-8"))

    def frame_names_text(self, thread, frame):
        """py-locals of that frame: its line, then its locals (a module-level frame's globals)."""
        return self._string(self._lib.pyautopsy_report_frame_names_text, thread, frame, self._text_options(False))
