/* pyautopsy_capi.h: the engine behind a C ABI, for front ends that cannot link C++.
 *
 * A debugger that holds a process (GDB through ctypes, for instance) hands the
 * engine four callbacks: read memory, list mappings, list threads with their
 * registers, describe the process. pyautopsy_analyze() walks CPython once
 * through them and returns an opaque report, which the caller then asks for
 * JSON (docs/json-schema.md) or for the same text the CLI prints, whole, per
 * thread or per frame. The engine never writes to the target.
 *
 * Versioning: PYAUTOPSY_CAPI_VERSION grows when functions or struct fields are
 * added (only ever at the end); a caller checks pyautopsy_capi_version() >= the
 * version it was written for. Structs passed in carry their own size in their
 * first field so that an older caller's shorter struct stays valid.
 *
 * Ownership: every char* returned through an out-parameter is the caller's and
 * is released with pyautopsy_string_free(); a report with pyautopsy_report_free().
 * Strings the caller passes in (paths, names) are copied before the callback
 * that received them returns.
 *
 * Errors: every function returns a pyautopsy_status; on failure *error_out (when
 * given) receives a one-line message fit to show the user. No C++ exception ever
 * crosses this boundary.
 *
 * Threads: one analysis runs entirely on the calling thread, and callbacks are
 * invoked only from inside pyautopsy_analyze(). Reports are immutable and may be
 * read from any thread.
 */
#ifndef PYAUTOPSY_CAPI_H
#define PYAUTOPSY_CAPI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PYAUTOPSY_CAPI_VERSION 4

#if defined(__GNUC__)
#define PYAUTOPSY_API __attribute__((visibility("default")))
#else
#define PYAUTOPSY_API
#endif

typedef enum pyautopsy_status {
    PYAUTOPSY_OK = 0,
    PYAUTOPSY_ERROR_USAGE = 1,        /* pyautopsy::ErrorKind::Usage */
    PYAUTOPSY_ERROR_BAD_INPUT = 2,    /* unreadable or inconsistent target */
    PYAUTOPSY_ERROR_NO_RUNTIME = 3,   /* no CPython runtime found in the target */
    PYAUTOPSY_ERROR_UNSUPPORTED = 4,  /* a CPython we recognise but cannot read */
    PYAUTOPSY_ERROR_SYSTEM = 5,       /* the OS refused */
    PYAUTOPSY_ERROR_INTERNAL = 6,     /* a bug in pyautopsy: please report it */
    PYAUTOPSY_ERROR_ARGUMENT = 7      /* a null pointer, an index out of range, a bad struct size */
} pyautopsy_status;

/* x86_64 general-purpose registers in the order of the kernel's user_regs_struct. */
typedef struct pyautopsy_registers {
    uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8, rax, rcx, rdx, rsi, rdi, orig_rax, rip, cs,
        eflags, rsp, ss, fs_base, gs_base, ds, es, fs, gs;
} pyautopsy_registers;

#define PYAUTOPSY_PERM_READ 4u
#define PYAUTOPSY_PERM_WRITE 2u
#define PYAUTOPSY_PERM_EXEC 1u

typedef struct pyautopsy_mapping {
    uint64_t start;        /* first address */
    uint64_t end;          /* one past the last address */
    uint64_t file_offset;  /* offset into `path` of `start` */
    const char* path;      /* NULL or "" for anonymous memory */
    uint32_t perms;        /* PYAUTOPSY_PERM_* bits */
} pyautopsy_mapping;

typedef struct pyautopsy_thread {
    int32_t tid;                     /* kernel thread id (LWP) */
    int32_t has_registers;           /* non-zero when `registers` is filled */
    pyautopsy_registers registers;   /* unknown registers may be 0 */
    const char* name;                /* NULL when unknown */
} pyautopsy_thread;

