"""The reference pages are generated from the code and kept current."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from checks.connectors import bundled_profile_names, load_profile
from checks.model.requirement import Requirement
from checks.reasons import REASONS
from checks.scenario import bundled_names, load
from tools.docs import DOCS, PAGES

CHECKS = Path(__file__).resolve().parent.parent / "checks"


@pytest.mark.parametrize("name", sorted(PAGES))
def test_the_generated_page_is_current(name: str) -> None:
    assert (DOCS / name).read_text() == PAGES[name](), "run: python -m tools.docs"


def test_every_reason_code_named_in_the_code_is_registered() -> None:
    source = "\n".join(path.read_text() for path in CHECKS.rglob("*.py"))
    named = set(re.findall(r'"((?:dns|tcp|tls|http|auth|scopes|org|oauth)\.[a-z_]+)"', source))
    modules = {load_profile(name)[0].declare.__module__ for name in bundled_profile_names()}
    requirements = {value.id for module in (*modules, "checks.connectors.network")
                    for value in vars(sys.modules[module]).values()
                    if isinstance(value, Requirement)}
    assert named - requirements <= set(REASONS)


def test_every_reason_a_scenario_documents_is_registered() -> None:
    for name in bundled_names("ghes"):
        for expected in load("ghes", name).expect:
            assert expected["reason"] in REASONS


def test_the_readme_opens_with_the_main_job_and_the_test_suite() -> None:
    readme = (DOCS.parent / "README.md").read_text()
    commands = re.findall(r"```sh\n(.*?)```", readme, re.S)[0]
    assert "--connector ghes --offline" in commands and "tools/test.sh" in commands
    assert "bash tools/test.sh" in (DOCS.parent / ".ci" / "run").read_text().replace(
        " -q", "")
