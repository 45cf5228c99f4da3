"""HTTPS_PROXY and NO_PROXY are honoured for the HTTP checks, and the report names the proxy."""

from __future__ import annotations

import json

import pytest

from tests.conftest import HOST, Runner, Site
from tests.pki import Chain, issue
from tests.servers import connect_proxy, github_handler, server_context
from tests.test_hostile import everything_written, no_secret


def test_http_checks_go_through_https_proxy_and_the_report_says_so(
    site: Site, run_connector: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = site.https()
    with connect_proxy({"github.example.com:443": ("127.0.0.1", str(port))}) as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        run = run_connector(*site.args(port))
    assert run.report["environment"]["proxy"] == proxy.url
    assert run.report["summary"]["failed"] == 0, run.text
    # The proxy connects by name: --connect-to applies to direct connections only.
    assert proxy.tunnels == ["github.example.com:443"] * len(proxy.tunnels) and proxy.tunnels


def test_no_proxy_bypasses_the_proxy_and_the_report_says_so(
    site: Site, run_connector: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = site.https()
    with connect_proxy() as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "github.example.com")
        run = run_connector(*site.args(port))
    assert run.report["environment"]["proxy"] == "none (github.example.com is in NO_PROXY)"
    assert proxy.tunnels == [] and run.report["summary"]["failed"] == 0


def test_proxy_credentials_are_masked_in_the_report(
    site: Site, run_connector: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://svc:" + "p" * 24 + "@127.0.0.1:9")
    run = run_connector(*site.args(site.https()))
    assert run.report["environment"]["proxy"] == "http://****@127.0.0.1:9"
    assert "p" * 24 not in run.text


# -- the proxy as part of the path ----------------------------------------------------------

TUNNEL = "proxy.tunnel[github.example.com:443]"
THROUGH = "proxy.tls[github.example.com:443]"
API = "api.reachable[https://github.example.com/api/v3]"


def _answer(status: str, headers: dict[str, str], page: str = "") -> bytes:
    lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in headers.items()),
             f"Content-Length: {len(page.encode())}", "", ""]
    return "\r\n".join(lines).encode() + page.encode()