typedef struct pyautopsy_process {
    uint32_t size;                   /* sizeof(pyautopsy_process), set by the library */
    int32_t has_pid;
    int32_t pid;
    const char* executable;          /* NULL when unknown */
    const char* command;             /* NULL when unknown */
    const char* core_path;           /* the core file being read, NULL for a live process */
    int32_t has_signal;              /* the signal that stopped or killed the process */
    int32_t signal_number;
    int32_t signal_code;
    int32_t has_fault_address;
    uint64_t fault_address;
    int32_t has_sender_pid;
    int32_t sender_pid;
    int32_t has_crashed_tid;         /* the thread that received the signal */
    int32_t crashed_tid;
    int32_t has_auxv_entry;          /* AT_ENTRY: finds the main executable */
    uint64_t auxv_entry;
} pyautopsy_process;

typedef void (*pyautopsy_add_mapping_fn)(void* sink, const pyautopsy_mapping* mapping);
typedef void (*pyautopsy_add_thread_fn)(void* sink, const pyautopsy_thread* thread);

typedef struct pyautopsy_callbacks {
    uint32_t size;      /* sizeof(pyautopsy_callbacks) as the caller knows it */
    void* context;      /* passed back as the first argument of every callback */
    /* Copies up to `size` bytes at `address` into `out`; returns how many bytes
     * were copied from the start of the range (0 for unreadable memory). */
    size_t (*read_memory)(void* context, uint64_t address, void* out, size_t size);
    /* Calls add(sink, m) once per mapping, in any order; returns 0 on success. */
    int32_t (*list_mappings)(void* context, pyautopsy_add_mapping_fn add, void* sink);
    /* Calls add(sink, t) once per thread; returns 0 on success. */
    int32_t (*list_threads)(void* context, pyautopsy_add_thread_fn add, void* sink);
    /* Fills the fields it knows of a zeroed struct (strings are copied on
     * return, so they must live until then); returns 0 on success. May be NULL. */
    int32_t (*describe_process)(void* context, pyautopsy_process* out);
    /* The front end's name, shown as the target kind ("gdb"); NULL for "debugger". */
    const char* kind;
} pyautopsy_callbacks;

typedef struct pyautopsy_options {
    uint32_t size;      /* sizeof(pyautopsy_options) */
    int32_t locals;     /* read each Python frame's locals (engine option `locals`) */
    int32_t native;     /* interleave native frames (engine option `native`) */
    /* Added in version 3 (a caller's shorter struct gets 0): */
    int32_t namespaces; /* each Python frame's globals and builtins, for the name functions below */
} pyautopsy_options;

typedef struct pyautopsy_text_options {
    uint32_t size;              /* sizeof(pyautopsy_text_options) */
    int32_t color;              /* ANSI colours */
    int32_t most_recent_last;   /* non-zero: traceback order; zero: debugger order */
    /* Added in version 3 (a caller's shorter struct gets 0 for both): */
    int32_t source;             /* non-zero: the source line under each Python frame, as traceback */
    uint32_t first_frame;       /* thread texts start at this frame (index in the JSON "frames");
                                   the newer Python frames left out are counted in one line */
} pyautopsy_text_options;

typedef struct pyautopsy_report pyautopsy_report;

/* PYAUTOPSY_CAPI_VERSION of the loaded library. */
PYAUTOPSY_API uint32_t pyautopsy_capi_version(void);

/* Walks the target once. On success *report_out owns the result. */
PYAUTOPSY_API pyautopsy_status pyautopsy_analyze(const pyautopsy_callbacks* callbacks,
                                                 const pyautopsy_options* options, pyautopsy_report** report_out,
                                                 char** error_out);
PYAUTOPSY_API void pyautopsy_report_free(pyautopsy_report* report);
PYAUTOPSY_API void pyautopsy_string_free(char* text);

/* The whole report as JSON; indent < 0 gives one line. */
PYAUTOPSY_API pyautopsy_status pyautopsy_report_json(const pyautopsy_report* report, int32_t indent, char** out,
                                                     char** error_out);
