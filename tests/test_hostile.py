"""The fault corpus: hostile servers and bad input. Every run ends within its bounds with a
verdict on the check that met the fault (every other check keeps its own), three reports
that parse, and no planted secret anywhere; bad input is one line, exit 4, no secret."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from checks.report import write_text
from checks.scenario import load
from tests import hostile
from tests.conftest import ALL_SCOPES, HOST, Site, fake_token
from tests.fake_github_app import Installation
from tests.servers import Account, connect_proxy, refused_port, serve_https, server_context
from tests.test_live_github_app import (  # noqa: F401 (fixtures)
    READ,
    AppSite,
    app_site,
    keys,
    run_app,
)

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
    "a max-pages of 5,000 digits": (["--max-pages", "9" * 5000], lambda d: {},
                                    "is not a number of pages between 1 and 100000"),
    "a run timeout of 0": (["--run-timeout", "0"], lambda d: {}, "between 1 and 86400"),
    "a run timeout of infinity": (["--run-timeout", "1e999"], lambda d: {},
                                  "between 1 and 86400"),
    "max-installations of 0": (["--max-installations", "0"], lambda d: {},
                               "between 1 and 1000000"),
    "a token in the target's query": (
        ["--target", f"https://{HOST}/?access_token={SECRET}"], lambda d: {},
        "--target has a query or fragment (not shown)"),
    "a 100 KB token from the environment": (
        [], lambda d: {"CONNECTOR_GHES_TOKEN": SECRET * 3500},
        "CONNECTOR_GHES_TOKEN is larger than 64 KiB"),
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
    result.stdout.fnmatch_lines(["verdict: ready; * passed; no report written"])
    assert "reports: reports/ghes.html" not in result.stdout.str()


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


# -- round two: any string, any size, any signal -----------------------------------------

HOSTILE_TEXT = "a\ud800b\u0001c\x1b[2J\rd\n::stop-commands::x\n::error title=forged::all fine"


def _no_forged_lines(text: str) -> None:
    """No line the run printed is a workflow command but ours, nor moves the cursor."""
    for line in text.splitlines():
        if line.startswith("::"):
            assert line.startswith(("::error title=connector-checks",
                                    "::warning title=connector-checks")), line
    assert "\x1b" not in text and "\r" not in text and "\x01" not in text


def test_a_login_no_encoder_or_terminal_can_take_is_shown_and_every_report_is_written(
    site: Site, run_connector: Any, pytester: pytest.Pytester
) -> None:
    site.world.accounts[site.token] = Account(HOSTILE_TEXT, ALL_SCOPES,
                                              {"acme": ("member", "active")})
    site.monkeypatch.setenv("GITHUB_ACTIONS", "true")
    site.monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(pytester.path / "summary.md"))
    run = run_connector(*site.args(site.https()), *LOUD, "--bundle", "ticket.zip", cache=True)
    assert run.result.ret == 0  # a member, not an owner: a warning
    assert run.verdict("auth.token[ghes]") == ("passed", None)
    message = run.checks["auth.token[ghes]"]["message"]
    assert "a\ufffdb\\x01c\\x1b[2J\\rd\\n::stop-commands::x\\n::error" in message
    assert "Traceback" not in run.text and "harness.error" not in run.text
    _no_forged_lines(run.text)
    written = everything_written(pytester.path)
    for path in (pytester.path / "reports").iterdir():
        assert "\x1b" not in path.read_text(), path
    assert zipfile.ZipFile(pytester.path / "ticket.zip").testzip() is None
    no_secret([site.token], run.text, written)


def test_an_error_message_with_a_control_character_leaves_junit_valid_xml(
    site: Site, run_connector: Any, pytester: pytest.Pytester
) -> None:
    site.world.accounts[site.token].refusal = (401, {}, {"message": "Bad\u0001 cred\ud800entials"})
    run = run_connector(*site.args(site.https()))
    assert run.verdict("auth.token[ghes]")[0] == "failed"
    junit = ET.parse(pytester.path / "reports" / "ghes.junit.xml")
    failure = next(c for c in junit.iter("testcase") if c.get("name") == "auth.token[ghes]")
    assert "Bad\\x01 cred\ufffdentials" in ET.tostring(failure, encoding="unicode")


def test_deeply_nested_json_is_an_unexpected_response_and_is_still_recorded(
    site: Site, run_connector: Any, pytester: pytest.Pytester, stop: threading.Event
) -> None:
    context = server_context(site.directory, site.pki.public_chain(HOST))
    deep = hostile.raw(200, "application/json", b"[" * 100_000 + b"]" * 100_000)
    port = site.stack.enter_context(serve_https(hostile.handler_for(deep, stop), context)).port
    run = run_connector(*site.args(port), *LOUD, "--bundle", "ticket.zip")
    assert run.verdict(API) == ("failed", "http.unexpected_response")
    assert "Traceback" not in run.text and run.result.ret == 1
    recorded = json.loads((pytester.path / "recorded-ghes.json").read_text())
    assert recorded["expect"][0]["reason"] == "http.unexpected_response"
    assert "recordings/recorded-ghes.json" in zipfile.ZipFile(pytester.path / "ticket.zip").namelist()


def test_a_fragment_of_the_token_never_leaves_even_when_the_server_cuts_or_quotes_it(
    site: Site, run_connector: Any, pytester: pytest.Pytester, stop: threading.Event
) -> None:
    # /meta echoes the Authorization header past padding, so the 200-character excerpt cuts
    # the token; /user (a different server) quotes its first 16 characters in a 401.
    token = site.token
    echoed = ("x" * 180 + f" Authorization: token {token}").encode()
    context = server_context(site.directory, site.pki.public_chain(HOST))
    reflect = hostile.raw(200, "text/html", echoed)
    port = site.stack.enter_context(serve_https(hostile.handler_for(reflect, stop), context)).port
    run = run_connector(*site.args(port), *LOUD, cache=True)
    assert run.verdict(API) == ("failed", "http.unexpected_response")
    assert token[:4] + token[4:8] not in run.checks[API]["message"]
    site.world.accounts[token].refusal = (401, {}, {"message": f"Bad credentials: {token[:16]}…"})
    again = run_connector(*site.args(site.https()), *LOUD, cache=True)
    assert again.verdict("auth.token[ghes]")[0] == "failed"
    fragments = [token[start:start + 8] for start in range(len(token) - 7)]
    for text in (run.text, again.text, everything_written(pytester.path)):
        assert not [f for f in fragments if f in text]


def test_the_whole_run_ends_at_its_deadline_with_a_verdict_for_every_check(
    site: Site, run_connector: Any, pytester: pytest.Pytester, stop: threading.Event
) -> None:
    context = server_context(site.directory, site.pki.public_chain(HOST))
    port = site.stack.enter_context(serve_https(hostile.handler_for(hostile.drip_headers, stop),
                                                context)).port
    run = run_connector(*site.args(port), "--check-timeout", "30", "--run-timeout", "1",
                        cache=True)
    assert run.verdict(API) == ("failed", "harness.deadline")
    assert run.verdict("auth.token[ghes]") == ("failed", "harness.deadline")
    assert all(run.verdict(check) == ("passed", None) for check in NETWORK)
    assert "--run-timeout 1 s" in run.checks[API]["message"]
    assert run.result.ret == 1
    everything_written(pytester.path)


def test_waits_for_rate_limits_add_up_to_max_wait_for_the_whole_run(
    app_site: AppSite, run_connector: Any  # noqa: F811
) -> None:
    # Every path answers its first request 429 with Retry-After 2; the run may wait 3 s in
    # all: the first pause is honoured, and a pause that would pass the budget is reported.
    app_site.world.retry_after = 2
    run = run_connector(*app_site.args("--max-wait", "3"), connector="github-app")
    limited = [c for c in run.report["checks"] if c["reason"] == "http.rate_limited"]
    assert limited, run.text
    assert run.report["duration_s"] < 3 + 2 * 2  # the budget, and a request or two


def test_pages_named_only_by_next_are_all_followed_within_max_pages(
    app_site: AppSite, run_connector: Any  # noqa: F811
) -> None:
    app_site.world.links = "next"
    app_site.world.installations = [Installation(n, f"org{n:03}", dict(READ))
                                     for n in range(1, 251)]
    run = run_connector(*app_site.args("--max-installations", "300"), connector="github-app")
    active = [c for c in run.report["checks"] if c["requirement"] == "app.installation_active"]
    assert len(active) == 250
    assert "installed on 250 accounts" in run.checks["app.installed[123456]"]["message"]
    limited = run_connector(*app_site.args("--max-pages", "2", "--report-dir", "two"),
                            connector="github-app")
    assert limited.verdict("app.installed[123456]") == ("failed", "http.too_many_pages")


def test_installations_past_max_installations_are_counted_and_named_not_dropped(
    app_site: AppSite, run_connector: Any  # noqa: F811
) -> None:
    app_site.world.page_size = 3000  # one page holds every installation, as a hostile API may
    app_site.world.installations = [Installation(n, f"org{n:04}", dict(READ), suspended=True)
                                    for n in range(1, 3001)]
    run = run_connector(*app_site.args("--max-installations", "40"), connector="github-app")
    active = [c for c in run.report["checks"] if c["requirement"] == "app.installation_active"]
    assert len(active) == 41
    beyond = run.checks["app.installation_active[2960 more]"]
    assert (beyond["outcome"], beyond["reason"]) == ("warning", "app.not_checked")
    assert "2960 of 3000 installations were not checked" in beyond["message"]
    assert "org0041" in beyond["message"]
    assert "installed on 3000 accounts" in run.checks["app.installed[123456]"]["message"]


def test_a_non_ascii_digit_in_the_link_header_is_evidence_not_a_crash(
    app_site: AppSite, run_connector: Any  # noqa: F811
) -> None:
    app_site.world.last_page = "²"
    run = run_connector(*app_site.args(), connector="github-app")
    assert run.verdict("app.installed[123456]") == ("failed", "http.unexpected_response")
    assert "harness.error" not in run.text


def test_a_null_login_is_an_unexpected_response(site: Site, run_connector: Any) -> None:
    site.world.accounts[site.token] = Account(None, ALL_SCOPES)  # type: ignore[arg-type]
    run = run_connector(*site.args(site.https()))
    assert run.verdict("auth.token[ghes]") == ("failed", "http.unexpected_response")
    assert "belongs to None" not in run.text


def test_a_reset_mid_body_says_what_happened(
    site: Site, run_connector: Any, stop: threading.Event
) -> None:
    context = server_context(site.directory, site.pki.public_chain(HOST))
    port = site.stack.enter_context(
        serve_https(hostile.handler_for(hostile.reset_mid_body, stop), context)).port
    run = run_connector(*site.args(port))
    check = run.checks[API]
    assert (check["outcome"], check["reason"]) == ("failed", "http.connection_failed")
    assert not check["message"].endswith(": "), check["message"]
    assert check["evidence"]["error"].split(": ", 1)[1].strip()


def test_a_proxy_answering_connect_with_a_page_says_what_happened(
    site: Site, run_connector: Any
) -> None:
    page = b"<html><body>Welcome to the guest network</body></html>"
    answer = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: "
              + str(len(page)).encode() + b"\r\n\r\n" + page)
    with connect_proxy(answer=answer) as proxy:
        site.monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        run = run_connector(*site.args(site.https()))
    check = run.checks["proxy.tunnel[github.example.com:443]"]
    assert (check["outcome"], check["reason"]) == ("failed", "proxy.protocol")
    assert "instead of opening a tunnel" in check["message"]
    assert "Welcome to the guest network" in check["message"]
    assert run.checks[API]["outcome"] == "skipped"


def test_a_harness_error_exits_3(
    site: Site, run_connector: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from checks.connectors.github import api as github

    def broken(exchange: object) -> None:
        raise RuntimeError("an evaluator broke")

    monkeypatch.setattr(github, "meta", broken)
    run = run_connector(*site.args(site.https()), replay=False)
    assert run.verdict("harness[ghes]") == ("error", "harness.error")
    assert run.result.ret == pytest.ExitCode.INTERNAL_ERROR


def test_a_full_disk_midway_through_the_set_leaves_every_earlier_report_whole(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert pytester.runpytest("-p", "no:cacheprovider", "--connector", "ghes",
                              "--offline").ret == 0
    reports = pytester.path / "reports"
    before = {p.name: p.read_bytes() for p in reports.iterdir()}
    from checks import html_page

    def full(document: object) -> Iterator[str]:
        yield "<!doctype html>"
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(html_page, "render", full)
    result = pytester.runpytest("-p", "no:cacheprovider", "--connector", "ghes", "--offline")
    assert result.ret == pytest.ExitCode.INTERNAL_ERROR
    result.stdout.fnmatch_lines(["connector-checks: the reports could not be written in "
                                 "reports/: No space left on device; nothing of this run was "
                                 "written; earlier reports there are untouched"])
    assert {p.name: p.read_bytes() for p in reports.iterdir()} == before
    assert "reports: reports/ghes.html" not in result.stdout.str()


def test_concurrent_runs_into_one_folder_leave_one_runs_set(pytester: pytest.Pytester) -> None:
    for _ in range(3):
        runs = [pytester.popen([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                                "--connector", "ghes", "--offline", "-q"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                for _ in range(4)]
        assert [run.wait() for run in runs] == [0] * 4
        reports = pytester.path / "reports"
        run_id = json.loads((reports / "ghes.json").read_text())["run_id"]
        assert run_id in (reports / "ghes.html").read_text()
        suite = ET.parse(reports / "ghes.junit.xml").getroot().find("testsuite")
        assert suite is not None
        assert {p.get("name"): p.get("value") for p in suite.iter("property")}["run_id"] == run_id
        assert not [p for p in reports.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("signal_number", [signal.SIGINT, signal.SIGTERM],
                         ids=["SIGINT", "SIGTERM"])
def test_a_signal_while_probing_writes_every_verdict_reached_and_no_recording(
    site: Site, pytester: pytest.Pytester, signal_number: int
) -> None:
    site.world.meta = "hang"
    arrived = threading.Event()
    original = site.world.released

    class Announcing(threading.Event):
        def wait(self, timeout: float | None = None) -> bool:
            arrived.set()  # the API was asked: DNS, TCP and TLS are decided
            return original.wait(timeout)

    site.world.released = Announcing()
    port = site.https()
    earlier = pytester.path / "rec.json"
    earlier.write_text('{"an earlier": "recording"}')
    (pytester.path / "reports").mkdir()
    (pytester.path / "reports" / "ghes.json").write_text('{"an earlier": "run, all passed"}')
    output = pytester.path / "output.txt"
    with output.open("wb") as sink:
        child = subprocess.Popen([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                                  "--connector", "ghes", *site.args(port), "--check-timeout",
                                  "60", "--record", str(earlier)], cwd=pytester.path,
                                 stdin=subprocess.DEVNULL, stdout=sink, stderr=sink)
        assert arrived.wait(60), "the run reached the API"
        signalled = time.monotonic()
        child.send_signal(signal_number)
        child.wait(timeout=60)
        # The hanging request is cancelled at once, not when its 60 s timeout ends (a bound
        # far above what it takes, far below the timeout: not a measure of speed).
        assert time.monotonic() - signalled < 20
    site.world.released.set()
    out = output.read_bytes()
    assert child.returncode == pytest.ExitCode.INTERRUPTED, out.decode()
    report = json.loads((pytester.path / "reports" / "ghes.json").read_text())
    assert report["interrupted"] is True
    outcomes = {c["id"]: c["outcome"] for c in report["checks"]}
    assert outcomes, out.decode()
    assert all(outcomes[check] == "passed" for check in NETWORK), outcomes
    assert outcomes[API] == "not_run" and outcomes["auth.token[ghes]"] == "not_run"
    assert not earlier.exists()
    assert b"no recording was written" in out
