// Fuzz target: an ELF file on disk (executable or shared library) as
// ElfImage reads it: program headers, sections, symbol tables, build-id.
#include "FuzzSupport.h"

#include "support/Error.h"
#include "target/ElfImage.h"

#include <array>

using namespace pyautopsy;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    fuzz::InputFile file({data, size});
    try {
        auto image = target::ElfImage::open(file.path());
        std::size_t sink = image->isExecutable() + image->isSharedObject() + image->buildId().has_value();
        std::array<std::uint8_t, 32> buffer{};
        for (const auto& segment : image->loadSegments()) {
            sink += image->readVirtual(segment.vaddr, buffer.data(), buffer.size());
            if (auto symbol = image->symbolize(segment.vaddr + 16)) sink += symbol->name.size();
        }
        for (const char* name : {"_PyRuntime", "Py_Version", "PyCode_Type"})
            if (auto symbol = image->findSymbol(name)) sink += symbol->size;
        if (auto section = image->findSection(".PyRuntime")) sink += section->size;
        return sink == ~std::size_t{0};
    } catch (const Error&) {
        return 0;
    }
}
