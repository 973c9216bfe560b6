#include "batch/SignalPipe.h"

#include "support/Error.h"

#include <fmt/format.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace pyautopsy::batch {
namespace {

constexpr int kSignals[] = {SIGTERM, SIGINT};
int g_write = -1;
struct sigaction g_previous[2];

extern "C" void onSignal(int signal)
{
    const int saved = errno;
    const unsigned char byte = static_cast<unsigned char>(signal);
    if (g_write >= 0) {
        const ssize_t written = ::write(g_write, &byte, 1);   // a full pipe already says "a signal came"
        (void)written;
    }
    errno = saved;
}

}  // namespace

SignalPipe::SignalPipe()
{
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0)
        throw Error(ErrorKind::System, fmt::format("cannot create a pipe: {}", std::strerror(errno)));
    m_read = fds[0];
    g_write = fds[1];
    struct sigaction action {};
    action.sa_handler = onSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    for (std::size_t i = 0; i < 2; ++i) ::sigaction(kSignals[i], &action, &g_previous[i]);
}

SignalPipe::~SignalPipe()
{
    for (std::size_t i = 0; i < 2; ++i) ::sigaction(kSignals[i], &g_previous[i], nullptr);
    ::close(g_write);
    g_write = -1;
    ::close(m_read);
}

std::optional<int> SignalPipe::take()
{
    unsigned char byte = 0;
    if (::read(m_read, &byte, 1) == 1) return static_cast<int>(byte);
    return std::nullopt;
}

}  // namespace pyautopsy::batch
