#include "report/Syscalls.h"

#include <utility>

namespace pyautopsy::report {

std::optional<std::string> syscallName(int number)
{
    // x86-64 numbers (arch/x86/entry/syscalls/syscall_64.tbl): the calls threads block in.
    static constexpr std::pair<int, const char*> kNames[] = {
        {0, "read"},         {1, "write"},          {7, "poll"},          {23, "select"},
        {34, "pause"},       {35, "nanosleep"},     {43, "accept"},       {62, "kill"},      {234, "tgkill"},       {45, "recvfrom"},
        {47, "recvmsg"},     {61, "wait4"},         {202, "futex"},       {230, "clock_nanosleep"},
        {232, "epoll_wait"}, {247, "waitid"},       {270, "pselect6"},    {271, "ppoll"},
        {281, "epoll_pwait"}, {288, "accept4"},     {441, "epoll_pwait2"},
    };
    for (const auto& [value, name] : kNames)
        if (value == number) return name;
    return std::nullopt;
}

}  // namespace pyautopsy::report
