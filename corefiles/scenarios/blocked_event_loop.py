# -*- coding: utf-8 -*-
"""A coroutine makes a blocking call and its event loop stops: every other
task of the loop starves.

An asyncio service "hangs" while its process sleeps: a handler called a
synchronous function (here time.sleep(), as a blocking HTTP client or
database driver would block in recv()) instead of awaiting, so the loop
never gets back to its selector. A heartbeat task waits to run and never
does. The blocking task commits the truth on the line before its call.
Cored by SIGABRT (a CI timeout), or kept alive for live tests.
"""
# corefile-capture: abort

import asyncio
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _truth  # noqa: E402

truth = _truth.Truth("blocked_event_loop")


async def heartbeat():
    while True:
        await asyncio.sleep(0.01)


async def handle_request():
    await asyncio.sleep(0.05)       # let the heartbeat settle into its await
    truth.facts["blocked_task"] = "handler"
    truth.facts["starved_tasks"] = ["heartbeat"]
    truth.facts["blocking_call"] = "sleep"
    truth.facts["hangs_forever"] = True
    truth.commit()
    time.sleep(1000000)


async def main():
    asyncio.ensure_future(heartbeat()).set_name("heartbeat")    # Task.set_name: 3.8+
    handler = asyncio.ensure_future(handle_request())
    handler.set_name("handler")
    await handler


if __name__ == "__main__":
    asyncio.run(main())
