#include "report/NameLookup.h"

#include <fmt/format.h>

namespace pyautopsy::report {
namespace {

const snapshot::Namespace* namespaceAt(const snapshot::Snapshot& snapshot, std::optional<std::uint64_t> dict)
{
    if (!dict) return nullptr;
    auto it = snapshot.namespaces.find(*dict);
    return it == snapshot.namespaces.end() ? nullptr : &it->second;
}

const snapshot::Local* find(const std::vector<snapshot::Local>& names, std::string_view name)
{
    for (const auto& entry : names)
        if (entry.name == name) return &entry;
    return nullptr;
}

// A str repr of the name as Python would quote it, for names that are plain
// identifiers (anything else cannot be a variable's name).
std::string quoted(std::string_view name) { return fmt::format("'{}'", name); }

}  // namespace

NameLookup lookupName(const snapshot::Snapshot& snapshot, const snapshot::Frame& frame, std::string_view name)
{
    NameLookup out;
    if (!frame.localsAreGlobals) {
        if (const auto* local = find(frame.locals, name)) {
            out.scope = NameLookup::Scope::Local;
            out.repr = local->repr;
            return out;
        }
        for (const auto& unbound : frame.unboundLocals) {
            if (unbound == name) {
                out.scope = NameLookup::Scope::UnboundLocal;
                return out;
            }
        }
    }
    const std::pair<NameLookup::Scope, std::optional<std::uint64_t>> scopes[] = {
        {NameLookup::Scope::Global, frame.globals}, {NameLookup::Scope::Builtin, frame.builtins}};
    for (const auto& [scope, dict] : scopes) {
        const snapshot::Namespace* names = namespaceAt(snapshot, dict);
        if (names == nullptr) {
            out.incomplete = true;
            continue;
        }
        if (const auto* entry = find(names->names, name)) {
            out.scope = scope;
            out.repr = entry->repr;
            return out;
        }
        out.incomplete = out.incomplete || !names->complete;
    }
    return out;
}

std::string formatNameLookup(std::string_view name, const NameLookup& lookup)
{
    switch (lookup.scope) {
    case NameLookup::Scope::Local: return fmt::format("local {} = {}\n", quoted(name), lookup.repr);
    case NameLookup::Scope::UnboundLocal:
        return fmt::format("local {} is unbound (not assigned yet, or deleted)\n", quoted(name));
    case NameLookup::Scope::Global: return fmt::format("global {} = {}\n", quoted(name), lookup.repr);
    case NameLookup::Scope::Builtin: return fmt::format("builtin {} = {}\n", quoted(name), lookup.repr);
    case NameLookup::Scope::NotFound: break;
    }
    if (lookup.incomplete)
        return fmt::format("{} not found (the globals or builtins could not all be read)\n", quoted(name));
    return fmt::format("{} not found\n", quoted(name));
}

std::string formatFrameNames(const snapshot::Snapshot& snapshot, const snapshot::Frame& frame,
                             const TextOptions& options)
{
    std::string out = formatFrame(frame, options);   // the frame line, its source, its locals
    if (!frame.localsAreGlobals || !frame.locals.empty()) {
        if (frame.locals.empty()) out += "      (no locals)\n";
        return out;
    }
    const snapshot::Namespace* globals = namespaceAt(snapshot, frame.globals);
    if (globals == nullptr) return out + "      (module level: its globals could not be read)\n";
    for (const auto& entry : globals->names) out += fmt::format("      {} = {}\n", entry.name, entry.repr);
    if (!globals->complete) out += "      (more globals could not be read)\n";
    return out;
}

}  // namespace pyautopsy::report
