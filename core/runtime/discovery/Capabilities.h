// Capabilities: how a CPython version organises what we read, as named models.
//
// Walkers ask these questions ("are frames interpreter frames?", "how is the
// instruction offset stored?") instead of comparing version numbers, so each
// version fact about behaviour (not layout) lives here, in one place.
#pragma once

#include "runtime/code/LineTable.h"
#include "runtime/discovery/PythonVersion.h"

#include <optional>

namespace pyautopsy::runtime {

enum class FrameModel {
    FrameObjects,          // <= 3.10: PyFrameObject chain from tstate->frame
    CFrameInterpreter,     // 3.11-3.12: tstate->cframe->current_frame, _PyInterpreterFrame chain
    Interpreter,           // 3.13+: tstate->current_frame
};

enum class LastiModel {
    FrameLastiBytes,       // 3.8-3.9: f_lasti counts bytes
    FrameLastiUnits,       // 3.10: f_lasti counts 2-byte code units
    PrevInstr,             // 3.11-3.12: prev_instr points at the last started instruction
    InstrPtr,              // 3.13+: instr_ptr points at the current instruction
};

enum class GilModel {
    RuntimeGil,            // <= 3.11: _PyRuntime.ceval.gil
    InterpreterGilPointer, // 3.12-3.13: interp->ceval.gil -> struct _gil_runtime_state
    ThreadHoldsGil,        // 3.14+: tstate->holds_gil
};

enum class CodeRefModel {
    Pointer,               // a plain PyObject*
    StackRef,              // 3.14+: _PyStackRef, low bit is a tag
};

// Where a frame records how deep its value stack is.
enum class StackTopModel {
    FrameStackTop,         // 3.8-3.9: f_stacktop pointer; NULL while the frame runs
    FrameStackDepth,       // 3.10: f_stackdepth; -1 while the frame runs
    StackTopIndex,         // 3.11-3.13: stacktop, an index into localsplus; -1 while the frame runs
                           // (a caller's is saved when it calls a Python function inline)
    StackPointer,          // 3.14+: stackpointer, saved around every call that can escape
};

enum class DictModel {
    Classic,               // <= 3.10: dk_size, 24-byte entries, split values a plain array
    KindedKeys,            // 3.11-3.12: dk_log2_size/dk_kind; split values' order bytes before the array
    DictValues,            // 3.13+: split values in struct _dictvalues, order bytes after it
};

enum class ManagedDictModel {
    None,                  // <= 3.10: instance dicts only through tp_dictoffset
    ValuesBeforeHeader,    // 3.11: values pointer at obj-32, dict pointer at obj-24
    TaggedWord,            // 3.12: obj-24 is a dict pointer, or values-1 when bit 0 is set
    InlineValues,          // 3.13+: obj-24 dict pointer; values inline at obj+tp_basicsize
};

// How a call with a self slot keeps it on the value stack (CALL_METHOD up to
// 3.10, PRECALL/CALL 3.11, CALL 3.12+): below the arguments sit two slots.
enum class CallSelfModel {
    MethodOrNullFirst,     // <= 3.12: [method, self] for a method LOAD_METHOD/LOAD_ATTR found, else [NULL, callable]
    CallableFirst,         // 3.13+: [callable, self or NULL]
};

// Where CALL_FUNCTION_EX's extra NULL slot sits next to the callable.
enum class CallExNullModel {
    None,                  // <= 3.10: no NULL: the callable, the args, the kwargs if flags & 1
    Below,                 // 3.11-3.12: NULL, the callable, ...
    Above,                 // 3.13+: the callable, NULL, ...
};

struct Capabilities {
    FrameModel frames;
    LastiModel lasti;
    LineTableFormat lineTable;
    GilModel gil;
    CodeRefModel codeRef;
    StackTopModel stackTop;
    CallSelfModel callSelf;
    CallExNullModel callExNull;
    std::optional<int> shimOwner;     // owner value of entry/shim frames to skip (3.12+)
    bool shimOwnerOrAbove = false;    // 3.14+: every owner >= shimOwner is a shim
    bool hasEntryFlag = false;        // 3.11: _PyInterpreterFrame.is_entry
    bool withEnterKeepsManager = false; // 3.12-3.13: while a with-block's __enter__ runs, its
                                        // stack slot holds the context manager (not yet __exit__)
    bool fLinenoWhenTraced = false;   // <= 3.9: f_lineno is valid only while f_trace is set
    bool immortalObjects = false;     // 3.12+: None, True, small ints ... never die
    bool longTag = false;             // 3.12+: int size and sign live in lv_tag
    bool unicodeWstr = false;         // <= 3.11: str may be a legacy wstr-only object
    bool debugOffsets = false;        // 3.13+: _Py_DebugOffsets at _PyRuntime+0
    int awaitedStackDepth = 1;        // a frame suspended in an await keeps the awaited object this many
                                      // slots below its stack top (3.15: 2, under SEND's NULL slot)
    DictModel dict = DictModel::Classic;
    ManagedDictModel managedDict = ManagedDictModel::None;
};

// The capabilities of a supported version (SupportedVersions.h); nullopt for any other.
std::optional<Capabilities> capabilitiesFor(const PythonVersion& version);

}  // namespace pyautopsy::runtime
