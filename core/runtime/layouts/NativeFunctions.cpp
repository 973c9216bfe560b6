#include "runtime/layouts/NativeFunctions.h"

#include <array>
#include <utility>

namespace pyautopsy::runtime {
namespace {

using snapshot::NativeRole;

constexpr std::pair<std::string_view, NativeRole> kFunctions[] = {
    {"_PyEval_EvalFrameDefault", NativeRole::EvalLoop},
    // The GIL: take_gil/drop_gil are static; their exported callers keep the
    // answer right on stripped interpreters.
    {"take_gil", NativeRole::GilWait},
    {"drop_gil", NativeRole::GilWait},
    {"PyEval_RestoreThread", NativeRole::GilWait},
    {"PyEval_AcquireThread", NativeRole::GilWait},
    {"PyEval_AcquireLock", NativeRole::GilWait},
    {"_PyEval_AcquireLock", NativeRole::GilWait},
    {"_PyThreadState_Attach", NativeRole::GilWait},
    {"PyGILState_Ensure", NativeRole::GilWait},
    // Lock acquires, from _thread's lock objects down to glibc's semaphores.
    {"PyThread_acquire_lock_timed", NativeRole::LockWait},
    {"acquire_timed", NativeRole::LockWait},
    {"lock_PyThread_acquire_lock", NativeRole::LockWait},
    {"rlock_acquire", NativeRole::LockWait},
    {"_PySemaphore_Wait", NativeRole::LockWait},
    {"_PyMutex_LockTimed", NativeRole::LockWait},
    {"PyMUTEX_LOCK", NativeRole::LockWait},
    {"_PyMutex_LockSlow", NativeRole::LockWait},
    {"_PyParkingLot_Park", NativeRole::LockWait},
    {"sem_clockwait", NativeRole::LockWait},
    {"sem_timedwait", NativeRole::LockWait},
    {"sem_wait", NativeRole::LockWait},
    {"__new_sem_wait_slow64", NativeRole::LockWait},
    {"do_futex_wait", NativeRole::LockWait},
    // The collector: 3.8-3.12 collect(), 3.13+ gc_collect_main and the
    // incremental collector's entry points.
    {"collect", NativeRole::GcCollect},
    {"collect_with_callback", NativeRole::GcCollect},
    {"collect_generations", NativeRole::GcCollect},
    {"gc_collect_main", NativeRole::GcCollect},
    {"gc_collect_full", NativeRole::GcCollect},
    {"gc_collect_region", NativeRole::GcCollect},
    {"gc_collect_young", NativeRole::GcCollect},
    {"gc_collect_increment", NativeRole::GcCollect},
    {"gc_collect_with_callback", NativeRole::GcCollect},
    {"_PyGC_Collect", NativeRole::GcCollect},
    {"_PyGC_CollectNoFail", NativeRole::GcCollect},
    {"_PyGC_CollectIfEnabled", NativeRole::GcCollect},
    {"PyGC_Collect", NativeRole::GcCollect},
    {"subtract_refs", NativeRole::GcStep},
    {"update_refs", NativeRole::GcStep},
    {"move_unreachable", NativeRole::GcStep},
    {"finalize_garbage", NativeRole::GcStep},
    {"delete_garbage", NativeRole::GcStep},
    {"handle_weakrefs", NativeRole::GcStep},
    // Finalization (Py_FinalizeEx's steps, docs/cpython-internals.md §13).
    {"Py_FinalizeEx", NativeRole::Finalize},
    {"_Py_Finalize", NativeRole::Finalize},
    {"Py_Finalize", NativeRole::Finalize},
    {"Py_Exit", NativeRole::Finalize},
    {"finalize_modules", NativeRole::ModuleTeardown},
    {"finalize_modules_clear_weaklist", NativeRole::ModuleTeardown},
    {"finalize_clear_modules_dict", NativeRole::ModuleTeardown},
    {"_PyImport_Cleanup", NativeRole::ModuleTeardown},
    {"PyImport_Cleanup", NativeRole::ModuleTeardown},
    {"_PyAtExit_Call", NativeRole::AtexitCall},
    {"call_py_exitfuncs", NativeRole::AtexitCall},
    {"atexit_callfuncs", NativeRole::AtexitCall},
    {"wait_for_thread_shutdown", NativeRole::ThreadShutdown},
    // Fatal errors. fatal_error_exit has no role of its own: it only ever
    // runs under fatal_error, which names the path.
    {"Py_FatalError", NativeRole::FatalError},
    {"_Py_FatalErrorFunc", NativeRole::FatalError},
    {"_Py_FatalErrorFormat", NativeRole::FatalError},
    {"fatal_error", NativeRole::FatalError},
    {"_PyObject_AssertFailed", NativeRole::FatalError},
    {"_PyErr_FatalError", NativeRole::FatalError},
    {"_Py_FatalRefcountErrorFunc", NativeRole::RefcountFatal},
    {"_Py_NegativeRefcount", NativeRole::NegativeRefcount},
    {"none_dealloc", NativeRole::NoneDealloc},
    {"bool_dealloc", NativeRole::BoolDealloc},
    {"long_dealloc", NativeRole::IntDealloc},
};

}  // namespace

snapshot::NativeRole nativeRoleOf(std::string_view symbol)
{
    const std::string_view base = snapshot::baseSymbol(symbol);
    for (const auto& [name, role] : kFunctions)
        if (base == name) return role;
    // Every type's tp_traverse and the collector's visit_* callbacks.
    if (base.find("traverse") != std::string_view::npos || base.substr(0, 6) == "visit_") return NativeRole::GcStep;
    return NativeRole::None;
}

}  // namespace pyautopsy::runtime
