"""The fault corpus: hostile servers and bad input. Every run ends within its bounds with a
verdict on the check that met the fault (every other check keeps its own), three reports
that parse, and no planted secret anywhere; bad input is one line, exit 4, no secret."""

from __future__ import annotations

import json
import os
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from checks.report import write_text
from checks.scenario import load
from tests import hostile
from tests.conftest import HOST, Site, fake_token
from tests.servers import refused_port, serve_https, server_context
from tests.test_live_github_app import AppSite, app_site, keys, run_app  # noqa: F401 (fixtures)

LOUD = ("-vv", "-l", "--log-level=DEBUG", "--tb=long")
API = f"api.reachable[https://{HOST}/api/v3]"
NETWORK = ["dns.resolves[github.example.com]", "tls.handshake[github.example.com:443]",
           "tls.public_ca[github.example.com:443]", "tls.hostname[github.example.com:443]"]


def everything_written(folder: Path, connector: str = "ghes") -> str:
    """Every report, parsed (so none is half-written), and the text of everything the runs
    left in the folder: reports, recordings, pytest's cache."""
    reports = folder / "reports"
    json.loads((reports / f"{connector}.json").read_text())
    ET.parse(reports / f"{connector}.junit.xml")
    page = (reports / f"{connector}.html").read_text()
    assert page.rstrip().endswith("</html>")
    # The cache is in the run's rootdir: its folder, or (with option values naming files in a
    # sibling folder) their common parent.
    caches = [c for c in (folder / ".pytest_cache", folder.parent / ".pytest_cache")
              if c.is_dir()]
    assert caches, "pytest's cache was written"
    files = [*folder.rglob("*"), *(p for cache in caches for p in cache.rglob("*"))]
    return "\n".join(p.read_text(errors="replace") for p in files if p.is_file())


def no_secret(secrets: list[str], *texts: str) -> None:
    for text in texts:
        for secret in secrets:
            assert secret not in text
            assert json.dumps(secret)[1:-1] not in text


@pytest.fixture
def stop() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()  # a dripping server stops at once


HOSTILE_API = {
    "headers dripped a byte at a time": (hostile.drip_headers, "http.timeout"),
    "body dripped a byte at a time": (hostile.drip_body, "http.timeout"),
    "gzip, gzip bomb": (hostile.bomb, "http.response_too_large"),
    "a charset Python does not know": (hostile.answer(
        200, {"Content-Type": "application/json; charset=bogus-xyz"}, hostile.META), None),
    "Retry-After in Unicode digits": (hostile.answer(
        429, {"Content-Type": "application/json", "Retry-After": "²"},
        {"message": "You have exceeded a secondary rate limit."}), "http.rate_limited"),
    "a reset time no calendar holds": (hostile.answer(
        403, {"Content-Type": "application/json", "x-ratelimit-remaining": "0",
              "x-ratelimit-reset": "99999999999999999"},
        {"message": "API rate limit exceeded"}), "http.rate_limited"),
}


@pytest.mark.parametrize(("behaviour", "reason"), HOSTILE_API.values(), ids=HOSTILE_API.keys())
def test_a_hostile_api_gets_a_verdict_and_every_other_check_keeps_its_own(
    site: Site, run_connector: Any, pytester: pytest.Pytester, stop: threading.Event,
    behaviour: hostile.Behaviour, reason: str | None
) -> None:
    hostile.gzip_bomb()  # made before the server answers, not while the client waits
    context = server_context(site.directory, site.pki.public_chain(HOST))
    port = site.stack.enter_context(serve_https(hostile.handler_for(behaviour, stop),
                                                context)).port
    run = run_connector(*site.args(port), *LOUD, cache=True)
    assert run.verdict(API) == (("passed", None) if reason is None else ("failed", reason))
    assert all(run.verdict(check) == ("passed", None) for check in NETWORK)
    assert "harness.error" not in run.text
    assert run.result.ret == 1  # the API, or (answering /user with its meta) the token
    no_secret([site.token], run.text, everything_written(pytester.path))


def test_the_rate_limit_names_an_unknown_reset_as_unknown(
    site: Site, run_connector: Any, stop: threading.Event
) -> None:
    behaviour, _ = HOSTILE_API["a reset time no calendar holds"]
    context = server_context(site.directory, site.pki.public_chain(HOST))
    port = site.stack.enter_context(serve_https(hostile.handler_for(behaviour, stop),
                                                context)).port
    run = run_connector(*site.args(port))
    assert "when the limit resets is unknown" in run.checks[API]["message"]


def _mangle(change: Callable[[dict[str, Any]], Any]) -> Callable[[AppSite], None]:
    def apply(site: AppSite) -> None:
        site.world.mangle = lambda body: [change(dict(item)) for item in body]
    return apply


def _without(key: str) -> Callable[[dict[str, Any]], Any]:
    return lambda item: {k: v for k, v in item.items() if k != key}


