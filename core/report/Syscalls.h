// Syscalls: names of the x86-64 system calls a blocked thread is usually in
// (futex for locks and condition variables, wait4 for a child, poll/epoll for
// I/O), for reports.
#pragma once

#include <optional>
#include <string>

namespace pyautopsy::report {

std::optional<std::string> syscallName(int number);

}  // namespace pyautopsy::report
