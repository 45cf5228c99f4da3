"""Profiles: a vendor's guide as a data file. A profile alone adds a vendor (two made-up ones
here, live on loopback and replayed offline); the bundled ones say what the connectors said
before profiles; every kind of mistake is one line and exit code 4."""

from __future__ import annotations

from pathlib import Path

import pytest

from checks.connectors import bundled_profile_names, connector_names, get_connector, load_profile
from checks.profiles import ProfileError
from tests.conftest import Runner, fake_token
from tests.fake_github_app import Installation
from tests.fake_gitlab import GitlabToken, GitlabWorld, gitlab_handler
from tests.test_live_github_app import READ, AppSite
from tests.test_live_github_app import app_site as app_site  # noqa: F401 (a fixture)
from tests.test_live_github_app import keys as keys  # noqa: F401 (a fixture)
from tests.test_live_tokens import Serve
from tests.test_live_tokens import serve as serve  # noqa: F401 (a fixture)

# An imaginary vendor on a GitHub App: it reads code and pull requests, nothing else (GitHub
# gives every app metadata read; the vendor lists it as the guide would).
ACME = """
name = "acme-review"
connector = "github-app"

[guide]
vendor = "Acme"
title = "Connect GitHub to Acme Review"
url = "https://docs.acme.example/github"
read = 2026-12-01

[network]
hosts = ["{api}"]
firewall = "Acme connects from 203.0.113.0/24 on port 443"

[credentials]
kinds = ["app"]
quote = "Create a GitHub App and give us its App ID and private key"

[permissions]
required = { contents = "read", pull_requests = "read", metadata = "read" }
least_privilege = true
quote = "The app needs read-only access to Contents and Pull requests, and nothing more"

[[endpoints]]
name = "pulls"
path = "/repos/{repo}/pulls?per_page=1"
quote = "Acme lists open pull requests"

[[endpoints]]
name = "contents"
path = "/repos/{repo}/contents/"
quote = "Acme reads the repository's files"

[vendor_codes]
"app.permission_missing" = "ACME-PERMISSIONS"
"app.not_installed" = "ACME-NOT-INSTALLED"
"""

# An imaginary vendor on a GitLab token that only reads the API.
REPO = Path(__file__).resolve().parent.parent

BEACON = """
name = "beacon-gitlab"
connector = "gitlab"

[guide]
vendor = "Beacon"
title = "GitLab integration"

[scopes]
required = ["read_api"]
least_privilege = true
quote = "Create a personal access token with the read_api scope only"

[[endpoints]]
name = "project"
path = "/projects/{repo}"
quote = "Beacon reads the project you connect"

[vendor_codes]
"scopes.missing" = "BEACON-SCOPE"
"api.endpoint_forbidden" = "BEACON-NO-ACCESS"
"""

ACME_INSTALLATION = {"contents": "read", "pull_requests": "read", "metadata": "read"}


def _errors(result: pytest.RunResult) -> list[str]:
    return [line for line in result.errlines if line]


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(text)
    return path


# -- a profile alone adds a vendor ---------------------------------------------------------

def test_a_github_app_vendor_written_as_a_profile_runs_live_and_replays_offline(
        app_site: AppSite, run_connector: Runner, tmp_path: Path) -> None:  # noqa: F811
    app_site.world.installations = [Installation(1, "acme", dict(ACME_INSTALLATION),
                                                 ["acme/api"])]
    profile = _write(tmp_path, "acme", ACME)
    # The runner records the live run and replays the recording offline: same verdicts.
    run = run_connector(*app_site.args("--profile", str(profile), "--repo", "acme/api"),
                        connector="github-app")
    assert run.result.ret == 0, run.result.outlines
    assert run.report["profile"]["name"] == "acme-review"
    assert run.report["profile"]["vendor"] == "Acme"
    assert {check["id"]: check["outcome"] for check in run.report["checks"]
            if check["requirement"] in ("app.permission", "app.endpoint")} == {
        "app.permission[acme:contents]": "passed",
        "app.permission[acme:pull_requests]": "passed",
        "app.permission[acme:metadata]": "passed",
        "app.endpoint[acme/api:pulls]": "passed",
        "app.endpoint[acme/api:contents]": "passed"}
    pulls = run.checks["app.endpoint[acme/api:pulls]"]
    assert pulls["message"] == "GET /repos/acme/api/pulls?per_page=1 answers 200"
    assert pulls["seed"] == ("Acme's guide \"Connect GitHub to Acme Review\": Acme lists open "
                             "pull requests; Acme reads the repository's files")
    tcp = next(c for c in run.report["checks"] if c["requirement"] == "tcp.reachable")
    assert tcp["seed"] == (
        "Acme's guide \"Connect GitHub to Acme Review\": Acme connects from 203.0.113.0/24 on "
        "port 443")
    assert "acme-review" in run.result.stdout.str()


