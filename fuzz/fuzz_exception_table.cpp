// Fuzz target: a 3.11+ co_exceptiontable, asked for the handler around a few
// instructions. Input: a code unit, then the table.
#include "FuzzSupport.h"

#include "runtime/code/ExceptionTable.h"

using namespace pyautopsy;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    fuzz::ByteReader input({data, size});
    const auto codeUnit = input.take<std::uint32_t>();
    const auto table = input.rest();
    std::uint64_t sink = 0;
    for (std::uint32_t at : {codeUnit, 0u, 1u, static_cast<std::uint32_t>(table.size()), ~0u})
        if (auto handler = runtime::handlerAt(table, at)) sink += handler->target + handler->depth + handler->end;
    return sink == 1;
}
