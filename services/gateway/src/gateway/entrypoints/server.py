"""How uvicorn serves the gateway: a strict HTTP parser, bounded headers, problem details.

uvicorn's httptools (llhttp) parser refuses every control character in a header value, where
h11 passes most of them on to the app. Yet a request too malformed to parse never reaches the
app, so uvicorn answers it itself, in plain text; and nothing bounds how long a client may
take to send its headers (uvicorn's keep-alive timeout starts only after a response) nor, with
httptools, how large they may grow. `GatewayHttpProtocol` keeps the parser and closes those
gaps: a malformed request gets a 400 problem, headers over their size a 431 problem, headers
that do not arrive in time a 408 problem, and each answer closes the connection.

Closing a socket that still has unread request bytes makes the kernel send a reset, which a
client often sees instead of the answer it was sent (a 413, a 408). So such a connection
closes the way nginx's `lingering_close` does: the write side is shut, the client reads the
whole answer and the end of the stream, and what still arrives is discarded for
`linger_seconds` at most.

`GatewayServer` is uvicorn's server waking once a second instead of ten times: its main loop
sleeps 0.1 s between looks at the clock (for the Date header, once a second) and at whether
it must exit, which made a third of an idle gateway's CPU. An exit signal wakes it at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from types import FrameType
from typing import Any, cast

import uvicorn
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from gateway.entrypoints.problems import MEDIA_TYPE, problem
from gateway.settings import GatewaySettings


class _Refused(Exception):
    """Stops the parser once the protocol has answered the request itself."""


class LingeringTransport:
    """A transport whose `close` lingers while its protocol still has unread input."""

    def __init__(self, transport: asyncio.Transport, protocol: GatewayHttpProtocol) -> None:
        self._transport, self._protocol = transport, protocol
        self.lingering = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)

    def is_closing(self) -> bool:
        return self.lingering or self._transport.is_closing()

    def close(self) -> None:
        if self.is_closing() or not self._protocol.may_linger():
            self._transport.close()
            return
        self.lingering = True
        self._transport.write_eof()  # sent once the answer has been written
        self._transport.resume_reading()  # drain, even where flow control paused it
        self._protocol.loop.call_later(self._protocol.linger_seconds, self._transport.close)


class GatewayHttpProtocol(HttpToolsProtocol):
    header_max_bytes = 64 * 1024
    header_timeout_seconds = 15.0
    linger_seconds = 2.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._reading_headers, self._header_bytes = True, 0
        self._header_timer: asyncio.TimerHandle | None = None
        self._refusal: tuple[int, str] | None = None  # sent once the current answer is done

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(cast(asyncio.Transport, LingeringTransport(transport, self)))
        self._arm_header_timer()  # a client that connects and sends nothing is timed too

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_timer()
        super().connection_lost(exc)

    def may_linger(self) -> bool:
        """Whether the answer is complete while the client may still be sending its request."""
        answered = self.cycle is None or self.cycle.response_complete
        unread = self._reading_headers or (self.cycle is not None and self.cycle.more_body)
        return answered and unread and self.transport.can_write_eof()

    def data_received(self, data: bytes) -> None:
        if cast(LingeringTransport, self.transport).lingering or self._refusal:
            return  # discarded: the request has been answered, or will be
        if self._reading_headers:
            self._header_bytes += len(data)
        super().data_received(data)
        if self._reading_headers and self._header_bytes > self.header_max_bytes:
            self._refuse(431, f"the request line and headers exceed {self.header_max_bytes} bytes")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._reading_headers = True
        self._arm_header_timer()

    def on_headers_complete(self) -> None:
        self._disarm_header_timer()
        size = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
        if size > self.header_max_bytes:
            self._refuse(431, f"the request line and headers exceed {self.header_max_bytes} bytes")
            raise _Refused
        self._reading_headers, self._header_bytes = False, 0
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self._refusal and (self.cycle is None or self.cycle.response_complete):
            self._answer(*self._refusal)

    def send_400_response(self, msg: str) -> None:
        self._refuse(400, "the request is not valid HTTP/1.1 (control characters, a bad header…)")

    def _arm_header_timer(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(
                self.header_timeout_seconds, self._headers_too_slow
            )

    def _disarm_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self._reading_headers:
            seconds = f"{self.header_timeout_seconds:g}"
            self._refuse(408, f"the request headers did not arrive within {seconds} s")

    def _refuse(self, status: int, detail: str) -> None:
        """Answer with a problem and close, after the answer to a previous request if any."""
        self._disarm_header_timer()
        if self.transport.is_closing() or self._refusal:
            return
        if self.cycle is not None and not self.cycle.response_complete:
            # Pipelined bytes after a request the app is still answering: answer that first.
            self._refusal = (status, detail)
            self.flow.pause_reading()
            return
        self._answer(status, detail)

    def _answer(self, status: int, detail: str) -> None:
        if self.transport.is_closing():
            return
        body = json.dumps(problem(status, detail, None)).encode()
        head = [STATUS_LINE[status]]
        for name, value in [
            *self.server_state.default_headers,
            (b"content-type", MEDIA_TYPE.encode()),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]:
            head += [name, b": ", value, b"\r\n"]
        self.transport.write(b"".join([*head, b"\r\n", body]))
        self.transport.close()


class GatewayServer(uvicorn.Server):
    tick_seconds = 1.0

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._exit_asked = asyncio.Event()

    async def main_loop(self) -> None:
        self._loop = asyncio.get_running_loop()
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            # `on_tick` refreshes the Date header when the counter is a multiple of ten.
            counter = (counter + 10) % 864000
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.tick_seconds):
                    await self._exit_asked.wait()
            should_exit = await self.on_tick(counter)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        if self._loop is not None:
            # Called as a signal handler: only a thread-safe call wakes the sleeping loop.
            self._loop.call_soon_threadsafe(self._exit_asked.set)


def protocol_for(settings: GatewaySettings) -> type[GatewayHttpProtocol]:
    class ConfiguredHttpProtocol(GatewayHttpProtocol):
        header_max_bytes = settings.header_max_bytes
        header_timeout_seconds = settings.header_timeout_seconds
        linger_seconds = settings.linger_seconds

    return ConfiguredHttpProtocol


def server_config(app: Any, settings: GatewaySettings, **options: Any) -> uvicorn.Config:
    """uvicorn's configuration for the gateway; `options` add to it (logging, websockets)."""
    # No permessage-deflate: feed messages are small JSON, and compressing each one again for
    # every client that follows it took more of the gateway's CPU than sending it (B8 profile).
    options.setdefault("ws_per_message_deflate", False)
    return uvicorn.Config(
        app,
        host=settings.gateway_host,
        port=settings.gateway_port,
        http=protocol_for(settings),
        timeout_keep_alive=settings.keep_alive_seconds,
        **options,
    )
