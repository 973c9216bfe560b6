"""GDB's view of the selected inferior, handed to the engine as the C ABI's callbacks.

Only GDB's Python API and its own commands are used, so the same code serves a
live process (`gdb -p`, `run`) and a core (`gdb EXE CORE`):
  memory     gdb.Inferior.read_memory; an unreadable range becomes a short read
  mappings   `info proc mappings` (NT_FILE for cores), plus for cores the
             permissions and anonymous segments from the core's load sections
  threads    gdb.Inferior.threads(); registers from each thread's frame 0
  process    pid, progspace filename, auxv AT_ENTRY, and for cores the signal
             from $_siginfo
Thread switching is confined to list_threads(), which always restores the
selected thread and frame. Every callback catches everything: an exception
must not cross into C.
"""

import ctypes
import os
import re

import gdb

from pyautopsy_gdb import capi

PAGE = 4096


def _execute(command):
    try:
        return gdb.execute(command, to_string=True)
    except gdb.error:
        return ""


def is_core(inferior):
    connection = getattr(inferior, "connection", None)
    if connection is not None:
        return connection.type == "core"
    return "Local core dump file" in _execute("info target")


def core_path():
    match = re.search(r"Local core dump file:\s*`(.*)', file type", _execute("info target"))
    return match.group(1) if match else None


_HEX = r"0x[0-9a-fA-F]+"
_MAPPING_LINE = re.compile(r"^\s*(%s)\s+(%s)\s+(%s)\s+(%s)(?:\s+([rwxsp-]{4}))?(?:\s+(.*?))?\s*$" % (
    _HEX, _HEX, _HEX, _HEX))


def parse_proc_mappings(text):
    """Rows of `info proc mappings`: (start, end, offset, perms or None, path).

    GDB 13 prints `Start End Size Offset [Perms] objfile`, with Perms for live
    processes only; the path may contain spaces and may be absent.
    """
    rows = []
    for line in text.splitlines():
        match = _MAPPING_LINE.match(line)
        if not match:
            continue
        start, end, _size, offset, perms, path = match.groups()
        rows.append((int(start, 16), int(end, 16), int(offset, 16), perms, path or ""))
    return rows


_SECTION_LINE = re.compile(r"^\s*\[\s*\d+\]\s+(%s)->(%s)\s+at\s+%s:\s+(load\S*)\s*(.*)$" % (_HEX, _HEX, _HEX))


def parse_core_load_sections(text):
    """The core file's memory segments from `maint info sections`: (start, end, perms)."""
    rows = []
    in_core = False
    for line in text.splitlines():
        if line.startswith("Core file:"):
            in_core = True
            continue
        if in_core and (line.startswith("Object file:") or line.startswith("Exec file:")):
            in_core = False
        if not in_core:
            continue
        match = _SECTION_LINE.match(line)
        if not match:
            continue
        flags = match.group(4).split()
        perms = capi.PERM_READ
        if "READONLY" not in flags:
            perms |= capi.PERM_WRITE
        if "CODE" in flags:
            perms |= capi.PERM_EXEC
        rows.append((int(match.group(1), 16), int(match.group(2), 16), perms))
    return rows


def perms_bits(text):
    bits = 0
    if text[0] == "r":
        bits |= capi.PERM_READ
    if text[1] == "w":
        bits |= capi.PERM_WRITE
    if text[2] == "x":
        bits |= capi.PERM_EXEC
    return bits


def collect_mappings(inferior):
    """[(start, end, offset, path, perms)] for the inferior, as well as GDB can tell."""
    files = parse_proc_mappings(_execute("info proc mappings"))
    if not is_core(inferior):
        return [(s, e, o, p, perms_bits(perms) if perms else capi.PERM_READ) for s, e, o, perms, p in files]
    segments = parse_core_load_sections(_execute("maint info sections -all-objects"))
    result = []
    for start, end, offset, _perms, path in files:
        # A file mapping takes the permissions of the core segment that holds it.
        bits = capi.PERM_READ
        for seg_start, seg_end, seg_perms in segments:
            if seg_start <= start < seg_end:
                bits = seg_perms
                break
        result.append((start, end, offset, path, bits))
    covered = [(s, e) for s, e, _o, _p, _b in result]
    for seg_start, seg_end, seg_perms in segments:
        if not any(s < seg_end and seg_start < e for s, e in covered):
            result.append((seg_start, seg_end, 0, "", seg_perms))
    return result


