"""Request body size limit (413 in the envelope) and the throttle of failed sign-ins and guesses (429)."""

from __future__ import annotations

import json
import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodySizeLimit:
    """ASGI middleware: refuse a body larger than ``max_bytes`` (declared or streamed) with a 413."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes
        self.message = f"the request body is larger than {max_bytes} bytes"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > self.max_bytes:
                    await self._refuse(send)
                    return
        received = 0
        too_big = False

        async def limited_receive() -> Message:
            nonlocal received, too_big
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    too_big = True
                    # An HTTPException passes through FastAPI's body parsing (any other error there
                    # becomes a 400, which a chunked body without Content-Length used to get).
                    raise HTTPException(413, self.message)
            return message

        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except Exception:
            if too_big and not started:
                await self._refuse(send)
            else:
                raise

    async def _refuse(self, send: Send) -> None:
        body = json.dumps(
            {
                "error": {
                    "status": 413,
                    "code": "payload_too_large",
                    "message": self.message,
                    "field": None,
                }
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class Throttle:
    """Failed attempts per key in a sliding window, with growing delays, checked and reserved atomically.

    Each key (a client and username, an account, a device, a client guessing API keys...) gets ``free``
    failures in ``window`` seconds at no cost; after that it is closed for a delay that doubles with each
    further failure (1 s, 2 s, 4 s ...) up to ``max_delay``, and only one attempt at a time is let
    through. An attempt is reserved (``begin``) *before* its secret is checked, under one lock, so 100
    parallel wrong passwords get ``free`` checks, not 43 (issue 11). The delay never exceeds
    ``max_delay`` after the last failure, so a key is never locked for longer than that by failures alone.

    In memory, per process; at most ``max_keys`` keys (the least recently used idle ones are dropped).
    """

    FIRST_DELAY = 5.0  # seconds, after the free failures; then 10, 20, 40 ... up to max_delay

    def __init__(
        self,
        window: float,
        max_delay: float,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window, self.max_delay, self.max_keys, self.clock = window, max_delay, max_keys, clock
        self._keys: OrderedDict[Hashable, _Record] = OrderedDict()
        self._lock = threading.Lock()

    def delay(self, failures: int, free: int) -> float:
        """Seconds a key stays closed after its last failure, once it has ``failures`` of them."""
        return 0.0 if failures < free else min(self.max_delay, self.FIRST_DELAY * 2.0 ** (failures - free))

    def begin(self, keys: Sequence[tuple[Hashable, int]], *, atomic: bool = True) -> Attempt:
        """Reserve an attempt on every ``(key, free)``, or raise ``Throttled`` with the seconds to wait.

        ``atomic``: attempts in progress count as failures until they end (for passwords, which can be
        guessed); without it only ended failures count (a client may make many valid calls at once).
        """
        now = self.clock()
        with self._lock:
            wait = 0.0
            records = []
            for key, free in keys:
                record = self._record(key, now)
                records.append(record)
                failures, pending = len(record.failures), record.pending if atomic else 0
                if failures + pending < free:
                    continue
                opens = (record.failures[-1] if record.failures else now) + self.delay(failures, free)
                if pending or opens > now:
                    wait = max(wait, opens - now, 1.0)
            if wait:
                raise Throttled(math.ceil(wait))
            if atomic:
                for record in records:
                    record.pending += 1
            self._forget_idle()
        return Attempt(self, tuple(k for k, _ in keys), atomic)

    def _record(self, key: Hashable, now: float) -> _Record:
        record = self._keys.get(key)
        if record is None:
            record = self._keys[key] = _Record()
        self._keys.move_to_end(key)
        while record.failures and now - record.failures[0] > self.window:
            record.failures.popleft()
        return record

    def _forget_idle(self) -> None:
        while len(self._keys) > self.max_keys:
            key, record = next(iter(self._keys.items()))
            if record.pending:
                self._keys.move_to_end(key)
                return
            del self._keys[key]

    def _end(
        self, keys: Sequence[Hashable], atomic: bool, failed: bool, clear: Sequence[Hashable] = ()
    ) -> None:
        now = self.clock()
        with self._lock:
            for key in keys:
                record = self._keys.get(key)
                if record is None:
                    if not failed:
                        continue
                    record = self._record(key, now)
                if atomic:
                    record.pending = max(0, record.pending - 1)
                if failed:
                    record.failures.append(now)
                elif key in clear:
                    record.failures.clear()

    def failures(self, key: Hashable) -> int:
        with self._lock:
            return len(self._record(key, self.clock()).failures)


@dataclass
class _Record:
    failures: deque[float] = field(default_factory=deque)
    pending: int = 0


class Throttled(Exception):
    """A throttled key: try again in ``retry_after`` seconds (429 with Retry-After)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"try again in {retry_after} seconds")
        self.retry_after = retry_after


@dataclass
class Attempt:
    """A reserved attempt: end it with ``failed()``, ``succeeded()`` or ``abandoned()`` exactly once."""

    throttle: Throttle
    keys: tuple[Hashable, ...]
    atomic: bool = True

    def failed(self) -> None:
        self.throttle._end(self.keys, self.atomic, failed=True)

    def succeeded(self, clear: Sequence[Hashable] = ()) -> None:
        """Success: the attempt counts for nothing, and the failures of the keys in ``clear`` are wiped."""
        self.throttle._end(self.keys, self.atomic, failed=False, clear=clear)

    def abandoned(self) -> None:
        """The secret was never checked (the database failed): the attempt counts for nothing."""
        self.throttle._end(self.keys, self.atomic, failed=False)
