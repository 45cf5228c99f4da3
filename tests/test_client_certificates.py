"""An ingress that demands a client certificate (mutual TLS): the vendor's client presents
none, and the check that meets the refusal names it, with the CA names the server listed:
tls.handshake with TLS 1.2 (the refusal comes in the handshake), api.reachable with TLS 1.3
(the handshake completes; alert 116 certificate_required comes on the first read)."""

from __future__ import annotations

import socket
import ssl
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from OpenSSL import SSL

from tests.conftest import HOST, Runner, Site
from tests.pki import Pki

API = f"api.reachable[https://{HOST}/api/v3]"
TLS = f"tls.handshake[{HOST}:443]"
CLIENT_CA = "CN=Example Public Root CA,O=connector-checks tests"


@contextmanager
def mutual_tls_server(site: Site) -> Iterator[int]:
    """A TLS 1.2 server that requires a client certificate and names the CA it accepts in its
    CertificateRequest (pyOpenSSL: Python's ssl cannot send CA names)."""
    chain = site.pki.public_chain(HOST)
    context = SSL.Context(SSL.TLS_SERVER_METHOD)
    context.set_max_proto_version(SSL.TLS1_2_VERSION)
    context.use_certificate(x509.load_pem_x509_certificate(chain.pems[0].encode()))
    for pem in chain.pems[1:]:
        context.add_extra_chain_cert(x509.load_pem_x509_certificate(pem.encode()))
    key = serialization.load_pem_private_key(chain.leaf.key_pem.encode(), None)
    assert isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey)
    context.use_privatekey(key)
    context.set_verify(SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT, lambda *a: True)
    context.add_client_ca(x509.load_pem_x509_certificate(site.pki.public_root.pem.encode()))
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                raw, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            raw.setblocking(True)  # OpenSSL reads the descriptor itself; bounded by the kernel:
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", 5, 0))
            connection = SSL.Connection(context, raw)
            connection.set_accept_state()
            with suppress(SSL.Error, OSError):
                connection.do_handshake()
            raw.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        listener.close()


def test_tls_1_2_mutual_tls_fails_the_handshake_naming_the_accepted_ca(
    site: Site, run_connector: Runner
) -> None:
    with mutual_tls_server(site) as port:
        run = run_connector(*site.args(port))
    check = run.checks[TLS]
    assert (check["outcome"], check["reason"]) == ("failed", "tls.client_certificate_required")
    assert "asked for a client certificate (mutual TLS) and refused the handshake" in \
        check["message"]
    assert check["evidence"]["client_ca_names"] == [CLIENT_CA]
    assert CLIENT_CA in check["message"]
    assert "Exempt the vendor's path from client-certificate authentication" in \
        check["remediation"]
    assert run.verdict(API) == ("skipped", "prerequisite.failed")


def test_tls_1_3_mutual_tls_is_named_by_the_first_request(
    site: Site, run_connector: Runner, pki: Pki
) -> None:
    port = site.https(max_version=ssl.TLSVersion.TLSv1_3, client_ca=pki.public_root.pem)
    run = run_connector(*site.args(port))
    handshake = run.checks[TLS]
    assert handshake["outcome"] == "passed"
    assert "it asked for a client certificate" in handshake["message"]
    assert handshake["evidence"]["client_certificate"] == "requested by the server"
    check = run.checks[API]
    assert (check["outcome"], check["reason"]) == ("failed", "tls.client_certificate_required"), \
        run.text
    # The alert, or (when the server's close resets the connection first) the reset after a
    # handshake that asked for a certificate: either way, named as mutual TLS.
    assert "asked for a client certificate (mutual TLS) and refused the connection" in \
        check["message"]
    assert "http.connection_failed" not in run.text


def test_the_alert_after_a_tls_1_3_handshake_is_named_from_the_answer_alone() -> None:
    from checks.evaluate.http import failure
    from checks.model.observations import HttpExchange

    verdict = failure(HttpExchange(
        "GET", f"https://{HOST}/api/v3/meta", error="protocol",
        detail="[SSL: TLSV13_ALERT_CERTIFICATE_REQUIRED] tlsv13 alert certificate required "
               "(_ssl.c:2580)"))
    assert verdict is not None and verdict.reason == "tls.client_certificate_required"
    assert "TLS alert 116, certificate_required, after the handshake" in verdict.message


def test_a_broken_request_to_a_server_that_asked_for_no_certificate_is_a_connection_failure(
) -> None:
    from checks.evaluate.http import failure
    from checks.model.observations import HttpExchange

    verdict = failure(HttpExchange("GET", f"https://{HOST}/api/v3/meta", error="protocol",
                                   detail="ReadError: [Errno 104] Connection reset by peer"))
    assert verdict is not None and verdict.reason == "http.connection_failed"


def test_nginx_answering_400_for_a_missing_client_certificate_is_named() -> None:
    from checks.evaluate.http import failure
    from checks.model.observations import HttpExchange

    page = ("<html><head><title>400 No required SSL certificate was sent</title></head><body>"
            "<center><h1>400 Bad Request</h1></center><center>No required SSL certificate was "
            "sent</center><hr><center>nginx</center></body></html>")
    verdict = failure(HttpExchange("GET", f"https://{HOST}/api/v3/meta", status=400,
                                   headers={"content-type": "text/html"}, body=page))
    assert verdict is not None and verdict.reason == "tls.client_certificate_required"
    assert "ssl_verify_client" in verdict.message
