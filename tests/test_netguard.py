"""The test suite cannot reach beyond loopback: the guard refuses before a packet leaves."""

from __future__ import annotations

import socket

import pytest

from tests.netguard import NetworkGuardError


@pytest.mark.parametrize("address", ["192.0.2.1", "10.0.0.1", "8.8.8.8"])
def test_a_tcp_connection_beyond_loopback_is_refused(address: str) -> None:
    with socket.socket() as sock, pytest.raises(NetworkGuardError, match=address):
        sock.connect((address, 443))


def test_a_udp_datagram_beyond_loopback_is_refused() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock, \
            pytest.raises(NetworkGuardError):
        sock.sendto(b"\0" * 12, ("192.0.2.53", 53))


def test_an_ipv6_connection_beyond_loopback_is_refused() -> None:
    with socket.socket(socket.AF_INET6) as sock, pytest.raises(NetworkGuardError):
        sock.connect(("2001:db8::1", 443))


def test_a_name_lookup_is_refused() -> None:
    with pytest.raises(NetworkGuardError, match="github.example.com"):
        socket.getaddrinfo("github.example.com", 443)


def test_loopback_stays_open() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server, \
            socket.create_connection(server.getsockname()) as client:
        assert client.getpeername() == server.getsockname()


def test_a_live_run_without_connect_to_cannot_escape(pytester: pytest.Pytester) -> None:
    """Without --resolver the system resolver would be asked: the guard stops it."""
    result = pytester.runpytest("-p", "no:cacheprovider", "--connector", "ghes", "--target",
                                "https://github.example.com", "--resolver", "192.0.2.53",
                                "--check-timeout", "1")
    report = (pytester.path / "reports" / "ghes.json").read_text()
    # The guard refuses the datagram: from here, the resolver cannot be reached.
    assert '"dns.resolver_unreachable"' in report
    assert "the test suite may only reach loopback" in report
    assert result.ret == 1
