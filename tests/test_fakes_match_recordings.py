"""Our loopback GitHub answers the way real GitHub did in the recorded exchanges."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import fake_token
from tests.pki import Pki
from tests.recorded import recording
from tests.servers import Account, GithubWorld, https_server, server_context


@pytest.fixture
def fake(pki: Pki, tmp_path: Path) -> Iterator[tuple[httpx.Client, str, str]]:
    classic, fine_grained = fake_token(), fake_token("github_pat_")
    world = GithubWorld(accounts={
        classic: Account("octocat", "admin:org, repo, user", {"acme": ("admin", "active")}),
        fine_grained: Account("octocat", None)})
    context = server_context(tmp_path, pki.public_chain("localhost"))
    with https_server(world, context) as listener:
        verify = ssl.create_default_context(cadata=pki.public_root.pem)
        with httpx.Client(base_url=f"https://localhost:{listener.port}", verify=verify) as client:
            yield client, classic, fine_grained


def _recorded_headers(name: str) -> dict[str, str]:
    return {k.lower(): v for k, v in recording(name)["response"]["headers"].items()}


def test_bad_credentials_match_the_recorded_401(fake: tuple[httpx.Client, str, str]) -> None:
    client, _, _ = fake
    ours = client.get("/api/v3/user", headers={"Authorization": "token nope"})
    theirs = recording("github/user-bad-credentials-401")["response"]
    assert ours.status_code == theirs["status"] == 401
    assert ours.headers["content-type"] == _recorded_headers(
        "github/user-bad-credentials-401")["content-type"]
    assert set(ours.json()) == set(theirs["body"]) and ours.json()["message"] == theirs[
        "body"]["message"]


def test_a_classic_token_carries_scope_headers_like_the_recording(
    fake: tuple[httpx.Client, str, str],
) -> None:
    client, classic, _ = fake
    ours = client.get("/api/v3/user", headers={"Authorization": f"token {classic}"})
    theirs = _recorded_headers("github/user-classic-scopes")
    assert ours.headers["x-oauth-scopes"].split(", ") == sorted(
        ours.headers["x-oauth-scopes"].split(", "))  # GitHub lists them sorted, comma-space
    assert theirs["x-oauth-scopes"].split(", ") == sorted(theirs["x-oauth-scopes"].split(", "))
    assert ours.headers["x-accepted-oauth-scopes"] == theirs["x-accepted-oauth-scopes"] == ""


def test_a_fine_grained_token_has_no_scope_header_like_the_recording(
    fake: tuple[httpx.Client, str, str],
) -> None:
    client, _, fine_grained = fake
    ours = client.get("/api/v3/user", headers={"Authorization": f"Bearer {fine_grained}"})
    assert "x-oauth-scopes" not in ours.headers
    assert "x-oauth-scopes" not in _recorded_headers("github/user-fine-grained-pat")


def test_the_membership_body_has_the_recorded_shape(fake: tuple[httpx.Client, str, str]) -> None:
    client, classic, _ = fake
    ours = client.get("/api/v3/user/memberships/orgs/acme",
                      headers={"Authorization": f"token {classic}"}).json()
    theirs = recording("github/user-membership-org-admin-active")["response"]["body"]
    assert set(ours) <= set(theirs)
    assert (ours["role"], ours["state"]) == (theirs["role"], theirs["state"]) == ("admin", "active")


def test_our_gitlab_answers_like_the_recorded_gitlab(pki: Pki, tmp_path: Path) -> None:
    from tests.fake_gitlab import GitlabToken, GitlabWorld, gitlab_handler
    from tests.servers import serve_https

    token = fake_token("glpat-")
    world = GitlabWorld(tokens={token: GitlabToken(["api"])})
    context = server_context(tmp_path, pki.public_chain("localhost"))
    verify = ssl.create_default_context(cadata=pki.public_root.pem)
    with serve_https(gitlab_handler(world), context) as listener, httpx.Client(
            base_url=f"https://localhost:{listener.port}", verify=verify) as client:
        refused = client.get("/api/v4/user", headers={"Authorization": "Bearer nope"})
        user = client.get("/api/v4/user", headers={"Authorization": f"Bearer {token}"})
    theirs_401 = recording("gitlab/user-401-unauthorized")["response"]
    assert (refused.status_code, refused.json()) == (theirs_401["status"], theirs_401["body"])
    theirs = recording("gitlab/user")["response"]["body"]
    assert set(user.json()) <= set(theirs) and user.json()["bot"] is False
