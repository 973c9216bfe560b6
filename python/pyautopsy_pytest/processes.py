"""The process facts the plugin needs: descendants, ending them, core limits,
and letting a child read its parent.

Linux only, as pyautopsy is.
"""
import ctypes
import glob
import os
import resource
import signal

MAX_PROCESSES = 4096  # a test's process tree; more is a fork bomb, not a test

# prctl(PR_SET_PTRACER): under Yama ptrace_scope 1 only an ancestor may read a
# process; the hung worker names its own child (pyautopsy) as allowed.
PR_SET_PTRACER = 0x59616D61
PR_SET_PTRACER_ANY = ctypes.c_ulong(-1).value


def children(pid):
    found = []
    for path in glob.glob("/proc/%d/task/*/children" % pid):
        try:
            with open(path) as f:
                found.extend(int(word) for word in f.read().split())
        except OSError:
            continue  # the thread or the process ended meanwhile
    return found


def descendants(pid):
    """Every process below pid, parents before their children (bounded)."""
    out = []
    queue = [pid]
    seen = {pid}
    while queue and len(out) < MAX_PROCESSES:
        for child in children(queue.pop(0)):
            if child not in seen:
                seen.add(child)
                out.append(child)
                queue.append(child)
    return out


def kill_descendants(pid):
    """SIGKILL every process below pid, children before the processes that
    would otherwise respawn them (a pool's manager)."""
    for child in reversed(descendants(pid)):
        try:
            os.kill(child, signal.SIGKILL)
        except ProcessLookupError:
            pass


def allow_any_tracer(allow):
    """Let (or stop letting) any process of ours read this one under Yama; a
    kernel without Yama ignores it."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(ctypes.c_int(PR_SET_PTRACER), ctypes.c_ulong(PR_SET_PTRACER_ANY if allow else 0),
                   ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))
    except (OSError, AttributeError):
        pass


def enable_core_dumps():
    """Raise this process's core size limit to the hard limit, as `pyautopsy
    run` does, without touching system settings. Returns a note when cores
    cannot be written."""
    soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
    if hard == 0:
        return "core dumps are disabled (hard RLIMIT_CORE is 0: ulimit -Hc)"
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_CORE, (hard, hard))
    try:
        with open("/proc/sys/kernel/core_pattern") as f:
            pattern = f.read().strip()
    except OSError:
        return None
    if pattern.startswith("|"):
        return "cores go to %s (core_pattern is a pipe); see coredumpctl or apport" % pattern.split()[0][1:]
    return None
