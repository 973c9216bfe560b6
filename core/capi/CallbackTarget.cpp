#include "CallbackTarget.h"

#include "support/Error.h"

#include <algorithm>
#include <cstring>

namespace pyautopsy::capi {
namespace {

std::string copyString(const char* text) { return text == nullptr ? std::string() : std::string(text); }

void addMapping(void* sink, const pyautopsy_mapping* in)
{
    if (sink == nullptr || in == nullptr || in->end <= in->start) return;
    target::Mapping mapping;
    mapping.start = in->start;
    mapping.end = in->end;
    mapping.fileOffset = in->file_offset;
    mapping.path = copyString(in->path);
    mapping.readable = (in->perms & PYAUTOPSY_PERM_READ) != 0;
    mapping.writable = (in->perms & PYAUTOPSY_PERM_WRITE) != 0;
    mapping.executable = (in->perms & PYAUTOPSY_PERM_EXEC) != 0;
    static_cast<std::vector<target::Mapping>*>(sink)->push_back(std::move(mapping));
}

void addThread(void* sink, const pyautopsy_thread* in)
{
    if (sink == nullptr || in == nullptr) return;
    target::ThreadInfo thread;
    thread.tid = in->tid;
    if (in->has_registers) {
        static_assert(sizeof(pyautopsy_registers) == sizeof(target::Registers), "register layouts differ");
        target::Registers registers;
        std::memcpy(&registers, &in->registers, sizeof registers);
        thread.registers = registers;
    }
    thread.name = copyString(in->name);
    static_cast<std::vector<target::ThreadInfo>*>(sink)->push_back(std::move(thread));
}

// The members a caller's struct of `size` bytes actually has.
bool hasMember(const pyautopsy_callbacks& callbacks, std::size_t memberEnd) { return callbacks.size >= memberEnd; }

}  // namespace

CallbackTarget::CallbackTarget(const pyautopsy_callbacks& in)
{
    if (in.size < offsetof(pyautopsy_callbacks, list_threads) + sizeof in.list_threads || in.read_memory == nullptr)
        throw Error(ErrorKind::Usage, "pyautopsy_callbacks: read_memory, list_mappings and list_threads are required");
    std::memcpy(&m_callbacks, &in, std::min<std::size_t>(in.size, sizeof m_callbacks));
    const bool hasDescribe = hasMember(in, offsetof(pyautopsy_callbacks, describe_process) + sizeof in.describe_process);
    const bool hasKind = hasMember(in, offsetof(pyautopsy_callbacks, kind) + sizeof in.kind);
    if (!hasDescribe) m_callbacks.describe_process = nullptr;
    m_kind = hasKind && in.kind != nullptr ? std::string(in.kind) : std::string("debugger");

    if (m_callbacks.list_mappings != nullptr && m_callbacks.list_mappings(m_callbacks.context, addMapping, &m_mappings) != 0)
        m_mappings.clear();
    std::sort(m_mappings.begin(), m_mappings.end(),
              [](const target::Mapping& a, const target::Mapping& b) { return a.start < b.start; });
    if (m_callbacks.list_threads != nullptr && m_callbacks.list_threads(m_callbacks.context, addThread, &m_threads) != 0)
        m_threads.clear();

    if (m_callbacks.describe_process != nullptr) {
        pyautopsy_process p{};
        p.size = sizeof p;
        if (m_callbacks.describe_process(m_callbacks.context, &p) == 0) {
            if (p.has_pid) m_process.pid = p.pid;
            m_process.executable = copyString(p.executable);
            m_process.command = copyString(p.command);
            m_corePath = copyString(p.core_path);
            if (p.has_signal) {
                target::SignalInfo signal;
                signal.number = p.signal_number;
                signal.code = p.signal_code;
                if (p.has_fault_address) signal.faultAddress = p.fault_address;
                if (p.has_sender_pid) signal.senderPid = p.sender_pid;
                m_process.signal = signal;
            }
            if (p.has_crashed_tid) m_process.crashedTid = p.crashed_tid;
            if (p.has_auxv_entry) m_process.auxvEntry = p.auxv_entry;
        }
    }
}

std::size_t CallbackTarget::readDirect(std::uint64_t address, void* out, std::size_t size)
{
    // The caller may allocate a buffer of the size it is asked for (GDB does):
    // hand it bounded chunks, so a huge request from a corrupt length costs a
    // short read here rather than the debugger's memory.
    auto* dest = static_cast<char*>(out);
    std::size_t done = 0;
    while (done < size) {
        std::size_t want = std::min(size - done, kMaxCallbackRead);
        std::size_t got = m_callbacks.read_memory(m_callbacks.context, address + done, dest + done, want);
        got = std::min(got, want);  // a caller claiming more than asked is not believed
        done += got;
        if (got < want) break;
    }
    return done;
}

const std::vector<char>& CallbackTarget::page(std::uint64_t pageAddress)
{
    auto it = m_pages.find(pageAddress);
    if (it != m_pages.end()) return it->second;
    if (m_pages.size() >= kMaxCachedPages) m_pages.clear();
    std::vector<char> bytes(kPageSize);
    bytes.resize(readDirect(pageAddress, bytes.data(), bytes.size()));
    return m_pages.emplace(pageAddress, std::move(bytes)).first->second;
}

std::size_t CallbackTarget::read(std::uint64_t address, void* out, std::size_t size)
{
    if (size == 0) return 0;
    if (size >= kDirectReadSize) return readDirect(address, out, size);
    auto* dest = static_cast<char*>(out);
    std::size_t done = 0;
    while (done < size) {
        std::uint64_t at = address + done;
        if (at < address) break;  // wrapped around the address space
        std::uint64_t pageAddress = at & ~(kPageSize - 1);
        const std::vector<char>& bytes = page(pageAddress);
        std::size_t inPage = static_cast<std::size_t>(at - pageAddress);
        if (inPage >= bytes.size()) break;
        std::size_t n = std::min(size - done, bytes.size() - inPage);
        std::memcpy(dest + done, bytes.data() + inPage, n);
        done += n;
        if (bytes.size() < kPageSize) break;  // memory ends inside this page
    }
    return done;
}

}  // namespace pyautopsy::capi
