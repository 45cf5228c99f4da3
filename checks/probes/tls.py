"""TLS handshakes: what the server presents, captured without judging it.

The handshake accepts any certificate and any protocol version so that the evaluators can see
(and name) what is wrong; nothing is ever sent over this connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import time
from collections.abc import Callable
from typing import TypeVar

from checks.model.addresses import is_ip
from checks.model.observations import TlsHandshake

T = TypeVar("T")

# OpenSSL reasons for "the peer does not speak TLS": it answered with something else.
_NOT_TLS = {"WRONG_VERSION_NUMBER", "HTTP_REQUEST", "PACKET_LENGTH_TOO_LONG",
            "RECORD_LAYER_FAILURE", "UNEXPECTED_RECORD"}
_OLD_PROTOCOL = {"UNSUPPORTED_PROTOCOL", "TLSV1_ALERT_PROTOCOL_VERSION",
                 "NO_PROTOCOLS_AVAILABLE", "VERSION_TOO_LOW"}


def _observer_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    # Accept what the server offers, down to TLS 1.0 and weak keys, so it can be reported.
    context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    context.set_ciphers("ALL:@SECLEVEL=0")
    context.set_alpn_protocols(["http/1.1"])
    return context


def _presented_chain(sock: ssl.SSLSocket) -> tuple[str, ...]:
    # Python 3.13 made SSLSocket.get_unverified_chain() public; 3.10-3.12 have it only on the
    # private _sslobj. This is the one place we reach into ssl's internals.
    sslobj = getattr(sock, "_sslobj", None)
    chain = getattr(sslobj, "get_unverified_chain", None)
    if chain is not None:
        return tuple(cert.public_bytes(ssl._ssl.ENCODING_PEM) for cert in chain())  # type: ignore[attr-defined]
    leaf = sock.getpeercert(binary_form=True)
    return (ssl.DER_cert_to_PEM_cert(leaf),) if leaf else ()


def _handshake(host: str, port: int, address: str, connect_port: int,
               timeout: float, opened: list[socket.socket]) -> TlsHandshake:
    started = time.monotonic()

    def seen(error: str | None, detail: str, **found: object) -> TlsHandshake:
        return TlsHandshake(host, port, address, connect_port, error, detail,
                            elapsed_s=round(time.monotonic() - started, 3), **found)  # type: ignore[arg-type]

    try:
        raw = socket.create_connection((address, connect_port), timeout=timeout)
    except TimeoutError:
        return seen("connect_timeout", f"TCP connect took over {timeout:g} s")
    except OSError as error:
        return seen("connect_failed", error.strerror or str(error))
    opened.append(raw)  # so that the deadline can end a handshake a server drips
    raw.settimeout(timeout)
    server_hostname = None if is_ip(host) else host
    try:
        with _observer_context().wrap_socket(raw, server_hostname=server_hostname) as sock:
            cipher = sock.cipher()
            return seen(None, "handshake completed", version=sock.version(),
                        cipher=cipher[0] if cipher else None, chain_pem=_presented_chain(sock))
    except TimeoutError:
        return seen("timeout", f"no TLS handshake within {timeout:g} s")
    except ssl.SSLError as error:
        reason = error.reason or ""
        if reason in _NOT_TLS:
            return seen("not_tls", f"the server did not answer with TLS ({reason.lower()})")
        if reason in _OLD_PROTOCOL:
            return seen("protocol", f"no common TLS version ({reason.lower()})")
        return seen("failed", f"{reason or 'TLS error'}: {error.strerror or error}")
    except OSError as error:
        return seen("failed", f"connection closed during the handshake: "
                              f"{error.strerror or type(error).__name__}")
    finally:
        raw.close()


def _wake(opened: list[socket.socket]) -> None:
    """Wake the thread blocked in a handshake: it then ends at once."""
    for sock in opened:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


async def in_thread(work: Callable[[list[socket.socket]], T], timeout: float) -> T | None:
    """Blocking socket work in a thread, ended at ``timeout`` however slowly the peer sends
    its bytes (None then), or at once when the run is cancelled (Ctrl-C): the sockets it
    opened are shut, which wakes the thread."""
    opened: list[socket.socket] = []
    try:
        return await asyncio.wait_for(asyncio.to_thread(work, opened), timeout)
    except asyncio.CancelledError:
        _wake(opened)
        raise
    except TimeoutError:
        _wake(opened)
        return None


async def handshake(host: str, port: int, address: str, connect_port: int,
                    timeout: float) -> TlsHandshake:
    """The handshake, ended at ``timeout`` however slowly the server sends its bytes."""
    started = time.monotonic()
    done = await in_thread(
        lambda opened: _handshake(host, port, address, connect_port, timeout, opened), timeout)
    return done or TlsHandshake(host, port, address, connect_port, "timeout",
                                f"no complete TLS handshake within {timeout:g} s",
                                elapsed_s=round(time.monotonic() - started, 3))
