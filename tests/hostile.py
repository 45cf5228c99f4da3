"""Hostile HTTP answers, served over TLS on loopback: a server that drips its headers or its
body a byte at a time, a compression bomb, and headers of shapes no API sends."""

from __future__ import annotations

import gzip
import json
import socket
import struct
import threading
from collections.abc import Callable
from functools import cache
from http.server import BaseHTTPRequestHandler

DRIP_EVERY_S = 0.2  # the server's pace, not a test's wait
META = {"installed_version": "3.14.2", "verifiable_password_authentication": True}


@cache
def gzip_bomb(inflated: int = 64 * 2**20) -> bytes:
    """``Content-Encoding: gzip, gzip``: a few hundred KB on the wire, ``inflated`` bytes of
    zeros once both layers are undone."""
    inner = gzip.compress(b"\0" * inflated, compresslevel=9, mtime=0)
    return gzip.compress(inner, compresslevel=9, mtime=0)


Behaviour = Callable[[BaseHTTPRequestHandler, threading.Event], None]


def _head(status: int, headers: dict[str, str], length: int) -> bytes:
    lines = [f"HTTP/1.1 {status} {'OK' if status == 200 else 'Refused'}",
             *(f"{name}: {value}" for name, value in headers.items()),
             f"Content-Length: {length}", "X-GitHub-Enterprise-Version: 3.14.2", "", ""]
    return "\r\n".join(lines).encode()


def _drip(handler: BaseHTTPRequestHandler, data: bytes, stop: threading.Event) -> None:
    for byte in data:
        if stop.wait(DRIP_EVERY_S):
            return
        try:
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
        except OSError:
            return  # the client gave up, as it should


def drip_headers(handler: BaseHTTPRequestHandler, stop: threading.Event) -> None:
    body = json.dumps(META).encode()
    _drip(handler, _head(200, {"Content-Type": "application/json"}, len(body)) + body,
          stop)


def drip_body(handler: BaseHTTPRequestHandler, stop: threading.Event) -> None:
    body = json.dumps(META).encode() + b" " * 4096
    handler.wfile.write(_head(200, {"Content-Type": "application/json"}, len(body)))
    handler.wfile.flush()
    _drip(handler, body, stop)


def bomb(handler: BaseHTTPRequestHandler, stop: threading.Event) -> None:
    body = gzip_bomb()
    handler.wfile.write(_head(200, {"Content-Type": "application/json",
                                             "Content-Encoding": "gzip, gzip"}, len(body)))
    handler.wfile.write(body)


def answer(status: int, headers: dict[str, str], body: object) -> Behaviour:
    def send(handler: BaseHTTPRequestHandler, stop: threading.Event) -> None:
        data = json.dumps(body).encode()
        handler.wfile.write(_head(status, headers, len(data)) + data)

    return send


def raw(status: int, content_type: str, body: bytes) -> Behaviour:
    """An answer whose body is sent as it is (deeply nested JSON, a reflected header)."""
    def send(handler: BaseHTTPRequestHandler, stop: threading.Event) -> None:
        handler.wfile.write(_head(status, {"Content-Type": content_type}, len(body)) + body)

    return send


def reset_mid_body(handler: BaseHTTPRequestHandler, stop: threading.Event) -> None:
    """Headers for a body of 4 KiB, 100 bytes of it, then a reset (RST, not FIN)."""
    handler.wfile.write(_head(200, {"Content-Type": "application/json"}, 4096) + b"[" * 100)
    handler.wfile.flush()
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def handler_for(behaviour: Behaviour, stop: threading.Event) -> type[BaseHTTPRequestHandler]:
    class Hostile(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            behaviour(self, stop)
            self.close_connection = True

        do_POST = do_GET

    return Hostile