def auxv_entry():
    match = re.search(r"AT_ENTRY\s+.*?(0x[0-9a-fA-F]+)\s*$", _execute("info auxv"), re.MULTILINE)
    return int(match.group(1), 16) if match else None


def read_registers(frame):
    registers = capi.Registers()
    # orig_rax names the system call a thread is in, and 0 is `read`: unread, it is -1 ("none").
    registers.orig_rax = 0xFFFFFFFFFFFFFFFF
    for name in capi.REGISTER_NAMES:
        try:
            setattr(registers, name, int(frame.read_register(name)) & 0xFFFFFFFFFFFFFFFF)
        except (gdb.error, ValueError, OverflowError):
            pass  # e.g. no fs_base in an old core: leave 0 ("unknown")
    return registers


def read_siginfo():
    """(signo, code, fault address or None, sender pid or None) of the selected thread, or None."""
    try:
        info = gdb.parse_and_eval("$_siginfo")
        signo = int(info["si_signo"])
    except (gdb.error, RuntimeError):
        return None
    if signo <= 0:
        return None
    code = int(info["si_code"])
    address = None
    sender = None
    try:
        if signo in (4, 7, 8, 11):  # SIGILL, SIGBUS, SIGFPE, SIGSEGV carry a fault address
            address = int(info["_sifields"]["_sigfault"]["si_addr"])
        elif code <= 0:  # SI_USER, SI_TKILL, SI_QUEUE...: sent by a process
            sender = int(info["_sifields"]["_kill"]["si_pid"])
    except (gdb.error, RuntimeError):
        pass
    return signo, code, address, sender


class ThreadSnapshot:
    """What list_threads() learned: per thread its TID, registers and name, and the crash."""

    def __init__(self):
        self.threads = []  # (tid, Registers or None, name)
        self.crashed_tid = None
        self.signal = None


def collect_threads(inferior, all_registers=True, want_siginfo=False):
    """Reads every thread's registers, switching threads and restoring the selection.

    all_registers=False reads only the selected thread's registers, without
    switching: what the frame filter may do while GDB is printing a backtrace.
    """
    result = ThreadSnapshot()
    selected = gdb.selected_thread()
    try:
        selected_frame = gdb.selected_frame()
    except gdb.error:
        selected_frame = None
    threads = sorted(inferior.threads(), key=lambda t: t.num)
    try:
        for thread in threads:
            if not thread.is_valid():
                continue
            tid = thread.ptid[1] or thread.ptid[0]
            registers = None
            if all_registers or thread == selected:
                try:
                    if thread != gdb.selected_thread():
                        thread.switch()
                    registers = read_registers(gdb.newest_frame())
                    if want_siginfo and result.signal is None:
                        siginfo = read_siginfo()
                        if siginfo is not None:
                            result.signal = siginfo
                            result.crashed_tid = tid
                except gdb.error:
                    registers = None
            result.threads.append((tid, registers, thread.name))
    finally:
        if selected is not None and selected.is_valid() and gdb.selected_thread() != selected:
            selected.switch()
        if selected_frame is not None and selected_frame.is_valid():
            try:
                selected_frame.select()
            except gdb.error:
                pass
    return result


MAX_READ = 1 << 20  # GDB allocates what it is asked for: never ask for more at once


