// Fuzz target: the note parsers one at a time. The first byte picks the
// parser, the rest is its input: a note descriptor (NT_PRSTATUS, NT_PRPSINFO,
// NT_FILE, NT_AUXV, NT_SIGINFO) or a whole note area (the walk over entries,
// the GNU build-id).
#include "FuzzSupport.h"

#include "target/CoreNotes.h"
#include "target/ElfNotes.h"

using namespace pyautopsy;
using namespace pyautopsy::target;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    fuzz::ByteReader input({data, size});
    const auto which = input.take<std::uint8_t>();
    const auto bytes = input.rest();
    std::size_t sink = 0;
    switch (which % 7) {
    case 0: sink += core_notes::parsePrStatus(bytes).has_value(); break;
    case 1:
        if (auto info = core_notes::parsePrPsInfo(bytes)) sink += info->fileName.size() + info->arguments.size();
        break;
    case 2:
        if (auto note = core_notes::parseFileNote(bytes))
            for (const auto& entry : note->entries) sink += entry.path.size();
        break;
    case 3: sink += core_notes::parseAuxv(bytes).entry.has_value(); break;
    case 4: sink += core_notes::parseSigInfo(bytes).has_value(); break;
    case 5:
        forEachNote(bytes, which & 0x80 ? 8 : 4, [&](const ElfNote& note) {
            sink += note.name.size() + note.desc.size() + note.type;
            return true;
        });
        break;
    case 6:
        if (auto id = findBuildId(bytes, which & 0x80 ? 8 : 4)) sink += id->size();
        break;
    }
    return sink == ~std::size_t{0};
}
