"""How the service is served: uvicorn with TCP_NODELAY on every connection.

uvicorn's ``--workers N`` supervisor binds the listening socket itself with ``proto`` 0; accepted sockets
inherit it, and asyncio only sets TCP_NODELAY when a socket reports IPPROTO_TCP. Nagle's algorithm then
holds each keep-alive response's last segment until the client's delayed ACK, about 40 ms on Linux
(uvicorn issue #3149). Setting the option on every connection makes one process and N processes answer
alike.
"""

from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.h11_impl import H11Protocol


class NoDelayH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, with TCP_NODELAY set on the connection's socket when it is TCP."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
