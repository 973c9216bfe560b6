"""Facts about an ELF file that the test bed records, read with the stdlib only.

has_symtab(path) tells whether a file still carries a full symbol table
(.symtab, SHT_SYMTAB). pyautopsy must work on interpreters without one, so the
manifest marks them: those are the targets where only the dynamic symbols and
our own layouts are available.
"""

import struct

_SHT_SYMTAB = 2


def has_symtab(path):
    """True if the ELF file at `path` has a section of type SHT_SYMTAB.

    Raises ValueError if the file is not ELF.
    """
    with open(path, "rb") as f:
        ident = f.read(16)
        if len(ident) < 16 or ident[:4] != b"\x7fELF":
            raise ValueError("%s: not an ELF file" % path)
        is64 = ident[4] == 2
        endian = "<" if ident[5] == 1 else ">"
        if is64:
            header = f.read(48)
            shoff, = struct.unpack_from(endian + "Q", header, 24)
            shentsize, shnum, = struct.unpack_from(endian + "HH", header, 42)
            type_offset, size_format, size_offset = 4, "Q", 32
        else:
            header = f.read(36)
            shoff, = struct.unpack_from(endian + "I", header, 16)
            shentsize, shnum = struct.unpack_from(endian + "HH", header, 30)
            type_offset, size_format, size_offset = 4, "I", 20
        if shoff == 0:
            return False  # no section headers at all: certainly no .symtab
        f.seek(shoff)
        first = f.read(shentsize)
        if shnum == 0 and len(first) == shentsize:
            # Extended numbering: the real count lives in section 0's sh_size.
            shnum, = struct.unpack_from(endian + size_format, first, size_offset)
        f.seek(shoff)
        # Bounded by the file: a corrupt count just yields a short read.
        table = f.read(shentsize * min(shnum, 65536))
        for offset in range(0, len(table) - shentsize + 1, shentsize):
            sh_type, = struct.unpack_from(endian + "I", table, offset + type_offset)
            if sh_type == _SHT_SYMTAB:
                return True
        return False
