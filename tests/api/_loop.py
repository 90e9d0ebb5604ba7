"""Run a coroutine on a loop of its own, on a thread of its own, leaving the test thread's event loop as it
was.

``asyncio.run`` ends by setting the current loop to None, after which ``asyncio.get_event_loop()`` in the
main thread raises; a later test in the same process that relies on it (uvicorn's protocol, for one)
would then fail because of the order the tests ran in. The other way round, Playwright's sync API (the
session's ``browser_context``) leaves its own loop marked as running in the main thread, where no other loop
may then run ("Cannot run the event loop while another loop is running"): the tests here failed whenever a
browser test had run before them in the same worker. A thread of its own has neither problem.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def _on_new_loop(coroutine: Coroutine[Any, Any, T]) -> T:
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coroutine)
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="lucidscore-test-loop") as pool:
        return pool.submit(_on_new_loop, coroutine).result()
