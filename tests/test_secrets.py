"""Secrets never appear in any output: terminal at any verbosity, -l tracebacks, DEBUG logs,
HTML, JSON, JUnit. Known secrets are planted and every output is scanned for them."""

from __future__ import annotations

import pickle
import re
import secrets
import zipfile
from contextlib import ExitStack
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from checks.model.secret import Redactor, Secret, mask, secret_from_env
from checks.scenario import bundled_names
from tests.conftest import Runner, Site, fake_token
from tests.pki import Pki

# Everything pytest shows or writes on request, pytest's own JUnit XML among it.
LOUD = ("-vv", "-l", "--log-level=DEBUG", "-rA", "--junitxml=pytest-junit.xml")


def _outputs(run_text: str, reports: Path) -> dict[str, str]:
    """The terminal, the reports, pytest's own JUnit XML, and what a live run also wrote
    beside them: its recording, the replay's reports, a bundle's every file."""
    found = {"terminal": run_text}
    files = [*reports.iterdir(), *reports.parent.glob("recorded-*.json"),
             *(reports.parent / "replayed").glob("*"), *reports.parent.glob("*.zip"),
             *reports.parent.glob("pytest-junit.xml")]
    for path in files:
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as archive:
                found.update({f"{path.name}:{name}": archive.read(name).decode()
                              for name in archive.namelist()})
        else:
            found[str(path.relative_to(reports.parent))] = path.read_text(encoding="utf-8")
    return found


def _plant(monkeypatch: pytest.MonkeyPatch, token: str) -> list[str]:
    client_secret = secrets.token_hex(20)
    monkeypatch.setenv("CONNECTOR_GHES_TOKEN", token)
    monkeypatch.setenv("CONNECTOR_GHES_OAUTH_CLIENT_ID", "Iv1.0a1b2c3d4e5f6a7b")
    monkeypatch.setenv("CONNECTOR_GHES_OAUTH_CLIENT_SECRET", client_secret)
    return [token, client_secret]


