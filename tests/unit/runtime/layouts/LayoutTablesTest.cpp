// The generated layout tables: how a table is chosen for a build, invariants
// every table must satisfy, and spot checks of the compiled numbers against
// values read apart from tools/layoutgen: the interpreter binaries' own DWARF
// where they have it, else a separately compiled probe's (docs/cpython-internals.md §0.1).
#include "runtime/discovery/SupportedVersions.h"
#include "runtime/layouts/LayoutTables.h"

#include <gtest/gtest.h>

#include <ostream>
#include <set>
#include <string>
#include <tuple>

namespace pyautopsy::runtime {
namespace {

constexpr bool kRelease = false;
constexpr bool kDebug = true;

// --- selectLayoutTable ---------------------------------------------------

TEST(SelectLayoutTable, PicksTheExactPatchRelease) {
    bool exact = false;
    const LayoutTableEntry* entry = selectLayoutTable(3, 11, 7, kRelease, &exact);
    ASSERT_NE(entry, nullptr);
    EXPECT_TRUE(exact);
    EXPECT_EQ(entry->micro, 7);
    EXPECT_FALSE(entry->debug);

    entry = selectLayoutTable(3, 11, 2, kRelease, &exact);
    ASSERT_NE(entry, nullptr);
    EXPECT_TRUE(exact);
    EXPECT_EQ(entry->micro, 2);
}

TEST(SelectLayoutTable, PicksTheNearestLowerPatchRelease) {
    bool exact = true;
    const LayoutTableEntry* entry = selectLayoutTable(3, 11, 5, kRelease, &exact);
    ASSERT_NE(entry, nullptr);
    EXPECT_FALSE(exact);
    EXPECT_EQ(entry->micro, 2);  // 3.11.2 (Debian), not 3.11.7 (pyenv)

    entry = selectLayoutTable(3, 11, 99, kRelease, &exact);
    ASSERT_NE(entry, nullptr);
    EXPECT_FALSE(exact);
    EXPECT_EQ(entry->micro, 7);
}

TEST(SelectLayoutTable, FallsBackToTheNearestHigherPatchRelease) {
    bool exact = true;
    const LayoutTableEntry* entry = selectLayoutTable(3, 11, 0, kRelease, &exact);
    ASSERT_NE(entry, nullptr);
    EXPECT_FALSE(exact);
    EXPECT_EQ(entry->micro, 2);

    entry = selectLayoutTable(3, 8, 0, kDebug, &exact);
    ASSERT_NE(entry, nullptr);
    EXPECT_FALSE(exact);
    EXPECT_EQ(entry->micro, 18);
    EXPECT_TRUE(entry->debug);
}

TEST(SelectLayoutTable, KeepsTheBuildKind) {
    const LayoutTableEntry* release = selectLayoutTable(3, 12, 1, kRelease, nullptr);
    const LayoutTableEntry* debug = selectLayoutTable(3, 12, 1, kDebug, nullptr);
    ASSERT_NE(release, nullptr);
    ASSERT_NE(debug, nullptr);
    EXPECT_FALSE(release->debug);
    EXPECT_TRUE(debug->debug);
    EXPECT_NE(release->layout.runtime.size, debug->layout.runtime.size);
}

TEST(SelectLayoutTable, PrefersTheRealDebugHeaders) {
    // Debian ships a real Py_DEBUG pyconfig for 3.11; that table must be used,
    // not a -DPy_DEBUG variant of the release headers.
    const LayoutTableEntry* entry = selectLayoutTable(3, 11, 2, kDebug, nullptr);
    ASSERT_NE(entry, nullptr);
    EXPECT_NE(std::string(entry->source).find("python3.11d"), std::string::npos) << entry->source;
}

TEST(SelectLayoutTable, ReturnsNullForAnUnknownMinorVersion) {
    bool exact = true;
    EXPECT_EQ(selectLayoutTable(3, 7, 16, kRelease, &exact), nullptr);
    EXPECT_FALSE(exact);
    EXPECT_EQ(selectLayoutTable(3, 99, 0, kRelease, nullptr), nullptr);
    EXPECT_EQ(selectLayoutTable(2, 8, 18, kRelease, nullptr), nullptr);
    EXPECT_EQ(selectLayoutTable(4, 8, 18, kRelease, nullptr), nullptr);
}

// --- invariants of the generated tables ------------------------------------

TEST(GeneratedTables, CoverTheBaselineTestBed) {
    // The header sets every developer machine has (pyenv and Debian 3.11); the
    // sid builds come on top when the test bed is provisioned.
    const std::tuple<int, int> builds[] = {{8, 18}, {9, 18}, {10, 13}, {11, 2}, {11, 7}, {12, 1}, {13, 0}};
    for (auto [minor, micro] : builds) {
        for (bool debug : {kRelease, kDebug}) {
            bool exact = false;
            const LayoutTableEntry* entry = selectLayoutTable(3, minor, micro, debug, &exact);
            ASSERT_NE(entry, nullptr) << "3." << minor << "." << micro << (debug ? "d" : "");
            EXPECT_TRUE(exact) << "3." << minor << "." << micro << (debug ? "d" : "");
        }
    }
}

TEST(GeneratedTables, AreUniqueSortedAndComeInReleaseDebugPairs) {
    std::set<std::tuple<int, int, int, bool>> seen;
    std::tuple<int, int, int, bool> previous{0, 0, 0, false};
    for (const LayoutTableEntry& e : generatedLayoutTables()) {
        auto key = std::make_tuple(e.major, e.minor, e.micro, e.debug);
        EXPECT_TRUE(seen.insert(key).second) << e.source;
        EXPECT_LT(previous, key) << e.source;
        previous = key;
        EXPECT_NE(std::string(e.source), "");
        // Every table is of a version the registry (core/runtime/versions.json) lists.
        EXPECT_NE(findSupportedVersion(e.major, e.minor), nullptr) << e.source;
    }
    for (const auto& [major, minor, micro, debug] : seen) {
        EXPECT_TRUE(seen.count({major, minor, micro, !debug})) << major << "." << minor << "." << micro;
    }
}

TEST(GeneratedTables, HaveTheFieldsEveryWalkNeeds) {
    for (const LayoutTableEntry& e : generatedLayoutTables()) {
        const Layout& l = e.layout;
        SCOPED_TRACE(e.source);
        EXPECT_TRUE(has(l.runtime.interpreters_head));
        EXPECT_TRUE(has(l.interpreter.threads_head));
        EXPECT_TRUE(has(l.interpreter.next));
        EXPECT_TRUE(has(l.thread.next));
        EXPECT_TRUE(has(l.thread.thread_id));
        EXPECT_TRUE(has(l.code.co_filename));
        EXPECT_TRUE(has(l.code.co_name));
        EXPECT_TRUE(has(l.code.co_firstlineno));
        EXPECT_TRUE(has(l.code.co_linetable));
        EXPECT_TRUE(has(l.gc.collecting));
        EXPECT_TRUE(has(l.type.tp_name));
        // Exactly one way to reach a thread's top frame, by version.
        EXPECT_EQ(has(l.thread.frame), e.minor <= 10);
        EXPECT_EQ(has(l.thread.cframe), e.minor >= 10 && e.minor <= 12);
        EXPECT_EQ(has(l.cframe.current_frame), e.minor == 11 || e.minor == 12);
        EXPECT_EQ(has(l.thread.current_frame), e.minor >= 13);
        EXPECT_EQ(has(l.frameObject.f_code), e.minor <= 10);
        EXPECT_EQ(has(l.interpreterFrame.f_code), e.minor >= 11);
        EXPECT_EQ(has(l.interpreterFrame.owner), e.minor >= 11);
        // The GC state lives in the runtime on 3.8 and in the interpreter after.
        EXPECT_EQ(has(l.runtime.gc), e.minor == 8);
        EXPECT_EQ(has(l.interpreter.gc), e.minor >= 9);
        // Python-level atexit: module state (<= 3.9) or interp->atexit (3.10+).
        EXPECT_EQ(has(l.interpreter.pyexitmodule), e.minor <= 9);
        EXPECT_EQ(has(l.interpreter.atexit), e.minor >= 10);
        EXPECT_TRUE(has(l.atexit.callbacks));
        // The generations, whichever GC the headers describe.
        EXPECT_TRUE(has(l.gc.generations) || has(l.gc.young));
    }
}

// --- spot checks against independently read values --------------------------

constexpr int kLatePatch = -1;  // the newest table of the minor series with micro > 0 (sid builds)

struct SpotCheck {
    const char* field;
    Offset (*read)(const Layout&);
    int minor;
    int micro;  // or kLatePatch
    bool debug;
    Offset expected;
};

#define FIELD(path) #path, [](const Layout& l) { return l.path; }

// Each value was read from DWARF, not from the numbers layoutgen compiled. A
// field that release and debug builds share is checked on one of the two.
const SpotCheck kSpotChecks[] = {
    // 3.8.18
    {FIELD(thread.thread_id), 8, 18, kRelease, 176},
    {FIELD(thread.id), 8, 18, kDebug, 256},
    {FIELD(runtime.size), 8, 18, kRelease, 1464},
    {FIELD(runtime.gilstate_tstate_current), 8, 18, kRelease, 1368},
    {FIELD(runtime.gc), 8, 18, kRelease, 344},
    {FIELD(runtime.nexitfuncs), 8, 18, kRelease, 336},
    {FIELD(interpreter.pyexitmodule), 8, 18, kRelease, 2656},
    {FIELD(frameObject.f_localsplus), 8, 18, kRelease, 360},
    {FIELD(code.co_linetable), 8, 18, kRelease, 120},            // co_lnotab
    {FIELD(object.dictkeys_indices), 8, 18, kRelease, 40},       // mirrors.h; the 3.8.18 binary's DWARF
    {FIELD(object.dictkeys_nentries), 10, 13, kRelease, 32},     // mirrors.h
    {FIELD(object.module_state), 8, 18, kRelease, 32},           // mirrors.h
    {FIELD(atexit.callback_len), 9, 18, kRelease, 12},           // mirrors.h
    // asyncio's TaskObj (mirrors.h), from `ptype /o TaskObj` on each _asyncio build's DWARF
    {FIELD(asyncio.task_coro), 8, 18, kRelease, 112},
    {FIELD(asyncio.future_state), 8, 18, kRelease, 72},
    {FIELD(asyncio.task_fut_waiter), 9, 18, kRelease, 144},
    {FIELD(asyncio.task_name), 10, 13, kRelease, 168},
    {FIELD(asyncio.task_coro), 11, 2, kDebug, 136},
    {FIELD(asyncio.task_fut_waiter), 12, 1, kRelease, 128},
    {FIELD(asyncio.future_state), 13, 0, kRelease, 96},
    {FIELD(asyncio.task_name), 13, kLatePatch, kDebug, 128},
    {FIELD(asyncio.future_state), 14, kLatePatch, kDebug, 104},
    {FIELD(asyncio.task_node), 14, kLatePatch, kDebug, 152},
    {FIELD(asyncio.task_coro), 15, kLatePatch, kDebug, 128},
    {FIELD(asyncio.futureiter_future), 15, kLatePatch, kDebug, 16},
    // 3.9.18, 3.10.13
    {FIELD(interpreter.gc), 9, 18, kRelease, 616},
    {FIELD(interpreter.pyexitmodule), 9, 18, kDebug, 3488},
    {FIELD(type.ht_cached_keys), 9, 18, kRelease, 864},
    {FIELD(frameObject.f_lasti), 10, 13, kRelease, 96},
    {FIELD(thread.cframe), 10, 13, kRelease, 48},
    {FIELD(interpreter.atexit), 10, 13, kRelease, 3488},
    {FIELD(gen.gi_code), 10, 13, kRelease, 24},
    // 3.11
    {FIELD(interpreterFrame.owner), 11, 7, kRelease, 69},
    {FIELD(interpreterFrame.is_entry), 11, 7, kRelease, 68},
    {FIELD(interpreterFrame.f_code), 11, 7, kRelease, 32},
    {FIELD(cframe.current_frame), 11, 7, kRelease, 8},
    {FIELD(interpreter._initial_thread), 11, 7, kRelease, 107392},
    {FIELD(code.co_code_adaptive), 11, 2, kDebug, 184},
    {FIELD(gen.gi_iframe), 11, 2, kRelease, 80},
    {FIELD(thread.datastack_chunk), 11, 2, kDebug, 296},
    {FIELD(interpreter.size), 11, 2, kDebug, 107752},
    // 3.12.1
    {FIELD(runtime.finalizing_id), 12, 1, kRelease, 76376},
    {FIELD(runtime.finalizing_id), 12, 1, kDebug, 92376},
    {FIELD(runtime.size), 12, 1, kDebug, 475960},
    {FIELD(interpreter.threads_main), 12, 1, kRelease, 383248},
    {FIELD(interpreter.threads_main), 12, 1, kDebug, 383264},
    {FIELD(interpreterFrame.owner), 12, 1, kRelease, 70},
    {FIELD(cframe.current_frame), 12, 1, kRelease, 0},
    {FIELD(object.unicode_ascii_size), 12, 1, kRelease, 40},
    // DWARF puts _PyRuntime.atexit at 1632 (debug: 17624); Layout wants the
    // Py_AtExit array inside it, after the 8-byte mutex.
    {FIELD(runtime.exitfuncs), 12, 1, kRelease, 1632 + 8},
    {FIELD(runtime.exitfuncs), 12, 1, kDebug, 17624 + 8},
    // 3.13.0
    {FIELD(gc.generations), 13, 0, kRelease, 24},
    {FIELD(interpreter.gc), 13, 0, kRelease, 7400},
    {FIELD(interpreter.atexit), 13, 0, kRelease, 10696},
    {FIELD(interpreter.atexit), 13, 0, kDebug, 10704},
    {FIELD(thread.size), 13, 0, kRelease, 304},
    {FIELD(runtime.size), 13, 0, kDebug, 299336},
    {FIELD(object.dictvalues_values), 13, 0, kRelease, 8},
    {FIELD(interpreter._gil), 13, 0, kRelease, 7752},
    // late 3.13 (values of 3.13.18)
    {FIELD(gc.generations), 13, kLatePatch, kRelease, 20},
    {FIELD(gc.generations), 13, kLatePatch, kDebug, 20},
    {FIELD(thread.size), 13, kLatePatch, kRelease, 312},
    {FIELD(runtime.size), 13, kLatePatch, kRelease, 283408},
    {FIELD(runtime.size), 13, kLatePatch, kDebug, 299424},
    {FIELD(interpreter.atexit), 13, kLatePatch, kDebug, 10704},
    // 3.14 (values of 3.14.10)
    {FIELD(object.tuple_items), 14, kLatePatch, kRelease, 32},
    {FIELD(interpreterFrame.owner), 14, kLatePatch, kRelease, 74},
    {FIELD(interpreterFrame.size), 14, kLatePatch, kRelease, 88},
    {FIELD(thread.holds_gil), 14, kLatePatch, kRelease, 36},
    {FIELD(thread.state), 14, kLatePatch, kRelease, 44},
    {FIELD(thread.size), 14, kLatePatch, kRelease, 832},
    {FIELD(interpreter.atexit), 14, kLatePatch, kRelease, 10784},
    {FIELD(interpreter.atexit), 14, kLatePatch, kDebug, 10792},
    {FIELD(interpreter._gil), 14, kLatePatch, kRelease, 7784},
    {FIELD(gc.size), 14, kLatePatch, kRelease, 264},
    {FIELD(gc.generations), 14, kLatePatch, kRelease, 24},
    {FIELD(gc.collecting), 14, kLatePatch, kRelease, 192},
    {FIELD(code.co_code_adaptive), 14, kLatePatch, kRelease, 208},
    {FIELD(runtime.size), 14, kLatePatch, kDebug, 332632},
    // 3.15 (values of 3.15.2)
    {FIELD(object.module_state), 15, kLatePatch, kRelease, 24},
    {FIELD(thread.base_frame), 15, kLatePatch, kRelease, 80},
    {FIELD(thread.thread_id), 15, kLatePatch, kRelease, 176},
    {FIELD(gc.generations), 15, kLatePatch, kRelease, 8},
    {FIELD(gc.frame), 15, kLatePatch, kRelease, 120},
    {FIELD(gc.size), 15, kLatePatch, kRelease, 176},
    {FIELD(interpreter.atexit), 15, kLatePatch, kDebug, 10768},
    // _thread.lock / _thread.RLock (mirrors.h), from the binaries' own DWARF
    // (gdb `ptype /o lockobject`, `rlockobject`).
    {FIELD(lock.lock_locked), 8, 18, kRelease, 32},
    {FIELD(lock.rlock_owner), 8, 18, kRelease, 24},
    {FIELD(lock.lock_size), 12, 1, kRelease, 40},
    {FIELD(lock.rlock_size), 12, 1, kRelease, 48},
    {FIELD(lock.lock_locked), 13, 0, kRelease, 32},
    {FIELD(lock.rlock_owner), 13, 0, kRelease, 24},
    {FIELD(lock.mutex_lock_bits), 13, kLatePatch, kDebug, 16},
    {FIELD(lock.mutex_lock_size), 13, kLatePatch, kDebug, 24},
    {FIELD(lock.rlock_size), 13, kLatePatch, kDebug, 48},
    {FIELD(lock.mutex_lock_size), 14, kLatePatch, kDebug, 24},
    {FIELD(lock.rlock_owner), 14, kLatePatch, kDebug, 24},
    {FIELD(lock.rlock_size), 15, kLatePatch, kDebug, 40},
    {FIELD(type.ht_cached_keys), 15, kLatePatch, kRelease, 888},
    // Objects whose repr() we restate (mirrors.h), from gdb `ptype /o` of
    // dequeobject, block, defdictobject, rangeobject, wrapperobject,
    // struct _odictobject and _odictnode in the debug binaries' DWARF.
    {FIELD(object.deque_leftindex), 11, 2, kDebug, 40},
    {FIELD(object.deque_maxlen), 11, 2, kDebug, 64},
    {FIELD(object.dequeblock_rightlink), 11, 2, kDebug, 520},
    {FIELD(object.defaultdict_factory), 11, 2, kDebug, 48},
    {FIELD(object.odict_first), 11, 2, kDebug, 48},
    {FIELD(object.range_step), 13, kLatePatch, kDebug, 32},
    {FIELD(object.methodwrapper_self), 13, kLatePatch, kDebug, 24},
    {FIELD(object.deque_maxlen), 15, kLatePatch, kDebug, 64},
    {FIELD(object.defaultdict_factory), 15, kLatePatch, kDebug, 48},
    {FIELD(object.odictnode_next), 15, kLatePatch, kDebug, 16},
    {FIELD(object.methodwrapper_descr), 15, kLatePatch, kDebug, 16},
    {FIELD(object.range_start), 15, kLatePatch, kDebug, 16},
};

#undef FIELD

void PrintTo(const SpotCheck& check, std::ostream* os) {
    *os << check.field << " of 3." << check.minor << "."
        << (check.micro == kLatePatch ? std::string("late") : std::to_string(check.micro))
        << (check.debug ? " debug" : "") << " == " << check.expected;
}

class IndependentSpotCheck : public ::testing::TestWithParam<SpotCheck> {};

TEST_P(IndependentSpotCheck, MatchesTheCompiledHeaders) {
    const SpotCheck& check = GetParam();
    const LayoutTableEntry* entry = nullptr;
    if (check.micro == kLatePatch) {
        entry = selectLayoutTable(3, check.minor, 9999, check.debug, nullptr);
        if (entry == nullptr || entry->micro == 0) {
            GTEST_SKIP() << "no later 3." << check.minor << ".x headers in this build's tables";
        }
    } else {
        bool exact = false;
        entry = selectLayoutTable(3, check.minor, check.micro, check.debug, &exact);
        ASSERT_NE(entry, nullptr);
        ASSERT_TRUE(exact) << "no table for 3." << check.minor << "." << check.micro;
    }
    EXPECT_EQ(check.read(entry->layout), check.expected) << check.field << " in " << entry->source;
}

std::string spotCheckName(const ::testing::TestParamInfo<SpotCheck>& info) {
    std::string name = "v3_" + std::to_string(info.param.minor) + "_" +
                       (info.param.micro == kLatePatch ? std::string("late") : std::to_string(info.param.micro)) +
                       (info.param.debug ? "_debug_" : "_") + info.param.field;
    for (char& c : name) {
        if (c == '.') c = '_';
    }
    return name;
}

INSTANTIATE_TEST_SUITE_P(LayoutTables, IndependentSpotCheck, ::testing::ValuesIn(kSpotChecks), spotCheckName);

}  // namespace
}  // namespace pyautopsy::runtime