def read_memory(inferior, address, size):
    """The readable prefix of [address, address + size) as bytes."""
    size = min(size, MAX_READ, (1 << 64) - address)
    if size <= 0:
        return b""
    try:
        return inferior.read_memory(address, size).tobytes()
    except (gdb.MemoryError, gdb.error, OverflowError, ValueError):
        pass
    # Part of the range is unreadable: take whole pages up to the first hole.
    chunks = []
    at = address
    end = address + size
    while at < end:
        step = min(end, (at // PAGE + 1) * PAGE) - at
        try:
            chunks.append(inferior.read_memory(at, step).tobytes())
        except (gdb.MemoryError, gdb.error, OverflowError, ValueError):
            break
        at += step
    return b"".join(chunks)


class Bridge:
    """Owns the ctypes callbacks (and the strings they hand out) for one analysis."""

    def __init__(self, inferior, all_registers=True):
        self.inferior = inferior
        self.all_registers = all_registers
        self.core = is_core(inferior)
        self._keep = []  # bytes handed to C, alive until the analysis returns
        self.callbacks = capi.Callbacks(
            ctypes.sizeof(capi.Callbacks), None, capi.READ_MEMORY(self._read), capi.LIST_MAPPINGS(self._mappings),
            capi.LIST_THREADS(self._threads), capi.DESCRIBE_PROCESS(self._process), b"gdb")
        self._thread_snapshot = None

    def _read(self, _context, address, out, size):
        try:
            data = read_memory(self.inferior, address, size)
            ctypes.memmove(out, data, len(data))
            return len(data)
        except BaseException:  # noqa: B036 -- nothing may propagate into C
            return 0

    def _mappings(self, _context, add, sink):
        try:
            for start, end, offset, path, perms in collect_mappings(self.inferior):
                mapping = capi.Mapping(start, end, offset, path.encode("utf-8", "surrogateescape") or None, perms)
                add(sink, ctypes.byref(mapping))
            return 0
        except BaseException:  # noqa: B036
            return 1

    def _thread_facts(self):
        if self._thread_snapshot is None:
            self._thread_snapshot = collect_threads(self.inferior, self.all_registers, want_siginfo=self.core)
        return self._thread_snapshot

    def _threads(self, _context, add, sink):
        try:
            for tid, registers, name in self._thread_facts().threads:
                entry = capi.Thread(tid, 1 if registers is not None else 0,
                                    registers if registers is not None else capi.Registers(),
                                    name.encode("utf-8", "replace") if name else None)
                add(sink, ctypes.byref(entry))
            return 0
        except BaseException:  # noqa: B036
            return 1

    def _string(self, text):
        if not text:
            return None
        data = text.encode("utf-8", "surrogateescape")
        self._keep.append(data)
        return data

    def _process(self, _context, out):
        try:
            process = out.contents
            pid = self.inferior.pid
            if pid:
                process.has_pid, process.pid = 1, pid
            process.executable = self._string(gdb.current_progspace().filename)
            if self.core:
                process.core_path = self._string(core_path())
                facts = self._thread_facts()
                if facts.signal is not None:
                    signo, code, address, sender = facts.signal
                    process.has_signal, process.signal_number, process.signal_code = 1, signo, code
                    if address is not None:
                        process.has_fault_address, process.fault_address = 1, address
                    if sender is not None:
                        process.has_sender_pid, process.sender_pid = 1, sender
                    process.has_crashed_tid, process.crashed_tid = 1, facts.crashed_tid
                match = re.search(r"^exe = '(.*)'$", _execute("info proc"), re.MULTILINE)
                if match:
                    process.command = self._string(match.group(1))
            elif pid:
                try:
                    with open("/proc/%d/cmdline" % pid, "rb") as f:
                        process.command = self._string(f.read().rstrip(b"\0").replace(b"\0", b" ").decode(
                            "utf-8", "replace"))
                except OSError:
                    pass
            entry = auxv_entry()
            if entry is not None:
                process.has_auxv_entry, process.auxv_entry = 1, entry
            return 0
        except BaseException:  # noqa: B036
            return 1
