"""Every check is decided whatever the server refuses: each HTTP request of each connector's
healthy run answered 403 in turn (and, with --repo, a GitHub App's repository endpoints)
leaves no check undecided (harness.error) and never exits 3."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from checks.scenario import bundled_dir

REFUSAL: dict[str, Any] = {"status": 403, "headers": {"Content-Type": "application/json; charset=utf-8"},
           "json": {"message": "Resource not accessible by integration"}}
HEALTHY = {"ghes": "healthy", "github": "healthy", "github-app": "healthy",
           "gitlab": "healthy", "bitbucket-dc": "healthy", "azure-devops": "healthy"}
EXTRA = {"github-app": ["--repo=acme/api"]}


def _requests(connector: str) -> list[tuple[str, int]]:
    recorded = json.loads((bundled_dir(connector) / f"{HEALTHY[connector]}.json").read_text())
    return [(connector, n) for n in range(len(recorded["http"]))]


CASES = [case for connector in HEALTHY for case in _requests(connector)]


def _refusing(tmp: Path, connector: str, index: int) -> tuple[Path, str]:
    scenario: dict[str, Any] = json.loads(
        (bundled_dir(connector) / f"{HEALTHY[connector]}.json").read_text())
    exchange = scenario["http"][index]
    headers = {name: value for name, value in exchange["response"].get("headers", {}).items()
               if name.lower() not in ("content-type", "content-length", "content-encoding")}
    exchange["response"] = {**REFUSAL, "headers": {**headers, **REFUSAL["headers"]}}
    scenario["expect"] = []
    path = tmp / f"{connector}-refused-{index}.json"
    path.write_text(json.dumps(scenario))
    request = exchange["request"]
    return path, f"{request['method']} {request.get('url') or request.get('path')}"


def test_the_cases_cover_every_request_of_every_connector() -> None:
    assert {connector for connector, _ in CASES} == set(HEALTHY)
    assert len(CASES) >= 6 * 3


@pytest.mark.parametrize(("connector", "index"), CASES, ids=[f"{c}-{n}" for c, n in CASES])
def test_a_refused_request_leaves_no_check_undecided(
    pytester: pytest.Pytester, connector: str, index: int
) -> None:
    path, refused = _refusing(pytester.path, connector, index)
    result = pytester.runpytest("-p", "no:cacheprovider", "--connector", connector, "--offline",
                                f"--scenario={path}", *EXTRA.get(connector, []), "-q")
    report = json.loads((pytester.path / "reports" / f"{connector}.json").read_text())
    undecided = [(c["id"], c["message"]) for c in report["checks"]
                 if c["outcome"] == "error" or c["reason"] == "harness.error"]
    assert not undecided, (refused, undecided)
    assert result.ret in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED), refused