HOSTILE_APP: dict[str, tuple[Callable[[AppSite], None], str, str]] = {
    "a Link header naming 5,000,000 pages": (
        lambda site: setattr(site.world, "last_page", "5000000"), "http.too_many_pages",
        "5000000 pages"),
    "a last page that is not a number": (
        lambda site: setattr(site.world, "last_page", "abc"), "http.unexpected_response",
        "'abc'"),
    "an installation without an id": (_mangle(_without("id")), "http.unexpected_response",
                                      "no numeric id"),
    "an account that is a string": (_mangle(lambda i: {**i, "account": "acme"}),
                                    "http.unexpected_response", "no account with a login"),
    "an installation that is a number": (_mangle(lambda i: 7), "http.unexpected_response",
                                         "is int, not an object"),
}


@pytest.mark.parametrize(("change", "reason", "says"), HOSTILE_APP.values(),
                         ids=HOSTILE_APP.keys())
def test_a_hostile_installation_list_fails_the_check_that_read_it(
    app_site: AppSite, run_connector: Any, pytester: pytest.Pytester,  # noqa: F811
    change: Callable[[AppSite], None], reason: str, says: str
) -> None:
    change(app_site)
    run = run_connector(*app_site.args(*LOUD), connector="github-app", cache=True)
    check = run.checks["app.installed[123456]"]
    assert (check["outcome"], check["reason"]) == ("failed", reason)
    assert says in check["message"]
    assert run.verdict("app.credentials[123456]") == ("passed", None)
    assert "harness.error" not in run.text
    # Nothing past the limit was fetched, or even asked for.
    assert app_site.world.requests.count("GET /app/installations") == 1
    no_secret(app_site.world.jwts, run.text, everything_written(pytester.path, "github-app"))


def test_an_unreachable_resolver_is_this_machines_problem_not_a_servfail(
    site: Site, run_connector: Any, pytester: pytest.Pytester
) -> None:
    closed = site.stack.enter_context(refused_port())
    run = run_connector("--target", f"https://{HOST}", "--resolver",
                        f"127.0.0.1:{closed.port}", "--check-timeout", "1")
    check = run.checks["dns.resolves[github.example.com]"]
    assert (check["outcome"], check["reason"]) == ("failed", "dns.resolver_unreachable")
    assert "--resolver" in check["remediation"]
    everything_written(pytester.path)


def test_a_name_with_thousands_of_addresses_tries_a_bounded_number(
    pytester: pytest.Pytester
) -> None:
    data = load("ghes", "healthy").data
    addresses = [f"93.184.{n // 250}.{n % 250 + 1}" for n in range(3000)]
    data["dns"] = {HOST: {"A": addresses, "AAAA": {"error": "no_answer"}}}
    data["tcp"] = {f"{a}:443": {"elapsed_s": 0.01} for a in addresses}
    path = pytester.path / "many.json"
    path.write_text(json.dumps(data))
    result = pytester.runpytest("-p", "no:cacheprovider", "--connector", "ghes", "--offline",
                                "--scenario", str(path))
    assert result.ret == 0
    report = json.loads((pytester.path / "reports" / "ghes.json").read_text())
    tried = [c for c in report["checks"] if c["requirement"] == "tcp.reachable"]
    assert len(tried) == 65
    [left] = [c for c in tried if c["reason"] == "not_applicable"]
    assert "3000 addresses; the first 64 were tried" in left["message"]
    assert len([p for p in report["probes"] if p["kind"] == "tcp"]) == 64


# -- bad input: one line, exit 4, the secret never shown ----------------------------------

SECRET = "PASS-" + "s3cr3t" * 4


def _a_file_named_taken(folder: Path) -> dict[str, str]:
    (folder / "taken").write_text("not a folder")
    return {}


def _token_file(folder: Path, data: bytes) -> dict[str, str]:
    path = folder / "token.txt"
    path.write_bytes(data)
    return {"CONNECTOR_GHES_TOKEN_FILE": str(path)}


