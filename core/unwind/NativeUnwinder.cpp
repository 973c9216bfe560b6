#include "unwind/NativeUnwinder.h"

#include "unwind/DwarfRegisters.h"

#include <elfutils/libdwfl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <unistd.h>
#include <vector>

namespace pyautopsy::unwind {
namespace {

// A module as reported to libdwfl: its user data.
struct ReportedModule {
    const target::ModuleIndex* modules = nullptr;
    const target::Module* module = nullptr;
};

// Modules are reported by address range only; libdwfl asks for a module's
// file when the unwind first needs its CFI, and only then is the file opened
// (and checked) through ModuleIndex. A crash's stack touches a few modules:
// opening every library mapped (dozens of extension modules) cost more than
// the unwind. Nothing is looked up elsewhere: no separate debug files, no
// debuginfod (which would reach the network).
int findElfOfModule(Dwfl_Module*, void** userdata, const char*, Dwarf_Addr, char** fileName, Elf** elf)
{
    const auto* reported = static_cast<const ReportedModule*>(*userdata);
    if (reported == nullptr) return -1;
    std::shared_ptr<target::ElfImage> image;
    try {
        image = reported->modules->image(*reported->module);
    } catch (const std::exception&) {   // a C callback: nothing may escape
        return -1;
    }
    if (!image) return -1;
    const int fd = ::open(image->path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    *fileName = ::strdup(image->path().c_str());
    *elf = nullptr;   // libdwfl reads the file from fd
    return fd;
}
int findNoDebuginfo(Dwfl_Module*, void**, const char*, Dwarf_Addr, const char*, const char*, GElf_Word, char**)
{
    return -1;
}

const Dwfl_Callbacks kDwflCallbacks = {
    findElfOfModule,
    findNoDebuginfo,
    dwfl_offline_section_address,
    nullptr,
};

struct Walk {
    std::vector<NativeFrame> frames;
    std::vector<std::string> notes;
    std::size_t limit = 0;
};

}  // namespace

struct NativeUnwinder::Impl {
    Impl(target::Target& t, const target::ModuleIndex& m, const Limits& l) : target(t), modules(m), limits(l) {}
    ~Impl()
    {
        if (dwfl != nullptr) dwfl_end(dwfl);
    }

    target::Target& target;
    const target::ModuleIndex& modules;
    Limits limits;
    Dwfl* dwfl = nullptr;
    bool attempted = false;
    std::string setupError;        // why no session could be made, for every thread's note
    std::size_t nextThread = 0;    // cursor of the next_thread callback
    std::optional<std::uint64_t> failedRead;   // last unreadable address of the current walk
    std::vector<ReportedModule> reported;      // each reported module's libdwfl user data

    // --- libdwfl thread callbacks; they must not throw ---
    static pid_t nextThreadCallback(Dwfl*, void* arg, void** threadArg)
    {
        auto* self = static_cast<Impl*>(arg);
        const auto& threads = self->target.threads();
        while (self->nextThread < threads.size()) {
            const target::ThreadInfo& thread = threads[self->nextThread++];
            if (!thread.registers) continue;
            *threadArg = const_cast<target::ThreadInfo*>(&thread);
            return thread.tid;
        }
        return 0;
    }

    static bool getThreadCallback(Dwfl*, pid_t tid, void* arg, void** threadArg)
    {
        auto* self = static_cast<Impl*>(arg);
        for (const auto& thread : self->target.threads()) {
            if (thread.tid == tid && thread.registers) {
                *threadArg = const_cast<target::ThreadInfo*>(&thread);
                return true;
            }
        }
        return false;
    }

    static bool memoryReadCallback(Dwfl*, Dwarf_Addr address, Dwarf_Word* result, void* arg)
    {
        auto* self = static_cast<Impl*>(arg);
        if (self->target.read(address, result, sizeof *result) == sizeof *result) return true;
        self->failedRead = address;
        return false;
    }

    static bool setInitialRegistersCallback(Dwfl_Thread* thread, void* threadArg)
    {
        const auto* info = static_cast<const target::ThreadInfo*>(threadArg);
        if (!info->registers) return false;
        const auto regs = dwarfRegisters(*info->registers);
        return dwfl_thread_state_registers(thread, 0, kDwarfRegisterCount, regs.data());
    }

    static int frameCallback(Dwfl_Frame* state, void* arg)
    {
        auto& walk = *static_cast<Walk*>(arg);
        if (walk.frames.size() >= walk.limit) {
            walk.notes.push_back(fmt::format("native stack cut at {} frames (limit)", walk.limit));
            return DWARF_CB_ABORT;
        }
        NativeFrame frame;
        bool activation = false;
        if (!dwfl_frame_pc(state, &frame.pc, &activation)) return DWARF_CB_ABORT;
        frame.exact = activation;
        Dwarf_Word sp = 0;
        bool haveSp = dwfl_frame_reg(state, kDwarfStackPointer, &sp) == 0;
        frame.sp = haveSp ? sp : 0;
        if (haveSp && !walk.frames.empty() && walk.frames.back().sp != 0) {
            const NativeFrame& callee = walk.frames.back();
            // The stack grows down: a caller's frame lies above its callee's.
            // Anything else is a bad CFI rule or garbage on the stack, and
            // following it could loop; stop here instead.
            if (sp < callee.sp || (sp == callee.sp && frame.pc == callee.pc)) {
                walk.notes.push_back(fmt::format("native unwind stopped at pc {:#x}: stack pointer {:#x} does not "
                                                 "grow from {:#x}",
                                                 frame.pc, sp, callee.sp));
                return DWARF_CB_ABORT;
            }
        }
        walk.frames.push_back(std::move(frame));
        return DWARF_CB_OK;
    }