def test_the_github_app_vendors_own_verdicts_codes_and_least_privilege_warnings(
        app_site: AppSite, run_connector: Runner, tmp_path: Path) -> None:  # noqa: F811
    # DX's six read permissions: no contents, and four the vendor does not need.
    app_site.world.installations = [Installation(1, "acme", dict(READ), ["acme/api"])]
    profile = _write(tmp_path, "acme", ACME)
    run = run_connector(*app_site.args("--profile", str(profile), "--repo", "acme/api"),
                        connector="github-app")
    assert run.result.ret == 1
    missing = run.checks["app.permission[acme:contents]"]
    assert (missing["outcome"], missing["reason"], missing["vendor_code"]) == (
        "failed", "app.permission_missing", "ACME-PERMISSIONS")
    excess = sorted(check["id"] for check in run.report["checks"]
                    if check["reason"] == "app.excess_permission")
    assert excess == ["app.permission[acme:actions]", "app.permission[acme:deployments]",
                      "app.permission[acme:issues]", "app.permission[acme:members]"]
    # The repository's files are refused to the installation: GitHub names the permission.
    contents = run.checks["app.endpoint[acme/api:contents]"]
    assert (contents["outcome"], contents["reason"]) == ("failed", "app.endpoint_forbidden")
    assert "vendor_code" not in contents  # Acme's profile gives no code for it (DX's does)
    assert "Contents: Read-only" in contents["message"]
    # DX's endpoints are DX's: none of them is checked for Acme.
    assert sorted(c["id"] for c in run.report["checks"] if c["requirement"] == "app.endpoint") == [
        "app.endpoint[acme/api:contents]", "app.endpoint[acme/api:pulls]"]


def test_a_gitlab_vendor_written_as_a_profile_runs_live_and_replays_offline(
        serve: Serve, run_connector: Runner, tmp_path: Path) -> None:  # noqa: F811
    profile = _write(tmp_path, "beacon", BEACON)
    value = fake_token("glpat-")
    world = GitlabWorld(tokens={value: GitlabToken(["read_api"])})
    serve.monkeypatch.setenv("CONNECTOR_GITLAB_TOKEN", value)
    run = run_connector(*serve.args("gitlab.com", gitlab_handler(world), "--profile",
                                    str(profile), "--repo", "acme/api"), connector="gitlab")
    assert run.result.ret == 0, run.result.outlines
    assert [(c["id"], c["outcome"]) for c in run.report["checks"]
            if c["requirement"].startswith(("scopes.", "api.endpoint"))] == [
        ("scopes.granted[read_api]", "passed"), ("scopes.least_privilege[gitlab]", "passed"),
        ("api.endpoint[acme/api:project]", "passed")]
    assert run.checks["api.endpoint[acme/api:project]"]["message"] == (
        "GET /projects/acme/api answers 200")
    assert run.checks["scopes.granted[read_api]"]["seed"] == (
        "Beacon's guide \"GitLab integration\": Create a personal access token with the "
        "read_api scope only")


