/* Layouts CPython keeps in .c files rather than installed headers, restated
 * member for member so the compiler (not us) computes their offsets with the
 * probed version's PyObject_HEAD and ABI. Each names the CPython file that
 * defines the real struct; the generated table marks every value taken from
 * here as "mirror", and tests/unit/runtime/layouts checks them against numbers read
 * from the binaries' DWARF (docs/cpython-internals.md §6.7). */
#ifndef PYAUTOPSY_LAYOUTGEN_MIRRORS_H
#define PYAUTOPSY_LAYOUTGEN_MIRRORS_H

#if PY_VERSION_HEX < 0x030B0000
/* PyDictKeysObject, 3.8-3.10: Objects/dict-common.h (struct _dictkeysobject). */
struct pyautopsy_dictkeys_3_8 {
    Py_ssize_t dk_refcnt;
    Py_ssize_t dk_size;
    void *dk_lookup;            /* dict_lookup_func */
    Py_ssize_t dk_usable;
    Py_ssize_t dk_nentries;
    char dk_indices[];
};
#endif

#if PY_VERSION_HEX < 0x030A0000
/* PyModuleObject, 3.8-3.9: Objects/moduleobject.c (3.10+: pycore_moduleobject.h). */
struct pyautopsy_module_3_8 {
    PyObject_HEAD
    PyObject *md_dict;
    struct PyModuleDef *md_def;
    void *md_state;
    PyObject *md_weaklist;
    PyObject *md_name;
};

/* The atexit module's state, 3.8-3.9: Modules/atexitmodule.c
 * (atexit_callback and atexitmodule_state; 3.10+: struct atexit_state). */
struct pyautopsy_atexit_callback_3_8 {
    PyObject *func;
    PyObject *args;
    PyObject *kwargs;
};
struct pyautopsy_atexitmodule_state_3_8 {
    struct pyautopsy_atexit_callback_3_8 **atexit_callbacks;
    int ncallbacks;
    int callback_len;
};
#endif

/* functools.partial, 3.8+: Modules/_functoolsmodule.c (partialobject); its
 * first members have kept this order in every version. */
struct pyautopsy_partial {
    PyObject_HEAD
    PyObject *fn;
    PyObject *args;
    PyObject *kw;
};

/* asyncio's Task (FutureObj_HEAD(task) then the task members) and the
 * iterator Future.__await__ returns: Modules/_asynciomodule.c (TaskObj,
 * futureiterobject). Checked against the DWARF of each _asyncio build of the
 * test bed (tests/unit/runtime/layouts). fut_state is a C enum: int-sized. */
#if PY_VERSION_HEX < 0x03090000
struct pyautopsy_task {
    PyObject_HEAD
    PyObject *task_loop, *task_callback0, *task_context0, *task_callbacks;
    PyObject *task_exception, *task_result, *task_source_tb;
    int task_state, task_log_tb, task_blocking;
    PyObject *dict, *task_weakreflist;
    PyObject *task_fut_waiter, *task_coro, *task_name, *task_context;
    int task_must_cancel, task_log_destroy_pending;
};
#elif PY_VERSION_HEX < 0x030A0000
struct pyautopsy_task {   /* 3.9: + cancel_msg, cancelled_exc_state */
    PyObject_HEAD
    PyObject *task_loop, *task_callback0, *task_context0, *task_callbacks;
    PyObject *task_exception, *task_result, *task_source_tb, *task_cancel_msg;
    int task_state, task_log_tb, task_blocking;
    PyObject *dict, *task_weakreflist;
    _PyErr_StackItem task_cancelled_exc_state;
    PyObject *task_fut_waiter, *task_coro, *task_name, *task_context;
    int task_must_cancel, task_log_destroy_pending;
};
#elif PY_VERSION_HEX < 0x030B0000
struct pyautopsy_task {   /* 3.10: + exception_tb */
    PyObject_HEAD
    PyObject *task_loop, *task_callback0, *task_context0, *task_callbacks;
    PyObject *task_exception, *task_exception_tb, *task_result, *task_source_tb, *task_cancel_msg;
    int task_state, task_log_tb, task_blocking;
    PyObject *dict, *task_weakreflist;
    _PyErr_StackItem task_cancelled_exc_state;
    PyObject *task_fut_waiter, *task_coro, *task_name, *task_context;
    int task_must_cancel, task_log_destroy_pending;
};
#elif PY_VERSION_HEX < 0x030D0000
struct pyautopsy_task {   /* 3.11-3.12: cancelled_exc object, num_cancels_requested */
    PyObject_HEAD
    PyObject *task_loop, *task_callback0, *task_context0, *task_callbacks;
    PyObject *task_exception, *task_exception_tb, *task_result, *task_source_tb, *task_cancel_msg;
    int task_state, task_log_tb, task_blocking;
    PyObject *dict, *task_weakreflist, *task_cancelled_exc;
    PyObject *task_fut_waiter, *task_coro, *task_name, *task_context;
    int task_must_cancel, task_log_destroy_pending, task_num_cancels_requested;
};
#elif PY_VERSION_HEX < 0x030E0000
struct pyautopsy_task {   /* 3.13: managed dict and weakrefs, flags as bit-fields */
    PyObject_HEAD
    PyObject *task_loop, *task_callback0, *task_context0, *task_callbacks;
    PyObject *task_exception, *task_exception_tb, *task_result, *task_source_tb, *task_cancel_msg;
    PyObject *task_cancelled_exc;
    int task_state;
    unsigned task_log_tb : 1, task_blocking : 1, task_must_cancel : 1, task_log_destroy_pending : 1;
    int task_num_cancels_requested;
    PyObject *task_fut_waiter, *task_coro, *task_name, *task_context;
};
#else
struct pyautopsy_task {   /* 3.14+: awaited_by, and the node of the per-thread task list */
    PyObject_HEAD
    PyObject *task_loop, *task_callback0, *task_context0, *task_callbacks;
    PyObject *task_exception, *task_exception_tb, *task_result, *task_source_tb, *task_cancel_msg;
    PyObject *task_cancelled_exc, *task_awaited_by;
    int task_state;
    char task_is_task, task_awaited_by_is_set;
    unsigned task_log_tb : 1, task_blocking : 1, task_must_cancel : 1, task_log_destroy_pending : 1;
    int task_num_cancels_requested;
    PyObject *task_fut_waiter, *task_coro, *task_name, *task_context;
    struct { void *next, *prev; } task_node;
};
#endif

