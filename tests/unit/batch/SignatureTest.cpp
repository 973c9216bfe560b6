#include "batch/Signature.h"

#include <gtest/gtest.h>

namespace pyautopsy::batch {
namespace {

nlohmann::json frame(const std::string& function, const std::string& file, int line, const char* kind = "python")
{
    return {{"kind", kind}, {"function", function}, {"file", file}, {"line", line}};
}

nlohmann::json report(nlohmann::json threads, const char* signal = "SIGABRT")
{
    return {{"target", {{"signal", {{"name", signal}}}}}, {"threads", std::move(threads)}};
}

TEST(Signature, FileIsReducedToItsBasenameButLineAndFunctionStay)
{
    EXPECT_EQ(normaliseFrame({"task", "/home/ci/build-17/src/app/worker.py", 56}), "task (worker.py:56)");
    EXPECT_EQ(normaliseFrame({"task", "worker.py", std::nullopt}), "task (worker.py:?)");
    EXPECT_EQ(normaliseFile("<frozen importlib._bootstrap>"), "<frozen importlib._bootstrap>");
    EXPECT_EQ(normaliseFile("<string>"), "<string>");
}

TEST(Signature, SameCrashInDifferentCheckoutsGroupsTogether)
{
    const auto a = report({{{"crashed", true}, {"frames", {frame("task", "/w1/app.py", 56), frame("run", "/w1/lib/x.py", 9)}}}});
    const auto b = report({{{"crashed", true}, {"frames", {frame("task", "/tmp/w2/app.py", 56), frame("run", "/opt/x.py", 9)}}}});
    EXPECT_EQ(makeSignature(signatureInputFromReport(a)).key, makeSignature(signatureInputFromReport(b)).key);
}

TEST(Signature, DifferentLineOrSignalIsADifferentCrash)
{
    const auto base = report({{{"main", true}, {"frames", {frame("task", "app.py", 56)}}}});
    const auto otherLine = report({{{"main", true}, {"frames", {frame("task", "app.py", 57)}}}});
    const auto otherSignal = report({{{"main", true}, {"frames", {frame("task", "app.py", 56)}}}}, "SIGSEGV");
    const auto key = makeSignature(signatureInputFromReport(base)).key;
    EXPECT_NE(key, makeSignature(signatureInputFromReport(otherLine)).key);
    EXPECT_NE(key, makeSignature(signatureInputFromReport(otherSignal)).key);
}

TEST(Signature, CrashedThreadWinsOverMainAndNativeFramesAreSkipped)
{
    const auto r = report({{{"main", true}, {"frames", {frame("main", "app.py", 1)}}},
                           {{"crashed", true},
                            {"frames", {frame("abort", "libc.so.6", 0, "native"), frame("boom", "app.py", 3)}}}});
    const Signature signature = makeSignature(signatureInputFromReport(r));
    ASSERT_EQ(signature.frames.size(), 1u);
    EXPECT_EQ(signature.frames[0], "boom (app.py:3)");
    EXPECT_EQ(signature.key, "no-diagnosis|SIGABRT|boom (app.py:3)");
}

TEST(Signature, OnlyTheTopFramesCount)
{
    nlohmann::json frames = nlohmann::json::array();
    for (int i = 0; i < 8; ++i) frames.push_back(frame("f" + std::to_string(i), "app.py", i));
    auto a = report({{{"main", true}, {"frames", frames}}});
    frames[7]["line"] = 99;  // below the top kSignatureFrames: recursion depth, callers further out
    auto b = report({{{"main", true}, {"frames", frames}}});
    const Signature signature = makeSignature(signatureInputFromReport(a));
    EXPECT_EQ(signature.frames.size(), kSignatureFrames);
    EXPECT_EQ(signature.key, makeSignature(signatureInputFromReport(b)).key);
}

TEST(Signature, FirstFindingIdWhenTheReportHasFindings)
{
    auto r = report({{{"main", true}, {"frames", {frame("main", "app.py", 1)}}}});
    EXPECT_EQ(makeSignature(signatureInputFromReport(r)).findingId, kNoDiagnosis);
    r["diagnoses"] = {{{"id", "refcount-underflow"}, {"summary", "freed"}}, {{"id", "dangling-threads"}}};
    const Signature signature = makeSignature(signatureInputFromReport(r));
    EXPECT_EQ(signature.findingId, "refcount-underflow");
    EXPECT_EQ(signature.findingSummary, "freed");
    EXPECT_EQ(signature.key.rfind("refcount-underflow|", 0), 0u);
}

TEST(Signature, GarbageReportsDoNotThrow)
{
    for (const auto& r : {nlohmann::json(nullptr), nlohmann::json(3), nlohmann::json::parse(R"({"threads": 1})"),
                          nlohmann::json::parse(R"({"threads": [1, {"frames": [2, {"kind": 3}]}], "diagnoses": [4]})")}) {
        const Signature signature = makeSignature(signatureInputFromReport(r));
        EXPECT_EQ(signature.key, "no-diagnosis|?|<no python frames>");
    }
}

}  // namespace
}  // namespace pyautopsy::batch
