// Fuzz target: the object decoders (int, str, bytes, float, complex, tuple,
// list, dict, set, function, cell) and repr() over them, for the layout of
// every CPython build in the generated tables.
//
// Memory: the builtin type objects at kTypes (tp_name, tp_flags as CPython's
// own, so objects are classified as real ones are), and the fuzzer's bytes
// at kHeap, whose first object's type the harness sets. Pointers in the
// bytes lead to the types (0x1000 + 0x200 * kind) or back into the heap.
// Input: build selector (low nibble: minor version - 8; bit 7: debug build),
// kind selector (index into kBuiltins), heap bytes.
#include "FuzzSupport.h"

#include "runtime/discovery/Capabilities.h"
#include "runtime/layouts/Encodings.h"
#include "runtime/layouts/LayoutTables.h"
#include "runtime/objects/ScalarReader.h"
#include "runtime/repr/ObjectRepr.h"
#include "runtime/repr/ReprFormat.h"

#include <cstring>
#include <optional>

using namespace pyautopsy;
using namespace pyautopsy::runtime;

namespace {

constexpr std::uint64_t kTypes = 0x1000, kTypeStride = 0x200, kHeap = 0x100000;

struct Builtin {
    const char* name;
    std::uint64_t flags;
};
constexpr Builtin kBuiltins[] = {
    {"int", encoding::kTpFlagsLongSubclass},     {"str", encoding::kTpFlagsUnicodeSubclass},
    {"bytes", encoding::kTpFlagsBytesSubclass},  {"float", 0},
    {"complex", 0},                               {"tuple", encoding::kTpFlagsTupleSubclass},
    {"list", encoding::kTpFlagsListSubclass},    {"dict", encoding::kTpFlagsDictSubclass},
    {"set", 0},                                   {"frozenset", 0},
    {"bool", encoding::kTpFlagsLongSubclass},    {"NoneType", 0},
    {"function", 0},                              {"cell", 0},
    {"type", encoding::kTpFlagsTypeSubclass},    {"ellipsis", 0},
};
constexpr std::size_t kBuiltinCount = sizeof kBuiltins / sizeof kBuiltins[0];

void put(std::vector<std::uint8_t>& block, std::int64_t offset, std::uint64_t value)
{
    if (offset < 0 || static_cast<std::size_t>(offset) + 8 > block.size()) return;
    std::memcpy(block.data() + offset, &value, sizeof value);
}

struct Version {
    Runtime runtime;
    std::vector<std::uint8_t> types;
};

std::vector<Version> makeVersions()
{
    std::vector<Version> versions;
    for (const auto& entry : generatedLayoutTables()) {
        Version v;
        v.runtime.version = PythonVersion{.major = entry.major, .minor = entry.minor, .micro = entry.micro, .debug = entry.debug};
        auto caps = capabilitiesFor(v.runtime.version);
        if (!caps) continue;
        v.runtime.caps = *caps;
        v.runtime.layout = entry.layout;
        const auto& t = entry.layout.type;
        v.types.assign(kTypeStride * (kBuiltinCount + 1), 0);
        const std::uint64_t names = kTypes + kTypeStride * kBuiltinCount;   // the names, after the types
        std::size_t nameAt = kTypeStride * kBuiltinCount;
        for (std::size_t i = 0; i < kBuiltinCount; ++i) {
            const std::int64_t base = static_cast<std::int64_t>(kTypeStride * i);
            put(v.types, base + t.tp_name, names + (nameAt - kTypeStride * kBuiltinCount));
            put(v.types, base + t.tp_flags, kBuiltins[i].flags);
            put(v.types, base + entry.layout.object.ob_type, kTypes + kTypeStride * 14);   // type(int) is type
            std::memcpy(v.types.data() + nameAt, kBuiltins[i].name, std::strlen(kBuiltins[i].name) + 1);
            nameAt += std::strlen(kBuiltins[i].name) + 1;
        }
        versions.push_back(std::move(v));
    }
    return versions;
}

// The build a selector names, stable whatever the order of the tables: the
// first table of that minor version and kind, else of that minor version.
const Version& pick(const std::vector<Version>& versions, std::uint8_t selector)
{
    const int minor = 8 + (selector & 0x0f) % 8;
    const bool debug = (selector & 0x80) != 0;
    const Version* fallback = &versions.front();
    for (const auto& v : versions) {
        if (v.runtime.version.minor != minor) continue;
        if (v.runtime.version.debug == debug) return v;
        fallback = &v;
    }
    return *fallback;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static const std::vector<Version> versions = makeVersions();
    fuzz::ByteReader input({data, size});
    const Version& version = pick(versions, input.take<std::uint8_t>());
    const std::size_t kind = input.take<std::uint8_t>() % kBuiltinCount;
    std::vector<std::uint8_t> heap(input.rest().begin(), input.rest().end());
    put(heap, version.runtime.layout.object.ob_type, kTypes + kTypeStride * kind);

    fuzz::MemoryImageTarget image;
    image.addBlock(kTypes, version.types);
    image.addBlock(kHeap, heap);
    target::Memory memory(image);
    ObjectReader reader(memory, version.runtime);

    std::size_t sink = ObjectRepr(reader).repr(kHeap).size();
    try {
        if (auto value = readLong(reader, kHeap, 64)) sink += toInt64(*value).has_value() + value->digits.size();
    } catch (const target::MemoryFault&) {
    }
    try {
        if (auto text = readStrUtf8(reader, kHeap, 512)) sink += text->size();
    } catch (const target::MemoryFault&) {
    }
    try {
        if (auto bytes = reader.readBytes(kHeap, 512)) sink += repr::formatBytes(*bytes).size();
        if (auto items = reader.readTupleItems(kHeap)) sink += items->size();
    } catch (const target::MemoryFault&) {
    }
    if (heap.size() >= 8) {
        double value;
        std::memcpy(&value, heap.data() + heap.size() - 8, sizeof value);
        sink += repr::formatFloat(value).size();
    }
    return sink == ~std::size_t{0};
}
