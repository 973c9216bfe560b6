// Layout: where CPython keeps each field we read, for one interpreter build.
//
// A Layout is pure data: byte offsets inside CPython's structs (and a few
// sizes). It is filled from exactly one source per fact: the generated tables
// (layouts/generated/, compiled from each version's real headers by
// tools/layoutgen) and, on 3.13+, the target's own _Py_DebugOffsets, which
// override the tables after validation. Nothing outside core/runtime/layouts
// writes a number into a Layout.
//
// kAbsent marks a field the version does not have. Code asks Layout::has()
// (or a Capabilities flag) instead of comparing version numbers.
#pragma once

#include <cstdint>

namespace pyautopsy::runtime {

using Offset = std::int32_t;
inline constexpr Offset kAbsent = -1;

constexpr bool has(Offset offset) { return offset != kAbsent; }

struct RuntimeStateLayout {          // struct pyruntimestate (_PyRuntime)
    Offset size = kAbsent;
    Offset initialized = kAbsent;
    Offset core_initialized = kAbsent;
    Offset finalizing = kAbsent;        // PyThreadState* (3.8 `finalizing`, later `_finalizing`)
    Offset finalizing_id = kAbsent;     // thread ident (3.12+)
    Offset interpreters_head = kAbsent;
    Offset interpreters_main = kAbsent;
    Offset main_thread = kAbsent;       // pthread_t of the main thread
    Offset gilstate_tstate_current = kAbsent; // <= 3.11: tstate holding the GIL
    Offset ceval_gil = kAbsent;         // <= 3.11: struct _gil_runtime_state inside the runtime
    // 3.8: int ceval.gil_drop_request, set by a thread that waited a switch
    // interval for the GIL in vain: the holder is asked to drop it.
    Offset gil_drop_request = kAbsent;
    Offset gc = kAbsent;                // 3.8: struct _gc_runtime_state inside the runtime
    Offset recursion_limit = kAbsent;   // 3.8: int ceval.recursion_limit (sys.getrecursionlimit())
    Offset exitfuncs = kAbsent;         // Py_AtExit C functions (array or struct)
    Offset nexitfuncs = kAbsent;
    // 3.11+: statically allocated singletons inside _PyRuntime (_Py_SINGLETON)
    Offset small_ints = kAbsent;        // PyLongObject[_PY_NSMALLNEGINTS + _PY_NSMALLPOSINTS], -5 first
    Offset tuple_empty = kAbsent;       // PyTupleObject ()
    Offset str_empty = kAbsent;         // the "" literal (_Py_STR(empty))
};

struct InterpreterStateLayout {      // PyInterpreterState
    Offset size = kAbsent;
    Offset next = kAbsent;
    Offset id = kAbsent;
    Offset threads_head = kAbsent;
    Offset threads_main = kAbsent;
    Offset finalizing = kAbsent;        // int
    Offset _finalizing = kAbsent;       // PyThreadState* (3.12+)
    Offset _finalizing_id = kAbsent;
    Offset modules = kAbsent;           // sys.modules dict
    Offset sysdict = kAbsent;
    Offset builtins = kAbsent;
    Offset ceval_gil = kAbsent;         // 3.12+: pointer to struct _gil_runtime_state
    Offset recursion_limit = kAbsent;   // 3.9+: int ceval.recursion_limit (sys.getrecursionlimit())
    Offset gil_drop_request = kAbsent;  // 3.9-3.12: int ceval.gil_drop_request (3.8: in the runtime)
    Offset _gil = kAbsent;              // 3.12+: the interpreter's own GIL struct
    Offset gc = kAbsent;                // struct _gc_runtime_state (3.9+)
    Offset atexit = kAbsent;            // struct atexit_state (3.10+)
    Offset pyexitmodule = kAbsent;      // <= 3.9: the atexit module object
    Offset _initial_thread = kAbsent;
    Offset small_ints = kAbsent;        // 3.9-3.10: PyLongObject* [_PY_NSMALLNEGINTS + _PY_NSMALLPOSINTS]
    Offset tuple_free_list = kAbsent;   // 3.10: PyTupleObject* free_list[]; [0] is ()
    Offset str_empty = kAbsent;         // 3.10: PyObject* unicode.empty_string
    Offset monitoring_tool_names = kAbsent;  // 3.12+: PyObject* [PY_MONITORING_TOOL_IDS]
    Offset monitoring_tool_count = kAbsent;  // 3.12+: PY_MONITORING_TOOL_IDS (a count, not an offset)
};

struct GilLayout {                   // struct _gil_runtime_state
    Offset last_holder = kAbsent;
    Offset locked = kAbsent;
    Offset switch_number = kAbsent;
};

struct ThreadStateLayout {           // struct _ts
    Offset size = kAbsent;
    Offset prev = kAbsent;
    Offset next = kAbsent;
    Offset interp = kAbsent;
    Offset frame = kAbsent;             // <= 3.10: PyFrameObject*
    Offset cframe = kAbsent;            // 3.10-3.12: _PyCFrame*
    Offset current_frame = kAbsent;     // 3.13+: _PyInterpreterFrame*
    Offset base_frame = kAbsent;        // 3.15
    Offset status = kAbsent;            // 3.12+ bitfield word
    Offset holds_gil = kAbsent;         // 3.14+
    // 3.13+: uintptr_t eval_breaker; a GIL waiter that timed out sets the
    // holder's _PY_GIL_DROP_REQUEST_BIT (a constant, not an offset).
    Offset eval_breaker = kAbsent;
    Offset eval_breaker_gil_drop_request_bit = kAbsent;
    Offset state = kAbsent;             // 3.13+: int, attached/detached/...
    // 3.13+: the values of tstate->state (_Py_THREAD_*), constants, not offsets
    Offset state_detached = kAbsent;
    Offset state_attached = kAbsent;
    Offset state_suspended = kAbsent;
    Offset state_shutting_down = kAbsent;       // 3.14+
    Offset state_suspended_waiting = kAbsent;   // 3.15+
    Offset state_detached_waiting = kAbsent;    // 3.15+
    Offset recursion_depth = kAbsent;   // <= 3.10 (int); 3.11 recursion_remaining
    Offset recursion_remaining = kAbsent;   // 3.11 (int), 3.12+ py_recursion_remaining
    Offset recursion_limit = kAbsent;       // 3.11 (int), 3.12+ py_recursion_limit
    Offset c_recursion_remaining = kAbsent; // 3.12+
    Offset c_profilefunc = kAbsent;
    Offset c_tracefunc = kAbsent;
    Offset c_profileobj = kAbsent;
    Offset c_traceobj = kAbsent;
    Offset curexc_type = kAbsent;       // <= 3.11
    Offset current_exception = kAbsent; // 3.12+
    Offset exc_info = kAbsent;
    Offset dict = kAbsent;
    Offset thread_id = kAbsent;
    Offset native_thread_id = kAbsent;  // 3.11+
    Offset id = kAbsent;
    Offset datastack_chunk = kAbsent;
};

struct CFrameLayout {                // _PyCFrame (3.10-3.12)
    Offset use_tracing = kAbsent;
    Offset current_frame = kAbsent;
    Offset previous = kAbsent;
};

struct FrameObjectLayout {           // PyFrameObject (struct _frame)
    Offset size = kAbsent;
    Offset f_back = kAbsent;
    Offset f_code = kAbsent;            // <= 3.10
    Offset f_frame = kAbsent;           // 3.11+: _PyInterpreterFrame*
    Offset f_builtins = kAbsent;        // <= 3.10
    Offset f_globals = kAbsent;         // <= 3.10
    Offset f_locals = kAbsent;          // <= 3.10
    Offset f_valuestack = kAbsent;      // <= 3.9
    Offset f_stacktop = kAbsent;        // <= 3.9
    Offset f_stackdepth = kAbsent;      // 3.10
    Offset f_trace = kAbsent;
    Offset f_gen = kAbsent;             // <= 3.10
    Offset f_lasti = kAbsent;           // <= 3.10
    Offset f_lineno = kAbsent;
    Offset f_localsplus = kAbsent;      // <= 3.10
    Offset f_iblock = kAbsent;          // <= 3.10: int, blocks in use
    Offset f_blockstack = kAbsent;      // <= 3.10: PyTryBlock[CO_MAXBLOCKS]
    Offset blockstack_capacity = kAbsent;   // <= 3.10: CO_MAXBLOCKS (a count, not an offset)
    Offset tryblock_size = kAbsent;     // <= 3.10: sizeof(PyTryBlock)
    Offset tryblock_level = kAbsent;    // <= 3.10: PyTryBlock.b_level, the value-stack depth at setup
};

struct InterpreterFrameLayout {      // _PyInterpreterFrame (3.11+)
    Offset size = kAbsent;
    Offset f_func = kAbsent;            // 3.11
    Offset f_code = kAbsent;            // 3.11-3.12 f_code, 3.13+ f_executable
    Offset previous = kAbsent;
    Offset f_funcobj = kAbsent;         // 3.12+
    Offset f_globals = kAbsent;
    Offset f_builtins = kAbsent;
    Offset f_locals = kAbsent;
    Offset frame_obj = kAbsent;
    Offset instr_ptr = kAbsent;         // 3.11-3.12 prev_instr, 3.13+ instr_ptr
    Offset stacktop = kAbsent;          // int (<= 3.13) or stackpointer (3.14+)
    Offset return_offset = kAbsent;
    Offset is_entry = kAbsent;          // 3.11
    Offset owner = kAbsent;
    Offset localsplus = kAbsent;
};

struct CodeObjectLayout {            // PyCodeObject
    Offset size = kAbsent;
    Offset co_argcount = kAbsent;
    Offset co_posonlyargcount = kAbsent;
    Offset co_kwonlyargcount = kAbsent;
    Offset co_nlocals = kAbsent;
    Offset co_stacksize = kAbsent;      // int: value-stack slots the frame has
    Offset co_flags = kAbsent;
    Offset co_firstlineno = kAbsent;
    Offset co_code = kAbsent;           // <= 3.10 bytes object
    Offset co_consts = kAbsent;
    Offset co_names = kAbsent;
    Offset co_varnames = kAbsent;       // <= 3.10
    Offset co_freevars = kAbsent;       // <= 3.10
    Offset co_cellvars = kAbsent;       // <= 3.10
    Offset co_localsplusnames = kAbsent;  // 3.11+
    Offset co_localspluskinds = kAbsent;  // 3.11+
    Offset co_nlocalsplus = kAbsent;      // 3.11+
    Offset co_filename = kAbsent;
    Offset co_name = kAbsent;
    Offset co_qualname = kAbsent;       // 3.11+
    Offset co_linetable = kAbsent;      // 3.8-3.9 co_lnotab, 3.10+ co_linetable
    Offset co_exceptiontable = kAbsent; // 3.11+ bytes: handler ranges with their stack depths
    Offset co_firsttraceable = kAbsent; // 3.11+
    Offset co_code_adaptive = kAbsent;  // 3.11+
};

struct GenObjectLayout {             // PyGenObject (and coroutines, async generators)
    Offset gi_frame = kAbsent;          // <= 3.10
    Offset gi_code = kAbsent;           // <= 3.11
    Offset gi_name = kAbsent;
    Offset gi_qualname = kAbsent;
    Offset gi_frame_state = kAbsent;    // 3.11+ (int8)
    Offset gi_iframe = kAbsent;         // 3.11+ (embedded _PyInterpreterFrame)
};

struct TypeObjectLayout {            // PyTypeObject / PyHeapTypeObject
    Offset tp_name = kAbsent;
    Offset tp_basicsize = kAbsent;
    Offset tp_repr = kAbsent;           // compared with the builtin base's: is repr inherited?
    Offset tp_itemsize = kAbsent;
    Offset tp_flags = kAbsent;
    Offset tp_base = kAbsent;
    Offset tp_dict = kAbsent;
    Offset tp_dictoffset = kAbsent;
    Offset tp_mro = kAbsent;
    Offset ht_cached_keys = kAbsent;
    Offset ht_module = kAbsent;
    Offset ht_qualname = kAbsent;       // heap types' __qualname__ (str)
};

struct ObjectLayouts {               // the builtin object types we decode
    Offset ob_refcnt = kAbsent;
    Offset ob_type = kAbsent;
    Offset ob_size = kAbsent;
    Offset ob_flags = kAbsent;              // 3.14+: u16 flags in the top of the refcount word
    // str
    Offset unicode_length = kAbsent;
    Offset unicode_hash = kAbsent;
    Offset unicode_state = kAbsent;
    Offset unicode_ascii_size = kAbsent;    // sizeof(PyASCIIObject): compact ASCII data
    Offset unicode_compact_size = kAbsent;  // sizeof(PyCompactUnicodeObject)
    Offset unicode_wstr = kAbsent;          // <= 3.11
    Offset unicode_wstr_length = kAbsent;   // <= 3.11
    Offset unicode_data_any = kAbsent;      // non-compact data pointer
    // int
    Offset long_size = kAbsent;             // ob_size (<= 3.11) or lv_tag (3.12+)
    Offset long_digits = kAbsent;
    Offset long_struct_size = kAbsent;      // sizeof(PyLongObject): stride of a small-int array
    // float, complex
    Offset float_value = kAbsent;
    Offset complex_value = kAbsent;
    // bytes
    Offset bytes_size = kAbsent;
    Offset bytes_sval = kAbsent;
    // tuple, list
    Offset tuple_size = kAbsent;
    Offset tuple_items = kAbsent;
    Offset list_size = kAbsent;
    Offset list_items = kAbsent;
    // dict
    Offset dict_used = kAbsent;
    Offset dict_keys = kAbsent;
    Offset dict_values = kAbsent;
    Offset dictkeys_size = kAbsent;         // <= 3.10 dk_size; 3.11+ dk_log2_size (u8)
    Offset dictkeys_log2_index_bytes = kAbsent;  // 3.11+
    Offset dictkeys_kind = kAbsent;         // 3.11+
    Offset dictkeys_nentries = kAbsent;
    Offset dictkeys_indices = kAbsent;
    Offset dictvalues_values = kAbsent;     // 3.13+: values[] inside struct _dictvalues
    // set
    Offset set_fill = kAbsent;
    Offset set_used = kAbsent;
    Offset set_mask = kAbsent;
    Offset set_table = kAbsent;
    // module, cell, function
    Offset module_dict = kAbsent;
    Offset module_state = kAbsent;
    Offset cell_ref = kAbsent;
    Offset func_code = kAbsent;
    Offset func_qualname = kAbsent;
    Offset func_module = kAbsent;
    Offset method_func = kAbsent;           // PyMethodObject.im_func (bound method)
    Offset method_self = kAbsent;
    Offset cfunction_ml = kAbsent;          // PyCFunctionObject.m_ml (PyMethodDef*)
    Offset cfunction_self = kAbsent;
    Offset cfunction_module = kAbsent;
    Offset methoddef_name = kAbsent;        // PyMethodDef.ml_name
    Offset descr_name = kAbsent;            // PyDescrObject.d_name (method descriptors: the str name)
    Offset managed_dict = kAbsent;          // 3.11+: the managed dict word, before the object (negative)
    Offset managed_values = kAbsent;        // 3.11: the values pointer, before that (negative)
    Offset partial_fn = kAbsent;            // functools.partial: fn, args, kw
    Offset partial_args = kAbsent;
    Offset partial_kw = kAbsent;
    // objects whose repr() is C code we restate (runtime/repr/ObjectRepr.h)
    Offset exception_args = kAbsent;        // PyBaseExceptionObject.args (tuple)
    Offset importerror_name = kAbsent;      // PyImportErrorObject: name and path (3.15 shows them)
    Offset importerror_path = kAbsent;
    Offset slice_start = kAbsent;           // PySliceObject
    Offset slice_stop = kAbsent;
    Offset slice_step = kAbsent;
    Offset range_start = kAbsent;           // rangeobject: PyLong start, stop, step
    Offset range_stop = kAbsent;
    Offset range_step = kAbsent;
    Offset methodwrapper_descr = kAbsent;   // wrapperobject: the slot wrapper, and the instance
    Offset methodwrapper_self = kAbsent;
    Offset wrapperdescr_base = kAbsent;     // PyWrapperDescrObject.d_base (struct wrapperbase*)
    Offset wrapperbase_name = kAbsent;      // struct wrapperbase.name (char*)
    Offset defaultdict_factory = kAbsent;   // collections.defaultdict's default_factory
    Offset odict_first = kAbsent;           // collections.OrderedDict: first node of its order
    Offset odictnode_key = kAbsent;
    Offset odictnode_next = kAbsent;
    Offset deque_leftblock = kAbsent;       // collections.deque: the first block and index in it
    Offset deque_leftindex = kAbsent;
    Offset deque_maxlen = kAbsent;          // -1: unbounded
    Offset dequeblock_data = kAbsent;       // a block's item array
    Offset dequeblock_rightlink = kAbsent;  // the next block
    Offset dequeblock_length = kAbsent;     // BLOCKLEN, items per block (a count, not an offset)
};

struct ThreadLockLayout {            // _thread.lock / _thread.RLock objects (Modules/_threadmodule.c)
    // _thread.lock came in two shapes inside 3.13.x (3.13.0: a PyThread lock
    // and a `locked` flag; later 3.13.x and 3.14+: a PyMutex); the type's
    // tp_basicsize says which one a target has.
    Offset lock_size = kAbsent;         // sizeof the PyThread-lock shape (<= 3.13)
    Offset lock_locked = kAbsent;       // its char `locked`
    Offset mutex_lock_size = kAbsent;   // sizeof the PyMutex shape (3.13+)
    Offset mutex_lock_bits = kAbsent;   // its PyMutex byte: bit 0 locked, bit 1 threads parked on it
    Offset rlock_size = kAbsent;        // sizeof(rlockobject)
    Offset rlock_owner = kAbsent;       // thread ident of the owner (threading.get_ident()), 0 when free
};

struct GcLayout {                    // struct _gc_runtime_state
    Offset size = kAbsent;
    Offset enabled = kAbsent;
    Offset debug = kAbsent;
    Offset generations = kAbsent;       // struct gc_generation[3]
    Offset generation_size = kAbsent;   // sizeof(struct gc_generation)
    Offset generation_threshold = kAbsent;
    Offset generation_count = kAbsent;
    Offset generation_head = kAbsent;   // PyGC_Head of the generation's list of tracked objects
    Offset head_size = kAbsent;         // sizeof(PyGC_Head): a tracked object follows its header
    Offset head_next = kAbsent;         // _gc_next: next header; low bits are flags in some states
    Offset young = kAbsent;             // 3.14.0 incremental GC
    Offset old = kAbsent;
    Offset permanent_generation = kAbsent;
    Offset collecting = kAbsent;
    Offset frame = kAbsent;             // 3.15
    Offset garbage = kAbsent;
    Offset callbacks = kAbsent;
};

struct AtexitLayout {                // struct atexit_state (3.10+) / module state (<= 3.9)
    Offset callbacks = kAbsent;         // atexit_callback** (<= 3.13) or list (3.14+)
    Offset ncallbacks = kAbsent;
    Offset callback_len = kAbsent;
    Offset callback_func = kAbsent;     // inside one atexit_callback
    Offset callback_args = kAbsent;
    Offset callback_kwargs = kAbsent;
};

struct AsyncioLayout {                // asyncio's C Task (Modules/_asynciomodule.c) and its lists
    Offset task_size = kAbsent;
    Offset future_loop = kAbsent;       // FutureObj_HEAD: fut_loop / task_loop
    Offset future_state = kAbsent;      // fut_state enum (int): pending, cancelled, finished
    Offset task_fut_waiter = kAbsent;   // the future the task waits for
    Offset task_coro = kAbsent;
    Offset task_name = kAbsent;         // str, or (3.13+) an int N meaning "Task-N"
    Offset task_node = kAbsent;         // 3.14+: struct llist_node in the thread's task list
    Offset futureiter_future = kAbsent; // what Future.__await__'s iterator iterates
    Offset thread_running_loop = kAbsent;   // 3.13+: _PyThreadStateImpl.asyncio_running_loop
    Offset thread_running_task = kAbsent;   // 3.14+
    Offset thread_tasks_head = kAbsent;     // 3.14+: llist_node head of the thread's tasks
    Offset interpreter_tasks_head = kAbsent;// 3.14+: tasks of threads that have exited
    Offset weakref_object = kAbsent;    // PyWeakReference.wr_object (WeakSet members)
};

struct BytecodeLayout {              // opcode numbers (values, not offsets)
    Offset yield_from = kAbsent;        // <= 3.10: a suspended `await` re-executes YIELD_FROM
    Offset resume = kAbsent;            // 3.11+: RESUME oparg >= 2 follows a yield-from/await
    Offset resume_quick = kAbsent;      // 3.11
    Offset resume_check = kAbsent;      // 3.13+
    Offset resume_check_jit = kAbsent;  // 3.15
    Offset instrumented_resume = kAbsent;   // 3.12+
    Offset extended_arg = kAbsent;
    // 3.14+: the call instructions, by the shape of the stack they call with
    // (runtime/threads/CallsInProgress.h). Specialized forms are numbered
    // alphabetically from 3.13, so each family is a range of opcodes.
    Offset call = kAbsent;                  // callable, self or NULL, N args
    Offset instrumented_call = kAbsent;
    Offset call_specialized_first = kAbsent;    // CALL_ALLOC_AND_ENTER_INIT .. CALL_TYPE_1,
    Offset call_specialized_last = kAbsent;     // holding the two ranges below
    Offset call_kw = kAbsent;               // the same and a tuple of keyword names
    Offset instrumented_call_kw = kAbsent;
    Offset call_kw_specialized_first = kAbsent;
    Offset call_kw_specialized_last = kAbsent;
    Offset call_function_ex = kAbsent;      // callable, NULL, args tuple, kwargs dict or NULL
    Offset instrumented_call_function_ex = kAbsent;
    Offset call_ex_specialized_first = kAbsent; // 3.15+
    Offset call_ex_specialized_last = kAbsent;
};

struct Layout {
    RuntimeStateLayout runtime;
    InterpreterStateLayout interpreter;
    GilLayout gil;
    ThreadStateLayout thread;
    CFrameLayout cframe;
    FrameObjectLayout frameObject;
    InterpreterFrameLayout interpreterFrame;
    CodeObjectLayout code;
    GenObjectLayout gen;
    TypeObjectLayout type;
    ObjectLayouts object;
    ThreadLockLayout lock;
    GcLayout gc;
    AtexitLayout atexit;
    AsyncioLayout asyncio;
    BytecodeLayout bytecode;
};

}  // namespace pyautopsy::runtime
