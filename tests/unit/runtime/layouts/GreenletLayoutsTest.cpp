// GreenletLayouts: the row a greenlet version string selects, and the shape
// every row must have (members greenlet declares one after another).
#include "runtime/layouts/GreenletLayouts.h"

#include <gtest/gtest.h>

using namespace pyautopsy::runtime;

TEST(GreenletLayouts, Greenlet3OnPython314IsTheDebianSidBuild)
{
    // offsetof() over greenlet 3.3.2's headers with CPython 3.14's.
    auto row = greenletLayout("3.3.2", 14);
    ASSERT_TRUE(row);
    EXPECT_EQ(row->self, 8);
    EXPECT_EQ(row->stackStart, 56);
    EXPECT_EQ(row->topFrame, 104);
    EXPECT_EQ(row->mainGreenlet, 176);
    EXPECT_EQ(row->threadState, 184);
}

TEST(GreenletLayouts, Greenlet2KeepsTheBackPointerInTheSubclasses)
{
    auto row = greenletLayout("2.0.2", 11);   // Debian bookworm's python3-greenlet
    ASSERT_TRUE(row);
    EXPECT_EQ(row->self, 160);
    EXPECT_EQ(row->stackStart, 48);
    EXPECT_EQ(row->mainGreenlet, 168);
}

TEST(GreenletLayouts, UnknownVersionsHaveNoRow)
{
    EXPECT_FALSE(greenletLayout("1.1.3", 11));  // the C implementation
    EXPECT_FALSE(greenletLayout("3.3.2", 9));   // greenlet 3.3 does not build there
    EXPECT_FALSE(greenletLayout("", 14));
    EXPECT_FALSE(greenletLayout("x.y", 14));
}

TEST(GreenletLayouts, EveryRowHasGreenletsMemberOrder)
{
    for (const char* version : {"2.0", "3.0"}) {
        for (int minor = 8; minor <= 15; ++minor) {
            auto row = greenletLayout(version, minor);
            if (!row) continue;
            SCOPED_TRACE(testing::Message() << version << " on 3." << minor);
            EXPECT_EQ(row->stackStop, row->stackStart + 8);     // StackState
            EXPECT_GT(row->topFrame, row->stackStop);           // PythonState follows StackState
            EXPECT_EQ(row->runCallable, row->mainGreenlet + 8); // UserGreenlet
            EXPECT_EQ(row->parent, row->runCallable + 8);
            EXPECT_EQ(row->currentGreenlet, 8);                 // ThreadState
        }
    }
}