def test_the_gitlab_vendors_own_verdicts_codes_and_least_privilege_warnings(
        serve: Serve, run_connector: Runner, tmp_path: Path) -> None:  # noqa: F811
    profile = _write(tmp_path, "beacon", BEACON)
    broad, narrow = fake_token("glpat-"), fake_token("glpat-")
    world = GitlabWorld(tokens={broad: GitlabToken(["read_api", "api", "write_repository"]),
                                narrow: GitlabToken(["read_user"])})
    serve.monkeypatch.setenv("CONNECTOR_GITLAB_TOKEN", broad)
    run = run_connector(*serve.args("gitlab.com", gitlab_handler(world), "--profile",
                                    str(profile), "--repo", "acme/api"), connector="gitlab")
    excess = run.checks["scopes.least_privilege[gitlab]"]
    assert (excess["outcome"], excess["reason"]) == ("warning", "scopes.excess")
    assert excess["evidence"]["excess"] == ["api", "write_repository"]

    serve.monkeypatch.setenv("CONNECTOR_GITLAB_TOKEN", narrow)
    run = run_connector(*serve.args("gitlab.com", gitlab_handler(world), "--profile",
                                    str(profile), "--repo", "acme/api"), connector="gitlab")
    assert run.result.ret == 1
    assert (run.verdict("scopes.granted[read_api]"),
            run.checks["scopes.granted[read_api]"]["vendor_code"]) == (
        ("failed", "scopes.missing"), "BEACON-SCOPE")
    endpoint = run.checks["api.endpoint[acme/api:project]"]
    assert (endpoint["outcome"], endpoint["reason"], endpoint["vendor_code"]) == (
        "failed", "api.endpoint_forbidden", "BEACON-NO-ACCESS")
    # Dynatrace's four scopes are Dynatrace's: none is asked of Beacon's token.
    assert [c["id"] for c in run.report["checks"] if c["requirement"] == "scopes.granted"] == [
        "scopes.granted[read_api]"]


def test_a_profile_replays_offline_from_its_recording_and_refuses_another_profile(
        app_site: AppSite, run_connector: Runner, pytester: pytest.Pytester,  # noqa: F811
        tmp_path: Path) -> None:
    app_site.world.installations = [Installation(1, "acme", dict(ACME_INSTALLATION),
                                                 ["acme/api"])]
    profile = _write(tmp_path, "acme", ACME)
    run_connector(*app_site.args("--profile", str(profile), "--repo", "acme/api"),
                  connector="github-app")
    recording = pytester.path / "recorded-github-app.json"
    profile.unlink()  # the recording holds the profile: the file is not needed to replay it
    replay = run_connector("--offline", "--scenario", str(recording), "--report-dir", "again",
                           connector="github-app")
    assert replay.report["profile"]["name"] == "acme-review"
    assert replay.result.ret == 0
    other = pytester.runpytest("--offline", "--scenario", str(recording),
                               "--profile", "dx-github-deployments")
    assert other.ret == pytest.ExitCode.USAGE_ERROR
    assert _errors(other) == [f"ERROR: scenario {recording.stem} was recorded with --profile "
                              f"acme-review, not dx-github-deployments"]


# -- the bundled profiles -----------------------------------------------------------------

def test_every_connector_has_its_default_profile_bundled_and_every_bundled_one_loads() -> None:
    assert set(connector_names()) == {load_profile(name)[0].name
                                      for name in bundled_profile_names()}
    for name in connector_names():
        connector = get_connector(name)
        loaded, profile = load_profile(connector.default_profile)
        assert loaded is connector and profile.bundled and profile.guide.title


def test_every_check_of_a_bundled_profile_cites_its_guide_by_title_never_a_seed_number() -> None:
    for name in bundled_profile_names():
        connector, profile = load_profile(name)
        if not connector.home.is_relative_to(REPO / "checks"):
            continue  # another package's connector: its profiles are its own business
        guide = f"{profile.guide.vendor}'s guide \"{profile.guide.title}\""
        if not profile.quotes:
            # A profile named for the platform itself (no vendor's guide lists its needs):
            # its checks cite the platform's documentation by title, quoting nothing.
            assert all(r.seed in (guide, r.own) for r in connector.requirements(profile)), name
            continue
        for requirement in connector.requirements(profile):
            if requirement.own and requirement.seed == requirement.own:
                # this machine's own path (the proxy's), or the webhooks a guide says nothing
                # of: no guide asks for it, and its section is not quoted
                assert requirement.cites not in profile.quotes, requirement.id
                continue
            assert requirement.seed.startswith(
                f"{profile.guide.vendor}'s guide \"{profile.guide.title}\": "), requirement.id
            assert "seed" not in requirement.seed.lower(), requirement.id