@pytest.mark.parametrize("name", bundled_names("ghes"))
@pytest.mark.parametrize("prefix", ["ghp_", "github_pat_", ""])
def test_no_planted_secret_appears_in_any_offline_output(
    name: str, prefix: str, run_connector: Runner, pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    token = fake_token(prefix) if prefix else secrets.token_hex(20)
    planted = _plant(monkeypatch, token)
    run = run_connector("--offline", "--scenario", name, *LOUD)
    outputs = _outputs(run.text, pytester.path / "reports")
    assert sorted(outputs) == ["pytest-junit.xml", "reports/ghes.html", "reports/ghes.json",
                               "reports/ghes.junit.xml", "terminal"]
    for where, text in outputs.items():
        for secret in planted:
            assert secret not in text, f"a planted secret leaked into {where}"
    if any(c["id"] == "auth.token[ghes]" and c["outcome"] != "skipped"
           for c in run.report["checks"]):
        assert mask(token) in outputs["reports/ghes.json"]  # the token was used, and shown masked


LIVE_CASES = ["healthy", "rejected token", "rejected oauth secret"]


@pytest.mark.parametrize("case", LIVE_CASES)
def test_no_planted_secret_appears_in_any_live_output(
    case: str, site: Site, run_connector: Runner, pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    token = fake_token()
    planted = _plant(monkeypatch, token)
    if case != "rejected token":
        site.world.accounts[token] = site.world.accounts[site.token]
    if case != "rejected oauth secret":
        site.world.oauth_clients["Iv1.0a1b2c3d4e5f6a7b"] = planted[1]
    run = run_connector(*site.args(site.https()), *LOUD, "--bundle", "ticket.zip")
    expected = {"healthy": "passed", "rejected token": "failed",
                "rejected oauth secret": "passed"}[case]
    assert run.verdict("auth.token[ghes]")[0] == expected
    for where, text in _outputs(run.text, pytester.path / "reports").items():
        for secret in planted:
            assert secret not in text, f"a planted secret leaked into {where}"


def test_a_secret_shows_its_prefix_and_last_four_only() -> None:
    token = "ghp_" + "a" * 32 + "WXYZ"
    secret = Secret(token, "CONNECTOR_GHES_TOKEN")
    assert mask(token) == "ghp_…WXYZ"
    assert repr(secret) == str(secret) == "Secret(CONNECTOR_GHES_TOKEN: ghp_…WXYZ)"
    assert mask("short") == "****"
    with pytest.raises(TypeError):
        pickle.dumps(secret)


def test_redaction_works_by_value_and_by_shape() -> None:
    value = "custom-" + secrets.token_hex(16)
    redact = Redactor([Secret(value, "X")])
    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiIxMjMifQ.c2lnbmF0dXJlLXN0YW5kLWlu"
    text = redact(f"value {value}; shaped {fake_token()} and {jwt}; Authorization: token abc123")
    assert value not in text and "ghp_" + "…" in text and jwt not in text
    assert "abc123" not in text
    key_text = "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----"
    assert "MIIB" not in redact(key_text)


def test_secrets_come_from_the_environment_or_a_file(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text("  file-token-" + "9" * 20 + "\n")
    assert secret_from_env("T", {"T": "  "}) is None
    from_file = secret_from_env("T", {"T_FILE": str(path)})
    assert from_file is not None and from_file.reveal() == "file-token-" + "9" * 20
    assert from_file.source == "T_FILE"


JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
KEY_BLOCK = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")


def _key_lines(pem_text: str) -> list[str]:
    return [line for line in pem_text.splitlines() if line and not line.startswith("-----")]


@pytest.mark.parametrize("name", bundled_names("github-app"))
def test_no_key_jwt_or_installation_token_appears_in_any_offline_app_output(
    name: str, run_connector: Runner, pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CONNECTOR_GITHUB_APP_ID", raising=False)
    monkeypatch.delenv("CONNECTOR_GITHUB_APP_PRIVATE_KEY_FILE", raising=False)
    key = rsa.generate_private_key(65537, 2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode()
    if name not in ("ec-key",):
        monkeypatch.setenv("CONNECTOR_GITHUB_APP_PRIVATE_KEY", key)
    run = run_connector("--offline", "--scenario", name, *LOUD, connector="github-app")
    minted = [f"ghs_stand-in.{login}" for login in
              {c["parameter"] for c in run.report["checks"]
               if c["requirement"] == "app.repositories"}]
    for where, text in _outputs(run.text, pytester.path / "reports").items():
        assert not JWT_SHAPE.search(text), f"a JWT leaked into {where}"
        assert not KEY_BLOCK.search(text), f"a private key leaked into {where}"
        assert not any(line in text for line in _key_lines(key)), f"key text in {where}"
        assert not any(token in text for token in minted), f"a token leaked into {where}"


def test_no_key_jwt_or_installation_token_appears_in_any_live_app_output(
    pytester: pytest.Pytester, run_connector: Runner, monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path, pki: Pki,
) -> None:
    from tests.test_live_github_app import READ, AppSite, Keys

    keys = Keys(rsa.generate_private_key(65537, 2048), rsa.generate_private_key(65537, 2048),
                rsa.generate_private_key(65537, 1024), ec.generate_private_key(ec.SECP256R1()))
    with ExitStack() as stack:
        site = AppSite(pki, keys, tmp_path, stack, monkeypatch)
        site.world.installations[1].permissions = {k: v for k, v in READ.items()
                                                   if k != "deployments"}
        run = run_connector(*site.args(*LOUD, "--bundle", "ticket.zip"), connector="github-app")
        key_text = (tmp_path / "app.pem").read_text()
    assert run.report["summary"]["failed"] == 1  # globex lacks deployments: a failure is shown
    secrets_seen = [*site.world.jwts, *site.world.tokens]
    assert len(site.world.jwts) >= 3 and len(site.world.tokens) == 2
    for where, text in _outputs(run.text, pytester.path / "reports").items():
        for secret in secrets_seen:
            assert secret not in text, f"a JWT or installation token leaked into {where}"
        assert not any(line in text for line in _key_lines(key_text)), f"key text in {where}"


@pytest.mark.parametrize(("connector", "name"), [(c, n) for c in ("github", "gitlab")
                                                 for n in bundled_names(c)])
@pytest.mark.parametrize("token", ["ghp_", "github_pat_", "glpat-", "acme-", ""])
def test_no_planted_token_appears_in_any_github_or_gitlab_output(
    connector: str, name: str, token: str, run_connector: Runner, pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    planted = token + secrets.token_hex(20)  # "acme-": a self-managed GitLab's custom prefix
    variable = f"CONNECTOR_{connector.upper()}_TOKEN"
    monkeypatch.setenv(variable, planted)
    run = run_connector("--offline", "--scenario", name, *LOUD, connector=connector)
    for where, text in _outputs(run.text, pytester.path / "reports").items():
        assert planted not in text, f"the token leaked into {where}"
    if run.checks[f"auth.token[{connector}]"]["outcome"] != "skipped":
        assert mask(planted) in run.text  # it was used, and shown masked


def test_gitlab_private_token_headers_are_redacted_by_shape() -> None:
    value = "acme-" + secrets.token_hex(16)
    assert value not in Redactor()(f"headers: {{'PRIVATE-TOKEN': '{value}'}}; "
                                   f"PRIVATE-TOKEN: {value}")


def test_credential_headers_keep_their_name_in_any_case_and_lose_their_value() -> None:
    value = "v" + secrets.token_hex(16)
    redact = Redactor()
    for header in ("authorization: bearer", "Authorization: Token", "AUTHORIZATION: basic"):
        text = redact(f"{header} {value}\n")
        assert value not in text and text.startswith(header.split(" ")[0] + " ")
    assert redact(f"private-token: {value}") == f"private-token: {mask(value)}"
    assert redact(f"{{'Private-Token': '{value}'}}") == f"{{'Private-Token': '{mask(value)}'}}"


def test_credential_shapes_match_at_a_word_boundary_only() -> None:
    token = "ghp_" + "A" * 36
    redact = Redactor()
    assert redact(f"({token})") == f"({mask(token)})"
    assert redact(f"x{token}") == f"x{token}"  # part of a longer word: not a token
    assert redact(token) == mask(token)  # at the very start of the text
    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiIxMjMifQ.c2lnbmF0dXJl"
    assert redact(f"Bearer={jwt}") == f"Bearer={mask(jwt)}"
    assert redact(f"abc{jwt}") == f"abc{jwt}"


def test_a_bundle_holds_the_reports_the_recording_and_how_to_replay_it(
    site: Site, run_connector: Runner, pytester: pytest.Pytester
) -> None:
    run_connector(*site.args(site.https()), "--bundle", "ticket.zip", "--record", "live.json",
                  replay=False)
    with zipfile.ZipFile(pytester.path / "ticket.zip") as archive:
        names = sorted(archive.namelist())
        readme = archive.read("README.txt").decode()
        recording = archive.read("recordings/live.json").decode()
    assert names == ["README.txt", "recordings/live.json", "reports/ghes.html",
                     "reports/ghes.json", "reports/ghes.junit.xml"]
    assert "--connector ghes --offline --scenario=recordings/live.json --report-dir=replayed" \
        in readme
    assert site.token not in recording and '"CONNECTOR_GHES_TOKEN": "ghp_"' in recording
    assert "Authorization" not in recording


def test_data_is_redacted_in_one_pass_with_stand_ins_for_the_tokens_named() -> None:
    token, other = "ghs_" + secrets.token_hex(18), "custom-" + secrets.token_hex(16)
    redact = Redactor([Secret(token, "T"), Secret(other, "O")])
    data = {"token": token, "seen": [f"uses {token}", {"why": f"{other} too"}], "n": 3}
    assert redact.data(data, instead={token: "ghs_stand-in.1"}) == {
        "token": "ghs_stand-in.1", "seen": ["uses ghs_stand-in.1", {"why": f"{mask(other)} too"}],
        "n": 3}
    assert redact.data(data)["token"] == mask(token)


def test_data_whose_masked_text_would_not_be_json_is_redacted_string_by_string() -> None:
    # In JSON text the escaped backslash is two characters: the header value's last four
    # keep only the second, which would start an invalid escape.
    value = "abcdefghijklmnop\\xyz"
    assert Redactor().data({"h": f"Authorization: token {value}"}) == {
        "h": f"Authorization: {mask('token ' + value)}"}


def test_any_run_of_eight_characters_of_a_secret_is_masked_at_any_offset() -> None:
    token = "ghp_" + "Ab3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6"
    redact = Redactor([Secret(token, "CONNECTOR_GHES_TOKEN")])
    for start in range(len(token) - 7):
        for end in range(start + 8, len(token) + 1):
            piece = token[start:end]
            shown = redact(f"<p>…{piece}…</p>")
            assert not [token[n:n + 8] for n in range(len(token) - 7) if token[n:n + 8] in shown]
    assert redact(f"Bad credentials: {token[:16]}") == "Bad credentials: ghp_…hJ6"[:-3] + \
        token[-4:]
    assert redact(token[:7]) == token[:7]  # shorter than eight: no secret is told by it
    two = redact(f"{token[2:12]} and {token[20:30]}")
    assert token[2:12] not in two and token[20:30] not in two and " and " in two


def test_a_stand_in_and_a_minted_token_are_masked_whole_not_in_fragments() -> None:
    stand_in = "ghp_" + "0" * 32 + "oken"
    redact = Redactor([Secret(stand_in, "CONNECTOR_GHES_TOKEN (scenario)", stand_in=True)])
    redact.add(Secret("ghs_" + "7" * 36, "installation token"), fragments=False)
    assert redact("serial 00000000000000001, 777777777777") == \
        "serial 00000000000000001, 777777777777"
    assert stand_in not in redact(f"token {stand_in}")


def test_a_lone_surrogate_becomes_a_replacement_character_in_everything_redacted() -> None:
    redact = Redactor()
    assert redact("login a\ud800b") == "login a\ufffdb"
    assert redact.data({"login": "a\udfffb"}) == {"login": "a\ufffdb"}


def test_a_fragment_that_spells_a_reports_key_never_changes_the_key() -> None:
    redact = Redactor([Secret("connector-" + "p4ss" * 4, "HTTPS_PROXY credentials")])
    document = {"connector": "ghes", "message": "proxy said connector-p4ssp4ss"}
    cleaned = redact.data(document)
    assert list(cleaned) == ["connector", "message"] and cleaned["connector"] == "ghes"
    assert "connector-p4ss" not in cleaned["message"]
