"""The HTTP server process: uvicorn with a header deadline, JSON logs and no per-request access log.

Why a protocol subclass: uvicorn bounds the idle time between requests (keep-alive) but not the
time a client may take to send a request's headers, so a client sending one byte every few seconds
holds a connection (and a file descriptor) forever; enough of them and the server stops accepting.
Here a connection that has not completed its header block within ``http_header_timeout_s`` of
opening (or of its previous response) is answered 408 and closed. The body's own deadline is the
request gate's (``app.http.request_gate``).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from app.http.request_gate import error_body
from app.json_log import configure_logging
from app.settings import Settings

__all__ = ["header_deadline_protocol", "run_server"]

_log = logging.getLogger(__name__)


class _HeaderDeadlineProtocol(H11Protocol):
    """h11 protocol that closes a connection whose request headers are late."""

    header_timeout_s: float = 10.0
    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        super().handle_events()
        if self._header_timer is not None and self.cycle is not None and not self.cycle.response_complete:
            self._disarm()  # a request's headers are complete: the body has its own deadline

    def on_response_complete(self) -> None:
        self._arm()  # the next request's headers are due within the deadline too
        super().on_response_complete()

    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(self.header_timeout_s, self._headers_late)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_late(self) -> None:
        self._header_timer = None
        if self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            return  # a request is being served
        _log.warning("closed a connection whose request headers took over %g s", self.header_timeout_s)
        body = error_body(f"the request headers did not arrive within {self.header_timeout_s:g} s")
        head = (
            "HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
        )
        self.transport.write(head.encode() + body)
        self.transport.close()


def header_deadline_protocol(header_timeout_s: float) -> type[H11Protocol]:
    """An h11 protocol class for uvicorn with this header deadline."""
    return type("HeaderDeadlineProtocol", (_HeaderDeadlineProtocol,), {"header_timeout_s": header_timeout_s})


def run_server(app: Any, settings: Settings, *, host: str, port: int) -> None:
    """Serve ``app`` until SIGTERM/SIGINT; uvicorn's own log lines go through the JSON handler."""
    if settings.log_json:
        configure_logging(settings.log_level, repeat_interval_s=settings.log_repeat_interval_s)
    uvicorn.run(
        app,
        host=host,
        port=port,
        http=header_deadline_protocol(settings.http_header_timeout_s),
        log_config=None if settings.log_json else uvicorn.config.LOGGING_CONFIG,
        log_level="warning",
        access_log=False,
    )
