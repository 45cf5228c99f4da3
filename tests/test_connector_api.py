"""The connector API's guarantees, unit by unit: a connector's reason codes are namespaced
and registered once, token prefixes belong to one platform, and its own options are
settable in the ini file like the core's."""

from __future__ import annotations

import json

import pytest

from checks import reasons
from checks.api import Outcome, RegistryError, reasons_of, register_token_shapes
from checks.model import secret
from checks.model.secret import TokenShapeCollision


@pytest.fixture(autouse=True)
def _registries_as_they_were(monkeypatch: pytest.MonkeyPatch) -> None:
    """What these tests register is gone after them (docs/reasons.md lists the real ones)."""
    monkeypatch.setattr(reasons, "_REGISTRY", dict(reasons._REGISTRY))
    monkeypatch.setattr(secret, "_OWNERS", dict(secret._OWNERS))
    monkeypatch.setattr(secret, "_PREFIXES", list(secret._PREFIXES))


def test_a_reason_outside_its_connectors_namespace_is_refused() -> None:
    reason = reasons_of("acme")
    with pytest.raises(RegistryError, match="outside its connector's namespace 'acme'"):
        reason("auth.other_thing", Outcome.FAILED, "meaning", "fix")


def test_a_reason_code_registered_twice_is_a_load_error_not_an_assert() -> None:
    reason = reasons_of("twice")
    reason("twice.once", Outcome.FAILED, "meaning", "fix")
    with pytest.raises(RegistryError, match="registered twice"):
        reason("twice.once", Outcome.FAILED, "meaning", "fix")


def test_a_token_prefix_belongs_to_one_platform() -> None:
    register_token_shapes(("zz1_",), (), "One")
    register_token_shapes(("zz1_",), (), "One")  # the same platform again: nothing changes
    with pytest.raises(TokenShapeCollision, match="token prefix 'zz1_' is One's"):
        register_token_shapes(("zz1_",), (), "Two")


def test_a_connectors_own_option_is_settable_in_the_ini_file_and_recorded(
    pytester: pytest.Pytester
) -> None:
    pytester.makeini("[pytest]\nconnector_bitbucket_dc_project = ACME\n"
                     "connector_bitbucket_dc_repository = api\n")
    result = pytester.runpytest("-p", "no:cacheprovider", "--connector", "bitbucket-dc",
                                "--offline")
    assert result.ret == 0, result.stdout.str()
    report = json.loads((pytester.path / "reports" / "bitbucket-dc.json").read_text())
    assert "project.exists[ACME]" in {c["id"] for c in report["checks"]}
    result.stdout.fnmatch_lines(["*reproduce with:*--connector=bitbucket-dc --offline "
                                 "--scenario=healthy*"])


def test_a_replay_with_another_project_than_its_recording_is_refused(
    pytester: pytest.Pytester
) -> None:
    result = pytester.runpytest("-p", "no:cacheprovider", "--connector", "bitbucket-dc",
                                "--offline", "--bitbucket-dc-project=OTHER")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert [line for line in result.errlines if line] == [
        "ERROR: scenario healthy was recorded with --bitbucket-dc-project ACME, not OTHER"]
