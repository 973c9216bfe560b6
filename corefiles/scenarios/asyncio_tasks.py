# -*- coding: utf-8 -*-
"""Two event loops in two threads, tasks awaiting tasks, then os.abort().

"Which task was stuck on what?" is the first question about a hung or
crashed asyncio service, and the native or even the Python stack of the
loop's thread cannot answer it: suspended tasks are not on any thread's
stack. The main thread's loop has a task awaiting two tasks through
gather(), a task awaiting another task directly, coroutine chains three
deep, a task blocked on a Queue, a task that has not started yet, and a
task implemented in Python (asyncio.tasks._PyTask, as a Task subclass
without the C layout is) awaited by another, and (3.11+) a task waiting in
a TaskGroup's exit for the group's two tasks; a second thread runs its own
loop. The running task records every task's
name, state, coroutine stack and what it waits for (the truth), then
aborts from inside the loop.
"""

import asyncio
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _truth  # noqa: E402

truth = _truth.Truth("asyncio_tasks")
side_ready = threading.Event()
side_loop_box = []


async def leaf_sleep(tag):
    await asyncio.sleep(3600 + len(tag))


async def fetch(tag):
    await leaf_sleep(tag)


async def gather_both(first, second):
    await asyncio.gather(first, second)


async def slowpoke():
    await asyncio.sleep(3600)


async def waiter(task):
    await task


async def consumer(queue):
    await queue.get()


async def group_parent():
    async with asyncio.TaskGroup() as group:
        group.create_task(leaf_sleep("g1"), name="group-child-1")
        group.create_task(leaf_sleep("g22"), name="group-child-2")


async def never_started():
    pass


async def side_sleeper():
    await asyncio.sleep(3600)


async def side_main():
    asyncio.current_task().set_name("side-main")
    side_loop_box.append(asyncio.get_running_loop())
    sleeper = asyncio.get_running_loop().create_task(side_sleeper(), name="side-sleeper")
    await asyncio.sleep(0)
    side_ready.set()
    await sleeper


def coroutine_stack(coro):
    """The coroutine chain a task is suspended in, innermost first (what
    cr_await leads to), as the frames a reader of the process must show."""
    out = []
    seen = 0
    while coro is not None and seen < 64:
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
        if frame is None:
            break
        out.append({"function": frame.f_code.co_name, "file": frame.f_code.co_filename,
                    "line": frame.f_lineno})
        coro = getattr(coro, "cr_await", None) if hasattr(coro, "cr_await") else \
            getattr(coro, "gi_yieldfrom", None)
        seen += 1
    out.reverse()
    return out


def task_group_of(coro):
    """The TaskGroup whose exit the coroutine chain is suspended in, if any."""
    seen = 0
    while coro is not None and seen < 64:
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
        if frame is None:
            return None
        if frame.f_code.co_name in ("__aexit__", "_aexit") and \
                frame.f_code.co_filename.endswith("taskgroups.py"):
            return frame.f_locals.get("self")
        coro = getattr(coro, "cr_await", None) if hasattr(coro, "cr_await") else \
            getattr(coro, "gi_yieldfrom", None)
        seen += 1
    return None


def awaited_tasks(task):
    group = task_group_of(task.get_coro())
    if group is not None and group._tasks:
        return sorted(t.get_name() for t in group._tasks)
    waiter_future = getattr(task, "_fut_waiter", None)
    if waiter_future is None:
        return []
    if is_task(waiter_future):
        return [waiter_future.get_name()]
    children = getattr(waiter_future, "_children", None) or []
    return sorted(c.get_name() for c in children if is_task(c))


def is_task(future):
    """A task, C or pure Python (asyncio.Task is the C one only)."""
    return isinstance(future, (asyncio.Task, asyncio.tasks._PyTask))


def record_loop(loop, thread, current, abort_line=None, extra=()):
    tasks = []
    # 3.14+: asyncio.all_tasks() lists C tasks only; a pure-Python task is
    # in asyncio.tasks._scheduled_tasks, so the scenario names it itself.
    for task in set(asyncio.all_tasks(loop)) | set(t for t in extra if not t.done()):
        stack = coroutine_stack(task.get_coro())
        if task is current and stack and abort_line is not None:
            stack[0]["line"] = abort_line   # the running task dies on the abort() line
        tasks.append({
            "name": task.get_name(),
            "state": task._state,
            "current": task is current,
            "coroutine_stack": stack,
            "awaits": awaited_tasks(task),
        })
    tasks.sort(key=lambda t: t["name"])
    return {"thread_ident": thread.ident, "thread_name": thread.name,
            "loop_type": type(loop).__name__, "tasks": tasks}


async def supervisor():
    loop = asyncio.get_running_loop()
    me = asyncio.current_task()
    me.set_name("supervisor")
    first = loop.create_task(fetch("a"), name="fetch-a")
    second = loop.create_task(fetch("bb"), name="fetch-b")
    loop.create_task(gather_both(first, second), name="gatherer")
    slow = loop.create_task(slowpoke(), name="slowpoke")
    loop.create_task(waiter(slow), name="waiter")
    queue = asyncio.Queue()
    loop.create_task(consumer(queue), name="consumer")
    in_python = asyncio.tasks._PyTask(fetch("python"), loop=loop, name="py-task")
    loop.create_task(waiter(in_python), name="py-waiter")
    if hasattr(asyncio, "TaskGroup"):   # 3.11+
        loop.create_task(group_parent(), name="group-parent")
    for _ in range(5):
        await asyncio.sleep(0)
    while not side_ready.is_set():
        await asyncio.sleep(0.01)
    side_thread = [t for t in threading.enumerate() if t.name == "side-loop"][0]
    loop.create_task(never_started(), name="not-started")
    here = sys._getframe().f_lineno
    loops = [record_loop(loop, threading.current_thread(), me, here + 5, [in_python]),
             record_loop(side_loop_box[0], side_thread, None)]
    truth.facts["asyncio"] = {"loops": loops}
    truth.commit()
    os.abort()


def main():
    side = threading.Thread(target=lambda: asyncio.run(side_main()), name="side-loop")
    side.daemon = True
    side.start()
    asyncio.run(supervisor())


if __name__ == "__main__":
    main()
