#include "runtime/discovery/Capabilities.h"

#include "runtime/discovery/SupportedVersions.h"

namespace pyautopsy::runtime {

std::optional<Capabilities> capabilitiesFor(const PythonVersion& v)
{
    const SupportedVersion* supported = findSupportedVersion(v.major, v.minor);
    if (supported == nullptr) return std::nullopt;
    const int m = v.minor;
    Capabilities c{};
    c.frames = m <= 10 ? FrameModel::FrameObjects : m <= 12 ? FrameModel::CFrameInterpreter : FrameModel::Interpreter;
    c.lasti = m <= 9    ? LastiModel::FrameLastiBytes
              : m == 10 ? LastiModel::FrameLastiUnits
              : m <= 12 ? LastiModel::PrevInstr
                        : LastiModel::InstrPtr;
    c.lineTable = *lineTableFormatFor(v.major, v.minor);
    c.gil = m <= 11 ? GilModel::RuntimeGil : m <= 13 ? GilModel::InterpreterGilPointer : GilModel::ThreadHoldsGil;
    c.codeRef = m >= 14 ? CodeRefModel::StackRef : CodeRefModel::Pointer;
    c.stackTop = m <= 9    ? StackTopModel::FrameStackTop
                 : m == 10 ? StackTopModel::FrameStackDepth
                 : m <= 13 ? StackTopModel::StackTopIndex
                           : StackTopModel::StackPointer;
    c.callSelf = m <= 12 ? CallSelfModel::MethodOrNullFirst : CallSelfModel::CallableFirst;
    c.callExNull = m <= 10 ? CallExNullModel::None : m <= 12 ? CallExNullModel::Below : CallExNullModel::Above;
    if (m >= 12) c.shimOwner = 3;   // FRAME_OWNED_BY_CSTACK, renamed INTERPRETER in 3.14
    c.shimOwnerOrAbove = m >= 14;
    c.hasEntryFlag = m == 11;
    c.withEnterKeepsManager = m == 12 || m == 13;
    c.fLinenoWhenTraced = m <= 9;
    c.immortalObjects = m >= 12;
    c.longTag = m >= 12;
    c.unicodeWstr = m <= 11;
    c.debugOffsets = supported->debugOffsets;
    c.awaitedStackDepth = m >= 15 ? 2 : 1;
    c.dict = m <= 10 ? DictModel::Classic : m <= 12 ? DictModel::KindedKeys : DictModel::DictValues;
    c.managedDict = m <= 10   ? ManagedDictModel::None
                    : m == 11 ? ManagedDictModel::ValuesBeforeHeader
                    : m == 12 ? ManagedDictModel::TaggedWord
                              : ManagedDictModel::InlineValues;
    return c;
}

}  // namespace pyautopsy::runtime
