"""Admission to the database: a fixed number of requests at once, a bounded queue, a bounded wait.

A request that needs the database (every route that takes ``deps.Db``) first takes one of ``limit``
slots — as many as the connection pool holds, so a request that has a slot never waits for a
connection. When all slots are taken, at most ``queue`` requests wait, each for at most ``timeout``
seconds; beyond that the request is refused at once with ``Overloaded`` (503 with Retry-After). Waiting
happens on the event loop, not in a thread: a queued request holds neither a thread nor a connection, so
requests that need neither (``/healthz``, static files) are never stuck behind a flood.

Waiters are futures of the loop that created them, woken thread-safely: the controller works whatever
loop (or test client) runs the app.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque

from lucidscore.service import Unavailable


class Overloaded(Unavailable):
    """Every database slot is taken and the queue is full, or the wait for a slot ran out."""


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class Admission:
    """At most ``limit`` requests at once; at most ``queue`` waiting, each at most ``timeout`` seconds."""

    def __init__(self, limit: int, queue: int, timeout: float) -> None:
        self.limit, self.queue, self.timeout = limit, queue, timeout
        self._free = limit
        self._waiters: deque[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = deque()
        self._lock = threading.Lock()

    @property
    def in_use(self) -> int:
        return self.limit - self._free

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    async def acquire(self) -> None:
        """Take a slot, waiting in the queue if need be; ``Overloaded`` when that is not possible."""
        with self._lock:
            if self._free > 0 and not self._waiters:
                self._free -= 1
                return
            if len(self._waiters) >= self.queue:
                raise Overloaded(
                    f"the service is busy: {self.limit} requests are using the database and "
                    f"{self.queue} are waiting; try again shortly"
                )
            loop = asyncio.get_running_loop()
            entry = (loop, loop.create_future())
            self._waiters.append(entry)
        try:
            await asyncio.wait_for(entry[1], self.timeout)
        except BaseException as exc:
            with self._lock:
                still_waiting = entry in self._waiters
                if still_waiting:
                    self._waiters.remove(entry)
            if not still_waiting:  # the slot was handed over as the wait ended: it is ours
                if isinstance(exc, TimeoutError):
                    return
                self.release()
                raise
            if isinstance(exc, TimeoutError):
                raise Overloaded(
                    f"the service is busy: no database slot came free in {self.timeout:g} s; "
                    "try again shortly"
                ) from None
            raise

    def release(self) -> None:
        """Give the slot to the longest waiting request, or back to the pool of free slots."""
        while True:
            with self._lock:
                if not self._waiters:
                    self._free += 1
                    return
                loop, future = self._waiters.popleft()
            try:
                loop.call_soon_threadsafe(_wake, future)
                return
            except RuntimeError:  # that waiter's loop has closed: hand the slot to the next one
                continue
