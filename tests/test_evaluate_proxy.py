"""Forward-proxy evaluators on observations made in the test."""

from __future__ import annotations

from checks.evaluate import proxy
from checks.model.observations import ProxyTunnel, TlsHandshake
from checks.model.trust import Trust
from tests.pki import NOW, Chain, Pki, issue

HOST = "github.example.com"
URL = "http://127.0.0.1:3128"


def _tunnel(status: int = 200, chain: tuple[str, ...] = (), **fields: object) -> ProxyTunnel:
    return ProxyTunnel(URL, "127.0.0.1", 3128, f"{HOST}:443", status, chain_pem=chain,
                       version="TLSv1.3" if chain else None, **fields)  # type: ignore[arg-type]


def _direct(chain: Chain) -> TlsHandshake:
    return TlsHandshake(HOST, 443, "93.184.215.14", 443, chain_pem=chain.pems)


def test_a_407_names_every_scheme_offered_and_whether_credentials_were_given() -> None:
    offered = 'Negotiate, NTLM, Basic realm="Corp Proxy, EU"'
    verdict = proxy.tunnel(_tunnel(407, headers={"proxy-authenticate": offered},
                                   credentials_given=True))
    assert verdict.reason == "proxy.auth_required"
    assert "it offers Negotiate, NTLM, Basic" in verdict.message
    assert "credentials given in the proxy URL were refused" in verdict.message
    assert "USER:PASSWORD@" in verdict.remediation  # Basic is offered: the default fix


def test_a_refusal_page_is_quoted_as_text_and_bounded() -> None:
    page = "<script>var x = 1;</script><p>Blocked &amp; logged: " + "x" * 1000 + "</p>"
    verdict = proxy.tunnel(_tunnel(403, reason="Forbidden", body=page))
    assert "Blocked & logged: " in verdict.message and "var x" not in verdict.message
    assert len(verdict.message) < 500


def test_the_same_leaf_through_the_proxy_passes(pki: Pki) -> None:
    chain = pki.public_chain(HOST)
    verdict = proxy.tls_through(_tunnel(chain=chain.pems), _direct(chain),
                                Trust((pki.public_root.cert,), "roots"), NOW)
    assert verdict.outcome == "passed" and "its own certificate" in verdict.message


def test_another_leaf_through_the_proxy_is_inspection_naming_both_issuers(pki: Pki) -> None:
    inspection = issue("Corp TLS Inspection CA", ca=True)
    leaf = issue(HOST, inspection, sans=(HOST,))
    verdict = proxy.tls_through(_tunnel(chain=(leaf.pem, inspection.pem)),
                                _direct(pki.public_chain(HOST)),
                                Trust((pki.public_root.cert,), "roots"), NOW)
    assert verdict.reason == "proxy.tls_inspection"
    assert "Corp TLS Inspection CA" in verdict.message
    assert "Example Public TLS CA 1" in verdict.message
    assert verdict.evidence["trusted_by_http_client"] is False


def test_without_a_direct_handshake_the_proxied_chain_is_judged_alone(pki: Pki) -> None:
    roots = Trust((pki.public_root.cert,), "roots")
    public = proxy.tls_through(_tunnel(chain=pki.public_chain(HOST).pems), None, roots, NOW)
    assert public.outcome == "passed" and "no direct handshake" in public.message
    inspection = issue("Corp TLS Inspection CA", ca=True)
    leaf = issue(HOST, inspection, sans=(HOST,))
    alone = proxy.tls_through(_tunnel(chain=(leaf.pem, inspection.pem)), None, roots, NOW)
    assert alone.reason == "proxy.tls_inspection" and "most likely" in alone.message
