"""libpyautopsy.so's callbacks served from an ELF core file, as a debugger serves them.

GDB's front end hands the library what GDB knows of a core: its memory, its
mappings (with NT_FILE's paths), its threads' registers and the signal. This
module does the same from the file itself, so that the library can be driven
exactly as GDB drives it in a process GDB cannot run in (under
AddressSanitizer, GDB's Guile runtime deadlocks at start). A damaged core
gives what can still be read, never an exception into C.
"""

import ctypes
import mmap
import struct

PT_LOAD, PT_NOTE = 1, 4
NT_PRSTATUS, NT_PRPSINFO, NT_SIGINFO, NT_FILE = 1, 3, 0x53494749, 0x46494C45
PRSTATUS_PID, PRSTATUS_REGS = 32, 112       # offsets in struct elf_prstatus (x86-64)
PRPSINFO_PID = 24


class CoreImage:
    """Segments, notes and threads of one core; every field best effort."""

    def __init__(self, path):
        self.path = path
        self.segments = []      # (vaddr, memsz, offset, filesz, flags)
        self.files = []         # (start, end, file offset, path)
        self.threads = []       # (tid, [27 registers] or None)
        self.pid = None
        self.signal = None      # (signo, code, address or None, sender pid or None)
        with open(path, "rb") as f:
            try:
                self.data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
            except ValueError:  # an empty file
                self.data = b""
        try:
            self._parse()
        except (struct.error, ValueError, IndexError, OverflowError):
            pass

    def _parse(self):
        d = self.data
        if d[:4] != b"\x7fELF":
            return
        phoff, = struct.unpack_from("<Q", d, 0x20)
        phentsize, phnum = struct.unpack_from("<HH", d, 0x36)
        for i in range(min(phnum, 65535)):
            p_type, p_flags, p_offset, p_vaddr, _, p_filesz, p_memsz = struct.unpack_from(
                "<IIQQQQQ", d, phoff + i * phentsize)
            if p_type == PT_LOAD:
                self.segments.append((p_vaddr, p_memsz, p_offset, p_filesz, p_flags))
            elif p_type == PT_NOTE:
                self._notes(p_offset, min(p_filesz, len(d) - p_offset))

    def _notes(self, at, size):
        d = self.data
        end = at + size
        while at + 12 <= end:
            namesz, descsz, kind = struct.unpack_from("<III", d, at)
            desc = at + 12 + ((namesz + 3) & ~3)
            if desc + descsz > end:
                return
            body = bytes(d[desc:desc + descsz])
            if kind == NT_PRSTATUS and descsz >= PRSTATUS_REGS + 27 * 8:
                tid, = struct.unpack_from("<i", body, PRSTATUS_PID)
                self.threads.append((tid, list(struct.unpack_from("<27Q", body, PRSTATUS_REGS))))
            elif kind == NT_PRPSINFO and descsz >= PRPSINFO_PID + 4:
                self.pid, = struct.unpack_from("<i", body, PRPSINFO_PID)
            elif kind == NT_SIGINFO and descsz >= 24 and self.signal is None:
                signo, _errno, code = struct.unpack_from("<iii", body, 0)
                word, = struct.unpack_from("<Q", body, 16)
                sender, = struct.unpack_from("<i", body, 16)
                fault = signo in (4, 7, 8, 11) and code > 0
                self.signal = (signo, code, word if fault else None, sender if code <= 0 else None)
            elif kind == NT_FILE and descsz >= 16:
                count, _page = struct.unpack_from("<QQ", body, 0)
                count = min(count, (descsz - 16) // 24)
                names = body[16 + 24 * count:].split(b"\0")
                for i in range(count):
                    start, stop, pgoff = struct.unpack_from("<QQQ", body, 16 + 24 * i)
                    name = names[i].decode("utf-8", "surrogateescape") if i < len(names) else ""
                    self.files.append((start, stop, pgoff * 4096, name))
            at = desc + ((descsz + 3) & ~3)

    def read(self, address, size):
        """The bytes the core holds from `address`, up to `size`; b"" where none."""
        out = b""
        while size > 0:
            for vaddr, memsz, offset, filesz, _ in self.segments:
                if vaddr <= address < vaddr + min(memsz, filesz):
                    n = min(size, vaddr + filesz - address)
                    start = offset + (address - vaddr)
                    chunk = bytes(self.data[start:start + n])
                    break
            else:
                return out
            if not chunk:
                return out
            out += chunk
            address += len(chunk)
            size -= len(chunk)
        return out

    def mappings(self):
        """(start, end, file offset, path, perms) per segment, as GDB lists a core's sections."""
        for vaddr, memsz, _, _, flags in self.segments:
            path, file_offset = "", 0
            for start, stop, pgoff, name in self.files:
                if start <= vaddr < stop:
                    path, file_offset = name, pgoff + (vaddr - start)
                    break
            yield vaddr, vaddr + memsz, file_offset, path, flags & 7


class CoreCallbacks:
    """capi.Callbacks for a CoreImage; owns what it hands to C."""

    def __init__(self, capi, core, executable):
        self.capi = capi
        self.core = core
        self.executable = executable
        self._keep = []
        self.callbacks = capi.Callbacks(
            ctypes.sizeof(capi.Callbacks), None, capi.READ_MEMORY(self._read), capi.LIST_MAPPINGS(self._mappings),
            capi.LIST_THREADS(self._threads), capi.DESCRIBE_PROCESS(self._process), b"gdb")

    def _read(self, _context, address, out, size):
        try:
            data = self.core.read(address, size)
            ctypes.memmove(out, data, len(data))
            return len(data)
        except BaseException:  # noqa: B036 -- nothing may propagate into C
            return 0

    def _mappings(self, _context, add, sink):
        try:
            for start, end, offset, path, perms in self.core.mappings():
                name = path.encode("utf-8", "surrogateescape") or None
                self._keep.append(name)
                add(sink, ctypes.byref(self.capi.Mapping(start, end, offset, name, perms)))
            return 0
        except BaseException:  # noqa: B036
            return 1

    def _threads(self, _context, add, sink):
        try:
            for tid, registers in self.core.threads:
                regs = self.capi.Registers(*registers) if registers else self.capi.Registers()
                add(sink, ctypes.byref(self.capi.Thread(tid, 1 if registers else 0, regs, None)))
            return 0
        except BaseException:  # noqa: B036
            return 1

    def _string(self, text):
        data = text.encode("utf-8", "surrogateescape")
        self._keep.append(data)
        return data

    def _process(self, _context, out):
        try:
            process = out.contents
            if self.core.pid:
                process.has_pid, process.pid = 1, self.core.pid
            process.executable = self._string(self.executable)
            process.core_path = self._string(self.core.path)
            if self.core.signal:
                signo, code, address, sender = self.core.signal
                process.has_signal, process.signal_number, process.signal_code = 1, signo, code
                if address is not None:
                    process.has_fault_address, process.fault_address = 1, address
                if sender is not None:
                    process.has_sender_pid, process.sender_pid = 1, sender
                if self.core.threads:
                    process.has_crashed_tid, process.crashed_tid = 1, self.core.threads[0][0]
            return 0
        except BaseException:  # noqa: B036
            return 1
