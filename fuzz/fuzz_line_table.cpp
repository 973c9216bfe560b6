// Fuzz target: a code object's line table in each format (3.8-3.9 co_lnotab,
// 3.10 co_linetable, 3.11+ location entries), asked for the line of a few
// instructions. Input: format selector, co_firstlineno, an offset, the table.
#include "FuzzSupport.h"

#include "runtime/code/LineTable.h"

using namespace pyautopsy;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    fuzz::ByteReader input({data, size});
    const auto which = input.take<std::uint8_t>();
    const auto firstLine = input.take<std::int32_t>();
    const auto offset = input.take<std::int32_t>();
    const auto table = input.rest();
    const runtime::LineTableFormat formats[] = {runtime::LineTableFormat::Lnotab38, runtime::LineTableFormat::Linetable310,
                                                runtime::LineTableFormat::Locations311};
    const auto format = formats[which % 3];
    long sink = 0;
    for (int at : {offset, 0, 2, static_cast<int>(table.size()), offset / 2 * 2})
        sink += runtime::lineForOffset(format, table, firstLine, at).value_or(0);
    sink += runtime::lineForLasti(format, table, firstLine, offset).value_or(0);
    return sink == 0x7fffffffL;
}