    static constexpr Dwfl_Thread_Callbacks kThreadCallbacks = {
        nextThreadCallback, getThreadCallback, memoryReadCallback, setInitialRegistersCallback, nullptr, nullptr,
    };

    bool setUp()
    {
        if (attempted) return dwfl != nullptr;
        attempted = true;
        dwfl = dwfl_begin(&kDwflCallbacks);
        if (dwfl == nullptr) {
            setupError = fmt::format("libdwfl: {}", dwfl_errmsg(-1));
            return false;
        }
        dwfl_report_begin(dwfl);
        // The user data points into `reported`: it must never reallocate.
        reported.reserve(modules.modules().size());
        for (const target::Module& module : modules.modules()) {
            Dwfl_Module* reportedModule = dwfl_report_module(dwfl, module.path.c_str(), module.start, module.end);
            if (reportedModule == nullptr) continue;
            reported.push_back({&modules, &module});
            void** userdata = nullptr;
            dwfl_module_info(reportedModule, &userdata, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr);
            if (userdata != nullptr) *userdata = &reported.back();
        }
        dwfl_report_end(dwfl, nullptr, nullptr);
        if (reported.empty()) {
            setupError = "no module mapped in the target to unwind through";
            dwfl_end(dwfl);
            dwfl = nullptr;
            return false;
        }
        const pid_t pid = target.process().pid.value_or(1);
        if (!dwfl_attach_state(dwfl, nullptr, pid, &kThreadCallbacks, this)) {
            setupError = fmt::format("libdwfl cannot unwind this target: {}", dwfl_errmsg(-1));
            dwfl_end(dwfl);
            dwfl = nullptr;
            return false;
        }
        return true;
    }

    void symbolize(std::vector<NativeFrame>& frames) const
    {
        // A return address may point just past the call, into the next
        // function (a noreturn call ends its function): look up pc-1.
        std::vector<std::uint64_t> lookups;
        lookups.reserve(frames.size());
        for (const NativeFrame& frame : frames)
            lookups.push_back(frame.exact || frame.pc == 0 ? frame.pc : frame.pc - 1);
        std::vector<std::optional<target::SymbolHit>> hits;
        try {
            hits = modules.symbolizeAll(lookups);
        } catch (const std::exception&) {
            return;   // an unreadable symbol table leaves the frames unnamed
        }
        for (std::size_t i = 0; i < frames.size(); ++i) {
            if (!hits[i]) continue;
            NativeFrame& frame = frames[i];
            frame.module = hits[i]->module->path;
            if (!hits[i]->name.empty()) {
                frame.function = std::move(hits[i]->name);
                frame.symbolOffset = hits[i]->offset + (frame.pc - lookups[i]);
            }
        }
    }
};

NativeUnwinder::NativeUnwinder(target::Target& target, const target::ModuleIndex& modules, const Limits& limits)
    : m_impl(std::make_unique<Impl>(target, modules, limits))
{
}

NativeUnwinder::~NativeUnwinder() = default;

NativeStack NativeUnwinder::unwind(const target::ThreadInfo& thread)
{
    NativeStack stack;
    if (!thread.registers) {
        stack.notes.push_back("no registers, native frames unavailable");
        return stack;
    }
    if (!m_impl->setUp()) {
        stack.notes.push_back("native frames unavailable: " + m_impl->setupError);
        return stack;
    }
    stack.available = true;
    Walk walk;
    walk.limit = m_impl->limits.maxNativeFrames;
    m_impl->failedRead.reset();
    int rc = dwfl_getthread_frames(m_impl->dwfl, thread.tid, Impl::frameCallback, &walk);
    if (rc == -1) {
        // libdwfl ends a complete stack (_start, clone) with 0; -1 is a real stop.
        walk.notes.push_back(fmt::format("native unwind stopped: {}", dwfl_errmsg(-1)));
    } else if (m_impl->failedRead) {
        // libdwfl also ends quietly where the stack cannot be read (a core
        // without those pages): say that outer frames are lost.
        walk.notes.push_back(fmt::format("native stack memory at {:#x} is missing from the target; outer native "
                                         "frames are lost",
                                         *m_impl->failedRead));
    }
    m_impl->symbolize(walk.frames);
    stack.frames = std::move(walk.frames);
    stack.notes = std::move(walk.notes);
    return stack;
}

}  // namespace pyautopsy::unwind
