"""What a server says, made safe for each place it is written."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from checks import ci
from checks.model.text import one_line, valid, xml
from checks.model.verdict import Outcome, Verdict

HOSTILE = {
    "a lone surrogate": ("a\ud800b", "a\ufffdb"),
    "a control character": ("a\u0001b", "a\\x01b"),
    "a screen-clearing escape": ("\x1b[2J", "\\x1b[2J"),
    "a carriage return": ("ok\rforged", "ok\\rforged"),
    "a forged workflow command": ("x\n::error::forged", "x\\n::error::forged"),
    "stop-commands": ("\n::stop-commands::token", "\\n::stop-commands::token"),
    "a bidi override": ("abc\u202edcba", "abc\\u202edcba"),
    "a line separator": ("a\u2028b", "a\\u2028b"),
    "a C1 control": ("a\x9bb", "a\\x9bb"),
    "plain text stays as it is": ("Zoë 🦊 <b>&", "Zoë 🦊 <b>&"),
}


@pytest.mark.parametrize(("text", "shown"), HOSTILE.values(), ids=HOSTILE.keys())
def test_text_from_a_server_is_one_visible_line(text: str, shown: str) -> None:
    assert one_line(text) == shown
    assert "\n" not in one_line(text) and one_line(text).encode("utf-8")


@pytest.mark.parametrize(("text", "shown"), HOSTILE.values(), ids=HOSTILE.keys())
def test_every_hostile_string_is_valid_xml_once_it_passes_the_xml_sink(text: str,
                                                                       shown: str) -> None:
    element = ET.Element("testcase", name=xml(text))
    element.text = xml(text)
    ET.fromstring(ET.tostring(element, encoding="unicode"))  # parses: XML 1.0 characters only


@pytest.mark.parametrize(("text", "shown"), HOSTILE.values(), ids=HOSTILE.keys())
def test_a_workflow_command_made_from_a_hostile_message_is_one_command(text: str,
                                                                       shown: str) -> None:
    record = {"id": "auth.token[ghes]", "requirement": "auth.token", "outcome": "failed",
              "reason": "auth.invalid_token", "message": text, "remediation": text,
              "title": "The access token is accepted", "evidence": {}, "kind": "check"}
    commands = ci.workflow_commands({"connector": "ghes", "checks": [record]})
    assert len(commands) == 1 and len(commands[0].splitlines()) == 1
    assert commands[0].startswith("::error title=connector-checks ghes")


def test_a_verdict_holds_its_message_on_one_line_whatever_it_quotes() -> None:
    verdict = Verdict(Outcome.FAILED, "x", "the server says: a\n::error::b\ud800",
                      "fix\rit")
    assert verdict.message == "the server says: a\\n::error::b\ufffd"
    assert verdict.remediation == "fix\\rit"
    assert valid("a\udc00") == "a\ufffd"
