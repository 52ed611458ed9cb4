"""How `clinicbot serve` runs uvicorn: timeouts against stalled clients, and which proxies are believed.

- `keep_alive_seconds`: an idle keep-alive connection is closed after this long (uvicorn's own timer).
- `request_read_seconds`: from the moment a connection opens, or a new request on it begins, the client
  has this long to send the whole request (headers and body); a client that stalls (slowloris, a body
  that never arrives) is disconnected. uvicorn has no such timer, so `TimedHttpTools` adds it to uvicorn's
  httptools protocol.
- `trusted_proxies`: only these addresses' `X-Forwarded-For` is believed; by default no one's (uvicorn's
  own default believes 127.0.0.1, which would let anyone on the machine pick their visitor id).
"""
from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from service.settings import Settings

MAX_INCOMPLETE_EVENT = 16 * 1024  # bytes of request line and headers uvicorn buffers before giving up


def timed_protocol(read_seconds: float) -> type[HttpToolsProtocol]:
    """uvicorn's httptools protocol with a deadline for reading each request."""

    class TimedHttpTools(HttpToolsProtocol):
        _read_deadline: asyncio.TimerHandle | None = None

        def _arm(self) -> None:
            self._disarm()
            self._read_deadline = self.loop.call_later(read_seconds, self._stalled)

        def _disarm(self) -> None:
            if self._read_deadline is not None:
                self._read_deadline.cancel()
                self._read_deadline = None

        def _stalled(self) -> None:
            self._read_deadline = None
            if not self.transport.is_closing():
                self.transport.close()  # the client took too long to send its request

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._arm()

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._arm()

        def on_message_complete(self) -> None:
            self._disarm()
            super().on_message_complete()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

    return TimedHttpTools


def config(app: Any, settings: Settings) -> uvicorn.Config:
    """The uvicorn configuration `clinicbot serve` runs with."""
    return uvicorn.Config(
        app, host=settings.host, port=settings.port, log_level="info", access_log=False,
        http=timed_protocol(settings.request_read_seconds), timeout_keep_alive=int(max(1, settings.keep_alive_seconds)),
        h11_max_incomplete_event_size=MAX_INCOMPLETE_EVENT,
        proxy_headers=bool(settings.trusted_proxies), forwarded_allow_ips=list(settings.trusted_proxies) or None,
    )


def serve(app: Any, settings: Settings) -> None:
    """Run the app until it is stopped."""
    uvicorn.Server(config(app, settings)).run()
