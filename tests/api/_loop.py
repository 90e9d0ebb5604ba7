"""Run a coroutine on a loop of its own, leaving the thread's event-loop policy as it was.

``asyncio.run`` ends by setting the current loop to None, after which ``asyncio.get_event_loop()`` in the
main thread raises; a later test in the same process that relies on it (uvicorn's protocol, for one)
would then fail because of the order the tests ran in.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coroutine)
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