def test_help_lists_the_bundled_profiles(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")
    text = " ".join(result.outlines)
    for name in bundled_profile_names():
        assert name in text


# -- every kind of mistake: one line, exit 4 ---------------------------------------------

GOOD = BEACON
MISTAKES = {
    "not TOML": ("name = \"x\"\nconnector = \n",
                 "not TOML: Invalid value (at line 2, column 13)"),
    "an unknown key": ("colour = \"blue\"\n" + GOOD,
                       "(top level): Additional properties are not allowed ('colour' was "
                       "unexpected); the keys allowed are in docs/profiles.md"),
    "a missing guide": (GOOD.replace("[guide]\nvendor = \"Beacon\"\ntitle = \"GitLab "
                                     "integration\"\n", ""), "(top level): 'guide' is missing"),
    "a wrong type": (GOOD.replace("least_privilege = true", "least_privilege = \"yes\""),
                     "scopes.least_privilege: 'yes' is not of type 'boolean' (true: a scope "
                     "beyond those required is a warning)"),
    "a bad level": (ACME.replace("contents = \"read\"", "contents = \"all\""),
                    "permissions.required.contents: 'all' is not one of ['read', 'write', "
                    "'admin']"),
    "a bad date": (GOOD.replace("title = \"GitLab integration\"",
                                "title = \"GitLab integration\"\nread = \"last week\""),
                   "guide.read: 'last week' is not a 'date' (the date the guide was read, a "
                   "TOML date such as 2026-11-20)"),
    "an unknown connector": (GOOD.replace("connector = \"gitlab\"", "connector = \"gitea\""),
                             "connector: unknown connector 'gitea'; choose from "),
    "scopes for an app": (GOOD.replace("connector = \"gitlab\"", "connector = \"github-app\""),
                          "scopes: the github-app connector checks permissions, not scopes"),
    "a scope the platform cannot spell": (
        GOOD.replace("[\"read_api\"]", "[\"REPO_READ\"]"),
        "scopes.required: 'REPO_READ' is not a GitLab scope name, e.g. api, read_api or "
        "read_repository"),
    "a scope the connector does not know": (
        GOOD.replace("[\"read_api\"]", "[\"read_apis\"]"),
        "scopes.required: 'read_apis' is not a GitLab scope: did you mean read_api? (GitLab's "
        "\"Access token scopes\" page (and its OAuth scopes openid, profile, email) lists "
        "api, read_api, read_user, create_runner, manage_runner, k8s_proxy, read_repository, "
        "write_repository, read_registry, write_registry, read_virtual_registry, "
        "write_virtual_registry, sudo, admin_mode, read_service_ping, ai_features, "
        "self_rotate, read_observability, write_observability, ai_workflows, openid, profile, "
        "email)"),
    "a GitHub scope in a GitLab profile": (
        GOOD.replace("[\"read_api\"]", "[\"repo\"]"),
        "scopes.required: 'repo' is not a GitLab scope (GitLab's"),
    "a bundled profile's name": (
        GOOD.replace("name = \"beacon-gitlab\"", "name = \"dynatrace-gitlab\""),
        "name: 'dynatrace-gitlab' is the name of a bundled profile: give this file a name of "
        "its own"),
    "a section the connector does not read": (
        GOOD + "\n[organization]\nrole = \"owner\"\n",
        "organization: the gitlab connector does not check organization (it reads endpoints, "
        "webhook)"),
    "an id taken from a later endpoint": (
        GOOD.replace("path = \"/projects/{repo}\"", "path = \"/projects/{id}\"\nid_from = "
                                                    "\"later\""),
        "endpoints.project.id_from: 'later' is not an endpoint listed before it"),
    "an unknown placeholder": (GOOD.replace("/projects/{repo}", "/projects/{project}"),
                               "endpoints.project.path: {project} is not one of {repo}, "
                               "{org}, {id}"),
    "an unknown reason": (GOOD.replace("\"scopes.missing\"", "\"scopes.gone\""),
                          "vendor_codes: scopes.gone is not a reason code (docs/reasons.md "
                          "lists them)"),
    "a quote for no requirement": (GOOD + "\n[quotes]\n\"app.installed\" = \"Install it\"\n",
                                   "quotes.app.installed: gitlab has no requirement "
                                   "app.installed with this profile (docs/requirements.md "
                                   "lists them)"),
}


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_a_profile_with_a_mistake_is_one_line_naming_the_file_and_what_is_wrong(
        mistake: str, tmp_path: Path) -> None:
    text, said = MISTAKES[mistake]
    path = _write(tmp_path, "vendor", text)
    with pytest.raises(ProfileError) as raised:
        load_profile(str(path))
    assert str(raised.value).startswith(f"profile {path}: {said}")
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize("mistake", ["not TOML", "an unknown connector", "an unknown reason"])
def test_a_run_with_a_bad_profile_is_a_usage_error_without_a_traceback(
        mistake: str, pytester: pytest.Pytester) -> None:
    path = _write(pytester.path, "vendor", MISTAKES[mistake][0])
    result = pytester.runpytest("--profile", str(path))
    assert result.ret == pytest.ExitCode.USAGE_ERROR and int(result.ret) == 4
    errors = _errors(result)
    assert len(errors) == 1
    assert errors[0].startswith(f"ERROR: --profile: profile {path}: {MISTAKES[mistake][1]}")
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


@pytest.mark.parametrize(("given", "said"), [
    ("nobody", "--profile: no profile 'nobody': give a bundled name ({names}) or a path to a "
               ".toml file"),
    ("missing.toml", "--profile: profile missing.toml: cannot be read: No such file or "
                     "directory; give a readable .toml file or a bundled profile's name"),
])
def test_a_profile_that_is_not_there_is_a_usage_error(given: str, said: str,
                                                      pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--profile", given)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    # Every profile installed is named (the bundled four, and any other package's).
    names = ", ".join(bundled_profile_names())
    assert {"dx-github-deployments", "dynatrace-github", "dynatrace-gitlab", "flow-ghes"} <= \
        set(bundled_profile_names())
    assert _errors(result) == [f"ERROR: {said.format(names=names)}"]


def test_two_profiles_of_one_connector_are_a_usage_error(pytester: pytest.Pytester) -> None:
    path = _write(pytester.path, "beacon", BEACON)
    result = pytester.runpytest("--profile", str(path), "--profile", "dynatrace-gitlab")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert _errors(result) == ["ERROR: --profile: beacon-gitlab and dynatrace-gitlab are both "
                               "profiles of gitlab: give one profile per connector"]


def test_a_scope_the_connector_cannot_spell_is_refused_before_probing(
        pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--connector", "ghes", "--target", "https://git.example.com",
                                "--require-scope", "vso.code")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert _errors(result) == ["ERROR: --require-scope: 'vso.code' is not a GitHub scope "
                               "name, e.g. repo, read:org or admin:repo_hook"]


@pytest.mark.parametrize(("granted", "wanted", "outcome"), [
    (["api"], "read_api", "passed"),
    (["write_repository"], "read_repository", "passed"),
    (["read_api"], "api", "failed"),
    (["read_repository"], "write_repository", "failed"),
    (["write_registry"], "read_registry", "failed"),
])
def test_gitlab_scopes_follow_gitlabs_hierarchy(granted: list[str], wanted: str,
                                                outcome: str) -> None:
    from checks.connectors.gitlab import api as gitlab

    assert gitlab.scope(granted, wanted).outcome.value == outcome


def test_require_scope_names_the_nearest_scope_the_connector_knows(
        pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--connector", "gitlab", "--offline", "--require-scope",
                                "read_apis")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "did you mean read_api?" in " ".join(_errors(result))


def test_this_packages_bundled_profiles_follow_the_published_schema() -> None:
    """They are not checked against the schema at run time (jsonschema is a third of an
    offline run's start): here instead."""
    import tomllib

    from checks.connectors import bundled_profiles
    from checks.profiles import schema_problem

    ours = {name: path for name, path in bundled_profiles().items()
            if path.resolve().is_relative_to(REPO / "checks")}
    assert len(ours) >= 6
    for name, path in ours.items():
        assert schema_problem(tomllib.loads(path.read_text())) is None, name


def test_another_packages_bundled_profile_is_checked_at_run_time(tmp_path: Path) -> None:
    from checks.profiles import read

    path = tmp_path / "profiles" / "broken.toml"
    path.parent.mkdir()
    path.write_text('name = "broken"\nconnector = "gitlab"\ncolour = "blue"\n')
    with pytest.raises(ProfileError, match="Additional properties are not allowed"):
        read(path, bundled=True)
