"""A CONNECT through a forward proxy, as the HTTP client will make it, and the TLS handshake
through the tunnel, captured without judging it (see :mod:`checks.probes.tls`). Bounded: the
proxy's answer is read up to 64 KiB of head and 4 KiB of page, the whole within ``timeout``."""

from __future__ import annotations

import base64
import contextlib
import socket
import ssl
import time
from collections.abc import Callable
from urllib.parse import unquote, urlsplit

from checks.model.addresses import host_port, is_ip
from checks.model.observations import ProxyTunnel
from checks.probes.http import hide_credentials
from checks.probes.tls import _observer_context, _presented_chain, connected, in_thread

HEAD_LIMIT = 64 * 1024
PAGE_LIMIT = 4 * 1024


def _read_head(sock: socket.socket) -> tuple[bytes, bytes]:
    """The answer's head (up to the blank line) and what came after it."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
        if len(data) > HEAD_LIMIT:
            raise ValueError(f"the proxy's answer has a head over {HEAD_LIMIT // 1024} KiB")
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def _connect(proxy: str, host: str, target_port: int, timeout: float, raw: socket.socket,
             opened: list[socket.socket], seen: Callable[..., ProxyTunnel]) -> ProxyTunnel:
    """CONNECT over ``raw`` (connected to the proxy), blocking, in a thread of its own."""
    opened.append(raw)
    raw.setblocking(True)
    raw.settimeout(timeout)
    parts = urlsplit(proxy)
    target = host_port(host, target_port)
    given = bool(parts.username)
    try:
        lines = [f"CONNECT {target} HTTP/1.1", f"Host: {target}"]
        if given:
            userinfo = f"{unquote(parts.username or '')}:{unquote(parts.password or '')}"
            lines.append("Proxy-Authorization: Basic "
                         + base64.b64encode(userinfo.encode()).decode())
        raw.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        head, rest = _read_head(raw)
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        pieces = status_line.split(" ", 2)
        if len(pieces) < 2 or not pieces[0].startswith("HTTP/") or not pieces[1].isdigit():
            return seen(error="protocol", detail=f"the proxy did not answer CONNECT with HTTP: "
                                                 f"{status_line[:80]!r}")
        status, reason = int(pieces[1]), pieces[2] if len(pieces) > 2 else ""
        headers: dict[str, str] = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            key = name.strip().lower()
            headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
        if status != 200:
            page = rest
            with contextlib.suppress(OSError):
                while len(page) < PAGE_LIMIT:
                    chunk = raw.recv(PAGE_LIMIT - len(page))
                    if not chunk:
                        break
                    page += chunk
            return seen(status=status, reason=reason, headers=headers,
                        body=page[:PAGE_LIMIT].decode("utf-8", "replace"))
        if rest:
            return seen(status=status, reason=reason, headers=headers, error="protocol",
                        body=rest[:PAGE_LIMIT].decode("utf-8", "replace"),
                        detail="the proxy answered 200 with a body instead of opening a tunnel")
        try:
            with _observer_context().wrap_socket(
                    raw, server_hostname=None if is_ip(host) else host,
                    do_handshake_on_connect=False) as tls:
                opened.append(tls)  # it took over the descriptor: the one a Ctrl-C shuts
                tls.do_handshake()
                return seen(status=status, reason=reason, headers=headers,
                            version=tls.version(), chain_pem=_presented_chain(tls))
        except (ssl.SSLError, OSError) as error:
            return seen(status=status, reason=reason, headers=headers, error="tls",
                        detail=f"no TLS handshake through the tunnel: "
                               f"{getattr(error, 'reason', None) or error}")
    except TimeoutError:
        return seen(error="timeout", detail=f"the proxy did not answer CONNECT within "
                                            f"{timeout:g} s")
    except (OSError, ValueError, UnicodeError) as error:
        return seen(error="protocol", detail=str(error) or type(error).__name__)
    finally:
        raw.close()


async def connect(proxy: str, address: str, port: int, host: str, target_port: int,
                  timeout: float) -> ProxyTunnel:
    """The CONNECT and the handshake through it, ended at ``timeout`` whatever the proxy does,
    and at once by Ctrl-C (the TCP connect in the event loop, the rest in a thread)."""
    started = time.monotonic()

    def seen(**found: object) -> ProxyTunnel:
        return ProxyTunnel(hide_credentials(proxy), address, port, host_port(host, target_port),
                           credentials_given=bool(urlsplit(proxy).username),
                           elapsed_s=round(time.monotonic() - started, 3),
                           **found)  # type: ignore[arg-type]

    try:
        raw = await connected(address, port, timeout)
    except TimeoutError:
        return seen(error="timeout", detail=f"TCP connect to the proxy took over {timeout:g} s")
    except OSError as error:
        return seen(error="connect", detail=error.strerror or str(error))
    left = max(0.001, timeout - (time.monotonic() - started))
    done = await in_thread(
        lambda opened: _connect(proxy, host, target_port, timeout, raw, opened, seen), left)
    return done or seen(error="timeout", detail=f"no answer through the proxy within {timeout:g} s")
