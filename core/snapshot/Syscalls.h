// Syscalls: the x86-64 system calls a blocked thread is usually inside
// (snapshot::Thread::syscall), by number: futex for locks and condition
// variables, wait4 for a child, poll/epoll for I/O. One table for the rules
// and the reports.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace pyautopsy::snapshot {

inline constexpr int kSysFutex = 202;   // every lock, semaphore and condition wait ends here
// A sleep with a timeout (nanosleep, poll, a timed futex) that a stop
// interrupted -- a debugger's, or an earlier `pyautopsy pid` -- goes on in
// restart_syscall once the process runs again.
inline constexpr int kSysRestart = 219;

// The name of system call `number` (arch/x86/entry/syscalls/syscall_64.tbl),
// for the calls threads block in; nullopt for others.
inline std::optional<std::string> syscallName(int number)
{
    static constexpr std::pair<int, const char*> kNames[] = {
        {0, "read"},          {1, "write"},       {7, "poll"},       {23, "select"},   {34, "pause"},
        {35, "nanosleep"},    {43, "accept"},     {45, "recvfrom"},  {47, "recvmsg"},  {61, "wait4"},
        {62, "kill"},         {kSysFutex, "futex"}, {kSysRestart, "restart_syscall"},
        {230, "clock_nanosleep"}, {232, "epoll_wait"},
        {234, "tgkill"},      {247, "waitid"},    {270, "pselect6"}, {271, "ppoll"},   {281, "epoll_pwait"},
        {288, "accept4"},     {441, "epoll_pwait2"},
    };
    for (const auto& [value, name] : kNames)
        if (value == number) return name;
    return std::nullopt;
}

}  // namespace pyautopsy::snapshot
