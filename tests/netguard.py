"""The test suite's network guard: a connection, datagram or name lookup that would leave
loopback (127.0.0.0/8, ::1) fails at once, before a packet is sent.

Installed by tests/conftest.py for the test process; subprocesses load it with
``-p netguard`` (see tests/test_install.py).
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

_real = {name: getattr(socket.socket, name) for name in ("connect", "connect_ex", "sendto",
                                                         "sendmsg")}
_real_getaddrinfo = socket.getaddrinfo


class NetworkGuardError(ConnectionError):
    """A test tried to reach beyond loopback."""


def _loopback(host: object) -> bool:
    if host in ("localhost", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


def _check(sock: socket.socket, address: Any) -> None:
    if sock.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address[0]):
        raise NetworkGuardError(f"blocked: the test suite may only reach loopback, "
                                f"not {address[0]!r}")


def _connect(self: socket.socket, address: Any) -> None:
    _check(self, address)
    _real["connect"](self, address)


def _connect_ex(self: socket.socket, address: Any) -> int:
    _check(self, address)
    result: int = _real["connect_ex"](self, address)
    return result


def _sendto(self: socket.socket, data: Any, *args: Any) -> int:
    _check(self, args[-1])
    result: int = _real["sendto"](self, data, *args)
    return result


def _sendmsg(self: socket.socket, buffers: Any, *args: Any) -> int:
    if len(args) >= 3 and args[2] is not None:
        _check(self, args[2])
    result: int = _real["sendmsg"](self, buffers, *args)
    return result


def _getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if host is not None and not _loopback(host.decode() if isinstance(host, bytes) else host):
        raise NetworkGuardError(f"blocked: the test suite may not resolve or reach {host!r}")
    return _real_getaddrinfo(host, *args, **kwargs)


def install() -> None:
    socket.socket.connect = _connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = _connect_ex  # type: ignore[method-assign,assignment]
    socket.socket.sendto = _sendto  # type: ignore[method-assign,assignment]
    socket.socket.sendmsg = _sendmsg  # type: ignore[method-assign,assignment]
    socket.getaddrinfo = _getaddrinfo


install()
