"""Bad input ends the run as a usage error: one line that says what is wrong and what to do."""

from __future__ import annotations

from pathlib import Path

import pytest


def _error_lines(result: pytest.RunResult) -> list[str]:
    """The lines that say what is wrong (pytest's own 'usage:' banner aside)."""
    return [line for line in result.errlines + result.outlines
            if "error" in line.lower() and not line.startswith("ERROR: usage:")]


CASES = {
    "unknown connector": (["--connector", "gitlub"], "unknown connector 'gitlub': choose from"),
    "plain http target": (["--connector", "ghes", "--target", "http://github.example.com"],
                          "is not an https:// URL"),
    "missing target": (["--connector", "ghes"], "--connector ghes needs --target"),
    "unreadable roots": (["--connector", "ghes", "--target", "https://g.example.com",
                          "--public-roots", "/nonexistent/roots.pem"], "cannot read"),
    "roots that are not PEM": (["--connector", "ghes", "--target", "https://g.example.com",
                                "--public-roots", "NOTPEM"], "holds no PEM certificates"),
    "bad resolver": (["--connector", "ghes", "--target", "https://g.example.com",
                      "--resolver", "dns.example.com"], "is not ADDR[:PORT]"),
    "bad connect-to": (["--connector", "ghes", "--target", "https://g.example.com",
                        "--connect-to", "g.example.com:443"], "is not HOST:PORT:ADDR:PORT"),
    "zero timeout": (["--connector", "ghes", "--target", "https://g.example.com",
                      "--check-timeout", "0"], "between 0 and 300 seconds"),
    "unknown scenario": (["--connector", "ghes", "--offline", "--scenario", "nope"],
                         "no scenario 'nope' for connector ghes"),
    "scenario for another target": (["--connector", "ghes", "--offline", "--target",
                                     "https://other.example.com"], "was recorded for"),
}


@pytest.mark.parametrize(("args", "says"), CASES.values(), ids=CASES.keys())
def test_bad_input_is_one_line_without_a_traceback(
    pytester: pytest.Pytester, args: list[str], says: str
) -> None:
    (pytester.path / "NOTPEM").write_text("hello\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    output = "\n".join(result.errlines + result.outlines)
    assert "Traceback" not in output
    lines = _error_lines(result)
    assert len(lines) == 1 and says in lines[0], output


def test_an_unreadable_token_file_is_a_usage_error(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CONNECTOR_GHES_TOKEN_FILE", str(tmp_path / "missing-token"))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--connector", "ghes",
                                           "--offline")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert _error_lines(result) == [
        f"ERROR: CONNECTOR_GHES_TOKEN_FILE names '{tmp_path / 'missing-token'}', which cannot "
        f"be read: No such file or directory"]


def test_ini_values_are_validated_like_options(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nconnectors = ghes\nconnector_target = ftp://g.example.com\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert _error_lines(result) == [
        "ERROR: ini value connector_target: 'ftp://g.example.com' is not an https:// URL: give "
        "the server's web URL, e.g. https://git.example.com"]


def test_options_form_one_documented_group(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(["connector-checks: setup requirements of code-host connectors:",
                                 "*--connector=*", "*--connect-to=*", "*--offline*"])