def test_a_tunnel_and_the_servers_own_chain_through_it_pass(
    site: Site, run_connector: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = site.https()
    with connect_proxy({"github.example.com:443": ("127.0.0.1", str(port))}) as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        run = run_connector(*site.args(port))
    assert run.verdict("proxy.resolves[127.0.0.1]") == ("passed", None)
    assert run.verdict(f"proxy.reachable[127.0.0.1:{proxy.port}]") == ("passed", None)
    assert run.verdict(TUNNEL) == ("passed", None)
    assert run.verdict(THROUGH) == ("passed", None)
    assert "its own certificate" in run.checks[THROUGH]["message"]
    assert run.verdict(API) == ("passed", None)


@pytest.mark.parametrize(("offered", "given", "says"), [
    ('Basic realm="corp"', False, "it offers Basic; no credentials were given"),
    ("NTLM, Negotiate", True, "it offers NTLM, Negotiate; the credentials given in the proxy "
                              "URL were refused"),
], ids=["basic, none given", "ntlm and negotiate, credentials refused"])
def test_a_proxy_that_wants_credentials_names_its_schemes_and_never_the_password(
    site: Site, run_connector: Runner, monkeypatch: pytest.MonkeyPatch, pytester: pytest.Pytester,
    offered: str, given: bool, says: str
) -> None:
    password = "pr0xy-" + "s3cret" * 3
    answer = _answer("407 Proxy Authentication Required", {"Proxy-Authenticate": offered})
    with connect_proxy(answer=answer) as proxy:
        url = f"http://svc-connector:{password}@127.0.0.1:{proxy.port}" if given else proxy.url
        monkeypatch.setenv("HTTPS_PROXY", url)
        run = run_connector(*site.args(site.https()), cache=True)
    check = run.checks[TUNNEL]
    assert (check["outcome"], check["reason"]) == ("failed", "proxy.auth_required")
    assert says in check["message"]
    assert run.checks[API]["evidence"]["blocked_by"] == TUNNEL
    if given:
        assert "cntlm" in check["remediation"]
        assert any(line.startswith("Proxy-Authorization: Basic ") for line in proxy.heads[0])
    no_secret([password, site.token], run.text, everything_written(pytester.path))


def test_a_proxy_policy_page_is_quoted_as_the_reason(
    site: Site, run_connector: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = ("<html><head><style>p{}</style></head><body><h1>Access Denied</h1><p>Blocked by "
            "policy: category <b>Developer Tools</b> is not allowed.</p></body></html>")
    with connect_proxy(answer=_answer("403 Forbidden", {"Content-Type": "text/html"},
                                      page)) as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        run = run_connector(*site.args(site.https()))
    check = run.checks[TUNNEL]
    assert (check["outcome"], check["reason"]) == ("failed", "proxy.refused")
    assert "403 Forbidden" in check["message"]
    assert "Blocked by policy: category Developer Tools is not allowed." in check["message"]
    assert "<b>" not in check["message"]


def _inspecting(site: Site) -> tuple[object, str]:
    inspection_ca = issue("Corp TLS Inspection CA", ca=True)
    leaf = issue(HOST, inspection_ca, sans=(HOST,))
    context = server_context(site.directory, Chain(leaf, (leaf, inspection_ca)))
    bundle = site.directory / "inspection-ca.pem"
    bundle.write_text(inspection_ca.pem)
    return (context, github_handler(site.world)), str(bundle)


def test_tls_inspection_on_the_proxy_is_named_and_the_server_is_not_blamed(
    site: Site, run_connector: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    inspect, _ = _inspecting(site)
    with connect_proxy(inspect=inspect) as proxy:  # type: ignore[arg-type]
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        run = run_connector(*site.args(site.https()))
    assert run.verdict("tls.public_ca[github.example.com:443]") == ("passed", None)
    check = run.checks[THROUGH]
    assert (check["outcome"], check["reason"]) == ("failed", "proxy.tls_inspection")
    assert "Corp TLS Inspection CA" in check["message"] and "not its own" in check["message"]
    assert "--ca-bundle" in check["remediation"]
    assert run.checks[API]["evidence"]["blocked_by"] == THROUGH


def test_trusting_the_inspection_ca_for_the_run_lets_the_api_checks_through(
    site: Site, run_connector: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    inspect, bundle = _inspecting(site)
    with connect_proxy(inspect=inspect) as proxy:  # type: ignore[arg-type]
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        run = run_connector(*site.args(site.https()), "--ca-bundle", bundle)
    assert run.verdict(THROUGH) == ("failed", "proxy.tls_inspection")
    assert run.verdict(API) == ("passed", None)
    assert run.verdict("auth.token[ghes]") == ("passed", None)


@pytest.mark.parametrize(("scenario", "cause", "reason"), [
    ("proxy-auth-required", TUNNEL, "proxy.auth_required"),
    ("proxy-refused", TUNNEL, "proxy.refused"),
    ("proxy-tls-inspection", THROUGH, "proxy.tls_inspection"),
])
def test_when_the_proxy_is_the_cause_the_annotations_and_fix_first_name_the_proxy(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, scenario: str, cause: str,
    reason: str
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(pytester.path / "summary.md"))
    result = pytester.runpytest("-p", "no:cacheprovider", "--connector", "ghes", "--offline",
                                "--scenario", scenario)
    assert result.ret == 1
    annotations = [line for line in result.outlines if line.startswith("::error")]
    assert len(annotations) == 1, annotations  # one root cause, not a cascade
    assert "proxy http://127.0.0.1:3128" in annotations[0]
    assert "title=connector-checks ghes%3A proxy." in annotations[0]
    page = (pytester.path / "reports" / "ghes.html").read_text()
    fix_first = page.split("Fix first", 1)[1].split("</ol>", 1)[0]
    assert "proxy http://127.0.0.1:3128" in fix_first and reason in page
    summary = (pytester.path / "summary.md").read_text()
    assert "proxy http://127.0.0.1:3128" in summary.split("### Fix first", 1)[1]
    report = json.loads((pytester.path / "reports" / "ghes.json").read_text())
    assert {c["id"]: c["reason"] for c in report["checks"]}[cause] == reason