/* The CLI's text: the whole report, the process header, one thread (header and
 * frames), one thread's header, one frame (threads and frames indexed as in the
 * JSON "threads" and "frames" arrays). */
PYAUTOPSY_API pyautopsy_status pyautopsy_report_text(const pyautopsy_report* report,
                                                     const pyautopsy_text_options* options, char** out,
                                                     char** error_out);
PYAUTOPSY_API pyautopsy_status pyautopsy_report_process_text(const pyautopsy_report* report,
                                                             const pyautopsy_text_options* options, char** out,
                                                             char** error_out);
/* The runtime-state section (finalization, GC, atexit, refcounts, trace hooks)
 * and the diagnosis section, as the CLI prints them (added in version 1 of
 * this interface, with no change to earlier functions). */
PYAUTOPSY_API pyautopsy_status pyautopsy_report_state_text(const pyautopsy_report* report, char** out,
                                                           char** error_out);
PYAUTOPSY_API pyautopsy_status pyautopsy_report_diagnosis_text(const pyautopsy_report* report, char** out,
                                                               char** error_out);
/* The asyncio section: each event loop's tasks as trees, with their coroutine
 * stacks; "" when the process has none (added in version 1, with no change to
 * earlier functions). */
PYAUTOPSY_API pyautopsy_status pyautopsy_report_asyncio_text(const pyautopsy_report* report,
                                                             const pyautopsy_text_options* options, char** out,
                                                             char** error_out);
/* The greenlet section: every thread's greenlets under its thread header, a
 * suspended one with its stack; "" when the process has none (added in
 * version 4, with no change to earlier functions). */
PYAUTOPSY_API pyautopsy_status pyautopsy_report_greenlets_text(const pyautopsy_report* report,
                                                               const pyautopsy_text_options* options, char** out,
                                                               char** error_out);
PYAUTOPSY_API pyautopsy_status pyautopsy_report_thread_text(const pyautopsy_report* report, size_t thread,
                                                            const pyautopsy_text_options* options, char** out,
                                                            char** error_out);
PYAUTOPSY_API pyautopsy_status pyautopsy_report_thread_header_text(const pyautopsy_report* report, size_t thread,
                                                                   const pyautopsy_text_options* options,
                                                                   char** out, char** error_out);
PYAUTOPSY_API pyautopsy_status pyautopsy_report_frame_text(const pyautopsy_report* report, size_t thread,
                                                           size_t frame, const pyautopsy_text_options* options,
                                                           char** out, char** error_out);

/* py-print NAME in a Python frame (made with options locals and namespaces):
 * one line saying where the name was found, as libpython's py-print does:
 * "local 'x' = 1", "global '__name__' = '__main__'", "builtin 'len' =
 * <built-in function len>", "local 'x' is unbound ...", "'x' not found".
 * py-locals of a frame: the frame line, then its names (a module-level
 * frame's are its globals). Added in version 3. */
PYAUTOPSY_API pyautopsy_status pyautopsy_report_name_text(const pyautopsy_report* report, size_t thread,
                                                          size_t frame, const char* name, char** out,
                                                          char** error_out);
PYAUTOPSY_API pyautopsy_status pyautopsy_report_frame_names_text(const pyautopsy_report* report, size_t thread,
                                                                 size_t frame, const pyautopsy_text_options* options,
                                                                 char** out, char** error_out);

/* What a native function does for CPython, by its symbol (compiler suffixes
 * such as ".cold" ignored): the role name native frames carry in the JSON
 * ("eval_loop", "gil_wait", ...), or "" when it plays none. The string is
 * static. Lets a debugger front end recognise its own frames without naming
 * CPython's functions (added in version 2). */
PYAUTOPSY_API const char* pyautopsy_native_role(const char* symbol);

#ifdef __cplusplus
}
#endif

#endif /* PYAUTOPSY_CAPI_H */
