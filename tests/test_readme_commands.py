"""The README's two commands, run verbatim from the root of a fresh copy of the repository,
in a fresh venv. The package index is this environment's installed copies (tests never leave
loopback); the main job's index holds the runtime dependencies only, no test extra."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import wheelhouse
from tests.conftest import healthy_checks

HEALTHY = healthy_checks()  # checks in the bundled healthy ghes scenario, from the catalogue

REPO = Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text()
    block = text.split("```sh\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.strip() and not line.startswith("#")]


def fresh_clone(folder: Path) -> Path:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, check=True,
                            capture_output=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source, copy = REPO / name, folder / name
        if source.is_file():
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_bytes(source.read_bytes())
    return folder


def run(command: str, where: Path, index: Path, home: Path) -> subprocess.CompletedProcess[str]:
    python = Path(os.path.realpath(sys.executable)).parent  # python3, outside any venv
    env = {"PATH": f"{python}:/usr/bin:/bin", "HOME": str(home),
           **wheelhouse.pip_environment(index)}
    return subprocess.run(["bash", "-c", command], cwd=where, env=env, capture_output=True,
                          text=True, timeout=540)


def test_the_readme_opens_with_the_main_job_and_the_test_command() -> None:
    main_job, test_command = readme_commands()
    assert main_job.endswith(".venv/bin/pytest --connector ghes --offline")
    assert test_command == "bash tools/test.sh"


def test_the_main_job_runs_verbatim_from_a_fresh_clone_without_the_test_extra(
    tmp_path: Path
) -> None:
    index = wheelhouse.build(tmp_path / "index", ["connector-checks", "setuptools"])
    clone = fresh_clone(tmp_path / "clone")
    result = run(readme_commands()[0], clone, index, tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert f"{HEALTHY} passed" in result.stdout
    installed = {p.name.split("-")[0].lower() for p in
                 (clone / ".venv" / "lib").glob("python3*/site-packages/*.dist-info")}
    assert not installed & {"dnslib", "pytest_html", "pytest_xdist", "mypy", "ruff"}
    report = json.loads((clone / "reports" / "ghes.json").read_text())
    assert report["summary"]["passed"] == HEALTHY


@pytest.mark.skipif(os.environ.get("CONNECTOR_CHECKS_INNER") == "1",
                    reason="already inside the test command this test runs")
def test_the_test_command_sets_itself_up_from_nothing(tmp_path: Path) -> None:
    index = wheelhouse.build(tmp_path / "index", ["connector-checks", "setuptools", "pip"],
                             extras=("test",))
    clone = fresh_clone(tmp_path / "clone")
    # The whole suite would run the suite again: collecting it shows the set-up worked.
    result = run(f"CONNECTOR_CHECKS_INNER=1 {readme_commands()[1]} --collect-only -q", clone,
                 index, tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "All checks passed!" in result.stdout and "Success: no issues found" in result.stdout
    assert "tests collected" in result.stdout