BAD_INPUT: dict[str, tuple[list[str], Callable[[Path], dict[str, str]], str]] = {
    "a token file of two lines": (
        [], lambda d: _token_file(d, f"{SECRET}\nsecond line\n".encode()),
        "CONNECTOR_GHES_TOKEN_FILE holds a line break or another control character"),
    "a token with a NUL": (
        [], lambda d: {"CONNECTOR_GHES_TOKEN": f"{SECRET}\x01x"},
        "CONNECTOR_GHES_TOKEN holds a line break or another control character"),
    "a token file that is not UTF-8": (
        [], lambda d: _token_file(d, b"\xff\xfe" + SECRET.encode()),
        "which is not UTF-8 text"),
    "a proxy without a scheme": (
        [], lambda d: {"HTTPS_PROXY": f"svc:{SECRET}@proxy.example.com:3128"},
        "HTTPS_PROXY is not a proxy URL connector-checks can use"),
    "a malformed proxy URL": (
        [], lambda d: {"https_proxy": f"http://svc:{SECRET}@[::1:3128"},
        "https_proxy is not a proxy URL connector-checks can use"),
    "a socks proxy": (
        [], lambda d: {"ALL_PROXY": f"socks5://svc:{SECRET}@127.0.0.1:1080"},
        "ALL_PROXY is not a proxy URL connector-checks can use"),
    "a target with a password": (
        ["--target", f"https://admin:{SECRET}@{HOST}"], lambda d: {},
        "--target carries a user name or password"),
    "a connect-to port over 65535": (
        ["--connect-to", f"{HOST}:443:127.0.0.1:70000"], lambda d: {}, "outside 1-65535"),
    "a connect-to port 0": (
        ["--connect-to", f"{HOST}:0:127.0.0.1:443"], lambda d: {}, "outside 1-65535"),
    "a target port 0": (["--target", f"https://{HOST}:0"], lambda d: {}, "outside 1-65535"),
    "a CA bundle that never ends": (
        ["--ca-bundle", "/dev/zero"], lambda d: {}, "is larger than 16 MiB"),
    "a report folder that is a file": (
        ["--report-dir", "taken"], _a_file_named_taken,
        "is not a folder"),
    "a report folder under a file": (
        ["--report-dir", "taken/reports"], _a_file_named_taken,
        "is not a folder"),
    "a max-pages of zero": (["--max-pages", "0"], lambda d: {}, "between 1 and 100000"),
}


@pytest.mark.parametrize(("args", "setup", "says"), BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_input_is_one_line_exit_4_and_never_shows_the_secret(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, args: list[str],
    setup: Callable[[Path], dict[str, str]], says: str
) -> None:
    for name in ("CONNECTOR_GHES_TOKEN", "HTTPS_PROXY", "https_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in setup(pytester.path).items():
        monkeypatch.setenv(name, value)
    base = ["--connector", "ghes"] + ([] if "--target" in args else
                                      ["--target", f"https://{HOST}"])
    result = pytester.runpytest_subprocess(*LOUD, *base, *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    lines = [line for line in result.errlines if line.strip()]
    assert len(lines) == 1 and says in lines[0], result.errlines
    assert "Traceback" not in result.stdout.str() + result.stderr.str()
    no_secret([SECRET], result.stdout.str(), result.stderr.str())


def test_a_proxy_user_and_password_never_appear_in_a_live_run(
    site: Site, run_connector: Any, pytester: pytest.Pytester
) -> None:
    closed = site.stack.enter_context(refused_port())
    token = fake_token()
    site.monkeypatch.setenv("HTTPS_PROXY", f"http://{token}:{SECRET}@127.0.0.1:{closed.port}")
    run = run_connector(*site.args(closed.port), *LOUD, cache=True)
    assert run.report["environment"]["proxy"] == f"http://****@127.0.0.1:{closed.port}"
    no_secret([token, SECRET, site.token], run.text, everything_written(pytester.path))


def test_a_report_that_cannot_be_written_is_one_line_exit_3_and_leaves_the_old_one(
    pytester: pytest.Pytester
) -> None:
    reports = pytester.mkdir("reports")
    (reports / "ghes.html").write_text("the previous run's page")
    (reports / "ghes.json").mkdir()  # the rename onto it fails, as a full disk would
    result = pytester.runpytest("-p", "no:cacheprovider", "--connector", "ghes", "--offline")
    assert result.ret == pytest.ExitCode.INTERNAL_ERROR
    result.stdout.fnmatch_lines(["connector-checks: the reports could not be written in "
                                 "reports/: *; earlier reports there are untouched"])
    assert (reports / "ghes.html").read_text() == "the previous run's page"
    assert sorted(p.name for p in reports.iterdir()) == ["ghes.html", "ghes.json"]


def test_a_write_that_fails_midway_leaves_the_previous_file_whole_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "ghes.json"
    path.write_text('{"run_id": "before"}')

    def full(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(OSError, match="No space left"):
        write_text(path, '{"run_id": "after"}')
    assert path.read_text() == '{"run_id": "before"}'
    assert [p.name for p in tmp_path.iterdir()] == ["ghes.json"]


def test_every_report_of_a_run_carries_its_id_and_start(pytester: pytest.Pytester) -> None:
    pytester.runpytest("-p", "no:cacheprovider", "--connector", "ghes", "--offline")
    reports = pytester.path / "reports"
    document = json.loads((reports / "ghes.json").read_text())
    assert len(document["run_id"]) == 12 and document["started_at"]
    suite = ET.parse(reports / "ghes.junit.xml").getroot().find("testsuite")
    assert suite is not None
    assert {p.get("name"): p.get("value") for p in suite.iter("property")}["run_id"] == \
        document["run_id"]
    assert document["run_id"] in (reports / "ghes.html").read_text()
