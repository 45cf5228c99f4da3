"""TLS handshakes: what the server presents, captured without judging it.

The handshake accepts any certificate and any protocol version so that the evaluators can see
(and name) what is wrong; nothing is ever sent over this connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import struct
import threading
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


_CERTIFICATE_REQUEST = 13  # the handshake message a server asks for a client certificate by
MAX_CA_NAMES = 32


def _observer_context(requests: list[bool] | None = None) -> ssl.SSLContext:
    """``requests`` is told of each CertificateRequest the server sends (mutual TLS)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if requests is not None:
        def heard(conn: object, direction: str, version: object, content_type: object,
                  msg_type: object, data: bytes) -> None:
            if direction == "read" and content_type == 22 and msg_type == _CERTIFICATE_REQUEST:
                requests.append(True)

        # The one way Python's ssl shows which handshake messages arrived (its message
        # callback, as its own tests and the keylog use it): the CertificateRequest of a
        # TLS 1.3 server is encrypted and shows nowhere else.
        context._msg_callback = heard  # type: ignore[attr-defined]
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


def _handshake(host: str, port: int, raw: socket.socket, timeout: float,
               opened: list[socket.socket], seen: Callable[..., TlsHandshake]) -> TlsHandshake:
    """The handshake over ``raw`` (connected), blocking, in a thread of its own."""
    opened.append(raw)  # shut by a cancelled run, until the wrapped socket takes it over
    raw.setblocking(True)
    raw.settimeout(timeout)
    server_hostname = None if is_ip(host) else host
    requests: list[bool] = []
    try:
        peer: tuple[str, int] | None = raw.getpeername()[:2]
    except OSError:
        peer = None

    def client_auth() -> dict[str, object]:
        """When the server asked for a client certificate: that, and the CA names it lists
        (read by OpenSSL in a second handshake, through pyOpenSSL, which shows them)."""
        if not requests:
            return {}
        return {"client_certificate_requested": True,
                "client_ca_names": _client_ca_names(host, peer, timeout, opened)}
    try:
        # Wrapping takes over the socket's descriptor: the wrapped socket is the one a
        # cancelled run shuts, so it is listed before its handshake starts.
        with _observer_context(requests).wrap_socket(raw, server_hostname=server_hostname,
                                                     do_handshake_on_connect=False) as sock:
            opened.append(sock)
            sock.do_handshake()
            cipher = sock.cipher()
            return seen(None, "handshake completed", version=sock.version(),
                        cipher=cipher[0] if cipher else None, chain_pem=_presented_chain(sock),
                        **client_auth())
    except TimeoutError:
        return seen("timeout", f"no TLS handshake within {timeout:g} s")
    except ssl.SSLError as error:
        reason = error.reason or ""
        if reason in _NOT_TLS:
            return seen("not_tls", f"the server did not answer with TLS ({reason.lower()})")
        if reason in _OLD_PROTOCOL:
            return seen("protocol", f"no common TLS version ({reason.lower()})")
        return seen("failed", f"{reason or 'TLS error'}: {error.strerror or error}",
                    **client_auth())
    except OSError as error:
        return seen("failed", f"connection closed during the handshake: "
                              f"{error.strerror or type(error).__name__}")
    finally:
        raw.close()


def _client_ca_names(host: str, peer: tuple[str, int] | None, timeout: float,
                     opened: list[socket.socket]) -> tuple[str, ...]:
    """The CA names a server lists in its CertificateRequest, as OpenSSL reads them (pyOpenSSL's
    get_client_ca_list); none when it lists none or the second handshake cannot be made."""
    from OpenSSL import SSL

    if peer is None:
        return ()
    try:
        sock = socket.create_connection(peer, timeout=timeout)
    except OSError:
        return ()
    opened.append(sock)
    # OpenSSL reads the descriptor itself: the kernel bounds each blocking read and write.
    bound = struct.pack("ll", int(timeout), int((timeout % 1) * 1_000_000))
    sock.settimeout(None)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, bound)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, bound)
    try:
        context = SSL.Context(SSL.TLS_CLIENT_METHOD)
        context.set_verify(SSL.VERIFY_NONE)
        connection = SSL.Connection(context, sock)
        if not is_ip(host):
            connection.set_tlsext_host_name(host.encode("idna"))
        connection.set_connect_state()
        with contextlib.suppress(SSL.Error, OSError):
            connection.do_handshake()
        names = connection.get_client_ca_list()[:MAX_CA_NAMES]
        return tuple(",".join(f"{key.decode('ascii', 'replace')}="
                              f"{value.decode('utf-8', 'replace')}"
                              for key, value in reversed(name.get_components()))[:300]
                     for name in names)
    except (SSL.Error, OSError, ValueError):
        return ()
    finally:
        sock.close()


def _wake(opened: list[socket.socket]) -> None:
    """Wake the thread blocked in a handshake: it then ends at once."""
    for sock in opened:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


async def connected(address: str, port: int, timeout: float) -> socket.socket:
    """A TCP connection to ``address`` (an IP address), made by the event loop, so that
    Ctrl-C ends a connect that stalls at once; TimeoutError past ``timeout``, OSError."""
    loop = asyncio.get_running_loop()
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setblocking(False)
    try:
        await asyncio.wait_for(loop.sock_connect(sock, (address, port)), timeout)
    except BaseException:
        sock.close()
        raise
    return sock


async def in_thread(work: Callable[[list[socket.socket]], T], timeout: float) -> T | None:
    """Blocking socket work in a thread, ended at ``timeout`` however slowly the peer sends
    its bytes (None then), or at once when the run is cancelled (Ctrl-C, SIGTERM): the
    sockets it opened are shut, which wakes the thread. The thread is a daemon of its own,
    not one of the loop's executor, so neither the end of the event loop nor the end of the
    process waits for it."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[T] = loop.create_future()
    opened: list[socket.socket] = []

    def settle(result: T | None, error: BaseException | None) -> None:
        if done.done():
            return
        if error is not None:
            done.set_exception(error)
        else:
            done.set_result(result)  # type: ignore[arg-type]

    def thread() -> None:
        try:
            result, error = work(opened), None
        except BaseException as raised:  # handed to the awaiting task
            result, error = None, raised
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody waits
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=thread, name="connector-checks probe", daemon=True).start()
    try:
        return await asyncio.wait_for(done, timeout)
    except asyncio.CancelledError:
        _wake(opened)
        raise
    except TimeoutError:
        _wake(opened)
        return None


async def handshake(host: str, port: int, address: str, connect_port: int,
                    timeout: float) -> TlsHandshake:
    """The TCP connect (in the event loop) and the handshake (in a thread), ended at
    ``timeout`` however slowly the server sends its bytes, and at once by Ctrl-C."""
    started = time.monotonic()

    def seen(error: str | None, detail: str, **found: object) -> TlsHandshake:
        return TlsHandshake(host, port, address, connect_port, error, detail,
                            elapsed_s=round(time.monotonic() - started, 3), **found)  # type: ignore[arg-type]

    try:
        raw = await connected(address, connect_port, timeout)
    except TimeoutError:
        return seen("connect_timeout", f"TCP connect took over {timeout:g} s")
    except OSError as error:
        return seen("connect_failed", error.strerror or str(error))
    left = max(0.001, timeout - (time.monotonic() - started))
    done = await in_thread(lambda opened: _handshake(host, port, raw, timeout, opened, seen),
                           left)
    return done or seen("timeout", f"no complete TLS handshake within {timeout:g} s")
