"""An HTTP/2 front for the benchmark's loopback API (the ``h2`` package, which httpx's
``http2`` extra installs): TLS with ALPN ``h2``, each stream answered by the same request
handler class the HTTP/1.1 server uses, in a thread of its own as that server runs it (the
handler sleeps out the API's latency). Loopback only; used by benchmarks/installations.py to
measure the client's CPU per request over HTTP/2 against HTTP/1.1."""

from __future__ import annotations

import asyncio
import io
import ssl
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from typing import Any

import h2.config
import h2.connection
import h2.events

from tests.servers import Listener

# Headers of a connection, not of a response: HTTP/2 forbids them (RFC 9113, 8.2.2).
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection"}


def answer(handler: type[BaseHTTPRequestHandler], method: str, path: str,
           headers: list[tuple[str, str]], body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
    """One request through an HTTP/1.1 handler class, in memory: its status, headers, body."""
    lines = [f"{method} {path} HTTP/1.1", *(f"{name}: {value}" for name, value in headers),
             f"Content-Length: {len(body)}", "", ""]
    raw = "\r\n".join(lines).encode("latin-1") + body
    written = io.BytesIO()

    class InMemory(handler):  # type: ignore[valid-type,misc]
        def setup(self) -> None:
            self.rfile, self.wfile = io.BytesIO(raw), written

        def finish(self) -> None:
            pass

    InMemory(None, ("127.0.0.1", 0), None)
    head, _, content = written.getvalue().partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    found = [(name.strip().lower(), value.strip()) for name, _, value in
             (line.partition(":") for line in header_lines)]
    return int(status_line.split()[1]), [h for h in found if h[0] not in HOP_BY_HOP], content


class _Connection:
    def __init__(self, handler: type[BaseHTTPRequestHandler], reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter, pool: ThreadPoolExecutor) -> None:
        self.handler, self.reader, self.writer, self.pool = handler, reader, writer, pool
        self.h2 = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
        self.requests: dict[int, tuple[list[tuple[str, str]], bytearray]] = {}
        self.window_opened = asyncio.Event()

    async def serve(self) -> None:
        self.h2.initiate_connection()
        self.h2.update_settings({h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: 256})
        await self.flush()
        while data := await self.reader.read(65536):
            for event in self.h2.receive_data(data):
                self.on(event)
            await self.flush()
        self.writer.close()

    def on(self, event: h2.events.Event) -> None:
        if isinstance(event, h2.events.RequestReceived):
            headers = [(n.decode() if isinstance(n, bytes) else n,
                        v.decode() if isinstance(v, bytes) else v) for n, v in event.headers]
            self.requests[event.stream_id] = (headers, bytearray())
        elif isinstance(event, h2.events.DataReceived):
            self.requests[event.stream_id][1].extend(event.data)
            self.h2.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        elif isinstance(event, h2.events.StreamEnded):
            asyncio.ensure_future(self.respond(event.stream_id))
        elif isinstance(event, h2.events.WindowUpdated | h2.events.RemoteSettingsChanged):
            self.window_opened.set()

    async def respond(self, stream_id: int) -> None:
        headers, body = self.requests.pop(stream_id)
        pseudo = dict(h for h in headers if h[0].startswith(":"))
        plain = [h for h in headers if not h[0].startswith(":")]
        plain.append(("host", pseudo.get(":authority", "")))
        status, out_headers, content = await asyncio.get_running_loop().run_in_executor(
            self.pool, answer, self.handler, pseudo[":method"], pseudo[":path"], plain,
            bytes(body))
        self.h2.send_headers(stream_id, [(":status", str(status)), *out_headers])
        view = memoryview(content)
        while True:
            room = min(self.h2.local_flow_control_window(stream_id),
                       self.h2.max_outbound_frame_size)
            if room <= 0 and view:
                self.window_opened.clear()
                await self.flush()
                await self.window_opened.wait()
                continue
            chunk, view = view[:room], view[room:]
            self.h2.send_data(stream_id, bytes(chunk), end_stream=not view)
            if not view:
                break
        await self.flush()

    async def flush(self) -> None:
        data = self.h2.data_to_send()
        if data:
            self.writer.write(data)
            await self.writer.drain()


@contextmanager
def serve_h2(handler: type[BaseHTTPRequestHandler], context: ssl.SSLContext,
             address: str = "127.0.0.1") -> Iterator[Listener]:
    """The handler's API over HTTP/2 (ALPN h2) on a loopback port, until the block ends."""
    context.set_alpn_protocols(["h2"])
    loop = asyncio.new_event_loop()
    pool = ThreadPoolExecutor(max_workers=128)
    started: dict[str, Any] = {}
    ready = threading.Event()

    async def main() -> None:
        async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                await _Connection(handler, reader, writer, pool).serve()
            except (ConnectionError, ssl.SSLError, h2.exceptions.ProtocolError):
                writer.close()

        server = await asyncio.start_server(accept, address, 0, ssl=context)
        started["port"] = server.sockets[0].getsockname()[1]
        started["stop"] = asyncio.Event()
        ready.set()
        async with server:
            await started["stop"].wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    ready.wait()
    try:
        yield Listener(address, started["port"])
    finally:
        loop.call_soon_threadsafe(started["stop"].set)
        thread.join(timeout=5)
        pool.shutdown(wait=False, cancel_futures=True)
