"""The HTML report as a person sees it: Debian's Chromium, headless, JavaScript off. The
verdict, the fix-first list and each failed check's message and fix are on the page itself,
and the page asks for no URL but its own file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tools import browser

SCENARIOS = ("firewall-blocked", "private-ca", "missing-scopes")


def report(pytester: pytest.Pytester, scenario: str) -> tuple[Path, dict[str, Any]]:
    result = pytester.runpytest("-p", "no:cacheprovider", "--connector", "ghes", "--offline",
                                "--scenario", scenario)
    assert result.ret == 1
    folder = pytester.path / "reports"
    return folder / "ghes.html", json.loads((folder / "ghes.json").read_text())


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_a_reader_without_javascript_sees_the_verdict_and_every_fix(
    pytester: pytest.Pytester, tmp_path: Path, scenario: str
) -> None:
    page, document = report(pytester, scenario)
    net_log = tmp_path / "net.json"
    text = browser.visible_text(browser.dom(page, net_log))
    assert "Verdict: not ready" in text and "Fix first" in text
    assert "OFFLINE SCENARIO" in text and scenario in text
    failed = [c for c in document["checks"] if c["outcome"] == "failed"]
    assert failed
    for check in failed:
        assert " ".join(check["message"].split()) in text, check["id"]
        assert " ".join(check["remediation"].split()) in text, check["id"]
    assert browser.page_requests(net_log) == []


def test_the_browser_in_these_tests_runs_no_script(tmp_path: Path) -> None:
    page = tmp_path / "script.html"
    page.write_text('<p id="x">no script ran</p><script>document.getElementById("x")'
                    '.textContent = "a script ran"</script>')
    assert "no script ran" in browser.visible_text(browser.dom(page))


def test_a_request_the_page_makes_would_be_seen(tmp_path: Path) -> None:
    page = tmp_path / "image.html"
    page.write_text('<img src="http://127.0.0.1:9/tracker.png"><p>text</p>')
    net_log = tmp_path / "net.json"
    browser.dom(page, net_log)
    assert browser.page_requests(net_log) == ["http://127.0.0.1:9/tracker.png"]


def test_the_page_names_no_external_resource(pytester: pytest.Pytester) -> None:
    page, _ = report(pytester, "missing-scopes")
    html = page.read_text()
    for needle in ("src=", "href=", "url(", "@import", "<script", "<link"):
        assert needle not in html


def test_a_replayed_recording_is_marked_with_where_and_when_it_was_made(
    pytester: pytest.Pytester
) -> None:
    from checks.scenario import load

    data = load("ghes", "healthy").data
    data["recorded"] = {"at": "2026-11-20T08:00:00+00:00", "tool_version": "0.1.0",
                        "vantage": {"machine": "build-7", "label": "vendor side",
                                    "local_address": "203.0.113.9", "resolvers": "system",
                                    "proxy": "none"}}
    path = pytester.path / "recorded.json"
    path.write_text(json.dumps(data))
    pytester.runpytest("-p", "no:cacheprovider", "--connector", "ghes", "--offline",
                       "--scenario", str(path))
    text = browser.visible_text((pytester.path / "reports" / "ghes.html").read_text())
    assert "REPLAYED RECORDING" in text
    assert "recording made on 2026-11-20T08:00:00+00:00 from vendor side (build-7)" in text
    document = json.loads((pytester.path / "reports" / "ghes.json").read_text())
    assert document["replay_of"]["vantage"]["label"] == "vendor side"
    assert document["vantage"]["local_address"] == "203.0.113.9"


def test_five_missing_scopes_are_one_instruction_in_fix_first(pytester: pytest.Pytester) -> None:
    page, _ = report(pytester, "missing-scopes")
    text = browser.visible_text(page.read_text())
    assert "5 × scopes.granted (scopes.missing)" in text
    assert "not met for admin:org, admin:repo_hook, admin:org_hook, user, read:user" in text


def test_a_large_run_folds_its_passes_per_group(pytester: pytest.Pytester,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONNECTOR_GITHUB_APP_ID", raising=False)
    result = pytester.runpytest("-p", "no:cacheprovider", "--connector", "github-app",
                                "--offline", "--scenario", "many-installations")
    assert result.ret in (0, 1)
    html = (pytester.path / "reports" / "github-app.html").read_text()
    assert "more checks passed</summary>" in html
    assert len(html) < 2_000_000


# -- the drawings, laid out by the browser -----------------------------------------------------

PAGE_CASES = ("healthy", "firewall-blocked", "expired-certificate", "nonconformant-chain",
              "incomplete-chain", "private-ca")


@pytest.mark.parametrize("width", [1100, 720])
def test_no_text_of_any_drawing_overlaps_another_at_two_widths(
    pytester: pytest.Pytester, tmp_path: Path, width: int
) -> None:
    for scenario in PAGE_CASES:
        pytester.runpytest("-p", "no:cacheprovider", "--connector", "ghes", "--offline",
                           "--scenario", scenario, "--report-dir", scenario)
        page = pytester.path / scenario / "ghes.html"
        boxes = browser.text_boxes(page, width)
        assert boxes, scenario  # the chain and the timing were drawn and measured
        assert browser.overlaps(boxes) == [], scenario
        png = browser.screenshot(page, tmp_path / f"{scenario}-{width}.png", width=width)
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_warning_is_drawn_as_a_warning_and_the_anchor_is_never_cut_mid_word(
    pytester: pytest.Pytester
) -> None:
    pytester.runpytest("-p", "no:cacheprovider", "--connector", "ghes", "--offline",
                       "--scenario", "nonconformant-chain")
    html = (pytester.path / "reports" / "ghes.html").read_text()
    assert "⚠ the chain warns: tls.nonconformant" in html
    assert "the chain breaks here" not in html
    from checks.html_page import fit

    anchor = "anchor: CN=Acme Corp Internal Root CA,O=connector-checks tests (private CA from " \
             "the CA bundle recorded in scenario private-ca)"
    shown = fit(anchor, 100)
    assert shown.endswith("…") and anchor.startswith(shown[:-1])
    assert anchor[len(shown) - 1] in " ,/"  # cut where a word ends


def test_a_replay_draws_the_durations_it_recorded(pytester: pytest.Pytester) -> None:
    pytester.runpytest("-p", "no:cacheprovider", "--connector", "ghes", "--offline",
                       "--scenario", "firewall-blocked")
    document = json.loads((pytester.path / "reports" / "ghes.json").read_text())
    tcp = [p for p in document["probes"] if p["kind"] == "tcp"]
    assert tcp and all(p["elapsed_s"] == 5.0 for p in tcp)  # as recorded, not 0
    assert "5000 ms timeout" in (pytester.path / "reports" / "ghes.html").read_text()


def test_skips_of_one_root_cause_are_one_line_and_required_by_names_the_guide(
    pytester: pytest.Pytester
) -> None:
    page, _ = report(pytester, "firewall-blocked")
    text = browser.visible_text(page.read_text())
    assert "7 checks not checked: tcp.reachable[93.184.215.14:443] failed (tcp.timeout)" in text
    assert "scopes.granted[repo]" not in text  # folded: listed only when the line is opened
    assert 'Required by: Flow\'s guide "GitHub Enterprise Server setup"' in text
    assert "seed 003" not in page.read_text()


# -- what a newcomer read wrong on the page ------------------------------------------------

def _seen(pytester: pytest.Pytester, *args: str, connector: str = "ghes",
          folder: str = "reports") -> str:
    """The page of a run, as Chromium shows it with JavaScript off."""
    pytester.runpytest("-p", "no:cacheprovider", "--connector", connector, "--offline",
                       "--report-dir", folder, *args)
    return browser.visible_text(browser.dom(pytester.path / folder / f"{connector}.html"))


def test_the_vendors_hosts_name_the_api_host_never_a_placeholder(
    pytester: pytest.Pytester
) -> None:
    text = _seen(pytester, connector="github-app")
    assert "the vendor connects to api.github.com" in text
    assert "{api}" not in text


def test_a_verdict_made_by_fail_on_warning_says_so(pytester: pytest.Pytester) -> None:
    text = _seen(pytester, "--scenario", "not-owner", "--fail-on", "warning")
    assert "Verdict: not ready (made so by --fail-on warning: 1 warning fails the gate; " \
           "nothing failed)" in text
    plain = _seen(pytester, "--scenario", "not-owner", folder="plain")
    assert "fail-on" not in plain


def test_an_offline_waterfall_draws_recorded_durations_on_the_recorded_time_axis(
    pytester: pytest.Pytester
) -> None:
    _seen(pytester)
    document = json.loads((pytester.path / "reports" / "ghes.json").read_text())
    assert all(p["elapsed_s"] > 0 for p in document["probes"]), document["probes"]

    def ends(kind: str) -> float:
        return float(max(p["started_s"] + p["elapsed_s"] for p in document["probes"]
                         if p["kind"] == kind))

    def starts(kind: str) -> float:
        return float(min(p["started_s"] for p in document["probes"] if p["kind"] == kind))

    # Each starts when what it waited for ended: TCP after DNS, TLS after TCP, HTTP after TLS.
    for before, after in (("dns", "tcp"), ("tcp", "tls"), ("tls", "http")):
        assert starts(after) >= ends(before) - 0.0005, (before, after, document["probes"])
    assert starts("tls") > 0
    html = (pytester.path / "reports" / "ghes.html").read_text()
    assert ">0 ms<" not in html and "45 ms" in html


def test_waterfall_labels_are_whole_and_dns_says_it_was_replayed(
    pytester: pytest.Pytester
) -> None:
    text = _seen(pytester)
    assert "http GET https://github.example.com/api/v3/user/memberships/orgs/acme" in text
    assert "dns github.example.com @ recorded answers" in text
    assert "@ system" not in text


def test_an_empty_selection_says_nothing_was_checked_not_nothing_to_fix(
    pytester: pytest.Pytester
) -> None:
    text = _seen(pytester, "-k", "no_such_check")
    assert "Nothing was checked" in text and "Nothing to fix" not in text


def test_an_offline_proxy_run_names_its_recorded_proxy_and_paths(
    pytester: pytest.Pytester
) -> None:
    text = _seen(pytester, "--scenario", "proxy-tls-inspection")
    assert "Proxy http://127.0.0.1:3128 (recorded)" in " ".join(text.split())
    assert "through http://127.0.0.1:3128 (recorded)" in text
    assert "every check: direct" not in text
    document = json.loads((pytester.path / "reports" / "ghes.json").read_text())
    for check in document["checks"]:
        if check["requirement"].startswith("proxy."):
            assert check["seed"].startswith("this machine's path to the server"), check["id"]
