"""How the service is served: uvicorn with TCP_NODELAY on every connection, and a settled heap.

uvicorn's ``--workers N`` supervisor binds the listening socket itself with ``proto`` 0; accepted sockets
inherit it, and asyncio only sets TCP_NODELAY when a socket reports IPPROTO_TCP. Nagle's algorithm then
holds each keep-alive response's last segment until the client's delayed ACK, about 40 ms on Linux
(uvicorn issue #3149). Setting the option on every connection makes one process and N processes answer
alike.
"""

from __future__ import annotations

import asyncio
import gc
import socket

from uvicorn.protocols.http.h11_impl import H11Protocol


class NoDelayH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, with TCP_NODELAY set on the connection's socket when it is TCP."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)


def settle_heap() -> None:
    """Collect once, then move every object alive now (modules, the app, plotly's classes: hundreds of
    thousands) out of the garbage collector's sight, before serving.

    Without it each full collection walks them all and pauses the event loop for 150-220 ms under load
    (measured with 256 clients, issue 11): /healthz, which needs nothing else, waited that long. Call it
    once per serving process, after the app is built; never in tests, which build many apps.
    """
    gc.collect()
    gc.freeze()