struct pyautopsy_futureiter {
    PyObject_HEAD
    PyObject *future;
};

/* _thread.lock and _thread.RLock: Modules/_threadmodule.c (lockobject,
 * rlockobject). Up to 3.13.0 a lock is a PyThread lock plus a `locked` flag;
 * later 3.13.x releases and 3.14+ keep just a PyMutex (seen in 3.13.18's
 * DWARF), so 3.13 headers get both shapes and the reader goes by tp_basicsize.
 * rlockobject records its owner's thread ident: in its own field up to 3.13
 * (PyThread_ident_t in 3.13, unsigned long before: both 8 bytes here), inside
 * a _PyRecursiveMutex (internal/pycore_lock.h) from 3.14. */
#if PY_VERSION_HEX < 0x030E0000
struct pyautopsy_lock_3_8 {
    PyObject_HEAD
    PyThread_type_lock lock_lock;
    PyObject *in_weakreflist;
    char locked;
};
struct pyautopsy_rlock_3_8 {
    PyObject_HEAD
    PyThread_type_lock rlock_lock;
    unsigned long rlock_owner;
    unsigned long rlock_count;
    PyObject *in_weakreflist;
};
#endif
#if PY_VERSION_HEX >= 0x030D0000
struct pyautopsy_lock_3_13 {
    PyObject_HEAD
    PyMutex lock;
};
#endif
#if PY_VERSION_HEX >= 0x030E0000
struct pyautopsy_rlock_3_14 {
    PyObject_HEAD
    _PyRecursiveMutex lock;
};
#endif

/* range, 3.8+: Objects/rangeobject.c (rangeobject): PyLong start, stop, step
 * and length, unchanged since 3.2. */
struct pyautopsy_range {
    PyObject_HEAD
    PyObject *start;
    PyObject *stop;
    PyObject *step;
    PyObject *length;
};

/* method-wrapper, 3.8+: Objects/descrobject.c (wrapperobject), a slot
 * wrapper bound to its instance. */
struct pyautopsy_methodwrapper {
    PyObject_HEAD
    PyWrapperDescrObject *descr;
    PyObject *self;
};

/* collections.defaultdict, 3.8+: Modules/_collectionsmodule.c (defdictobject). */
struct pyautopsy_defaultdict {
    PyDictObject dict;
    PyObject *default_factory;
};

/* collections.deque, 3.8+: Modules/_collectionsmodule.c (dequeobject and its
 * block). Only the members up to maxlen are restated: those have kept this
 * order in every version (later ones, the free blocks, moved in 3.11); a
 * block holds BLOCKLEN (64) items in every version. */
struct pyautopsy_deque_block {
    struct pyautopsy_deque_block *leftlink;
    PyObject *data[64];
    struct pyautopsy_deque_block *rightlink;
};
struct pyautopsy_deque {
    PyObject_VAR_HEAD
    struct pyautopsy_deque_block *leftblock;
    struct pyautopsy_deque_block *rightblock;
    Py_ssize_t leftindex;
    Py_ssize_t rightindex;
    size_t state;
    Py_ssize_t maxlen;
};

/* collections.OrderedDict, 3.8+: Objects/odictobject.c (struct _odictobject,
 * struct _odictnode): a dict, then the linked list that keeps the order. */
struct pyautopsy_odictnode {
    PyObject *key;
    Py_hash_t hash;
    struct pyautopsy_odictnode *next;
    struct pyautopsy_odictnode *prev;
};
struct pyautopsy_odict {
    PyDictObject od_dict;
    struct pyautopsy_odictnode *od_first;
    struct pyautopsy_odictnode *od_last;
};

#endif
