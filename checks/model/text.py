"""Text from the network, made safe for the place it is written.

Every string a server sends (a login, an error message, a header) is hostile until it passes
here. One rule for every sink, :func:`one_line`: a code point that cannot be encoded (a lone
surrogate from a ``"\\ud800"`` JSON escape) becomes U+FFFD, and a character that would move the
cursor, end a line, clear a screen or reorder text (C0 and C1 controls, DEL, line and paragraph
separators, bidirectional overrides) is shown as its escape (``\\x1b``, ``\\n``). Verdict messages,
check parameters and every line on the terminal pass it, so no text from a server starts a
line of its own: not a forged ``::error`` workflow command, not a ``::stop-commands::``.

Each sink then applies its own escaping on top: :func:`xml` for JUnit (XML 1.0's characters),
:func:`valid` for the JSON reports (encodable UTF-8), Jinja2's autoescape for HTML, and
:mod:`checks.ci` for GitHub's workflow commands.
"""

from __future__ import annotations

import re

# Surrogates, and what moves the cursor or reorders text: C0, DEL, C1, U+2028/9, bidi controls.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# XML 1.0's Char production: https://www.w3.org/TR/xml/#charsets
_NOT_XML = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
REPLACEMENT = "\ufffd"


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    if "\ud800" <= char <= "\udfff":
        return REPLACEMENT
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def one_line(text: str) -> str:
    """``text`` on one line, every control shown as its escape, every code point encodable."""
    return _UNSAFE.sub(_escape, text)


def valid(text: str) -> str:
    """``text`` with every lone surrogate replaced, so it encodes as UTF-8 (other characters,
    escaped by JSON itself, are left alone)."""
    return _SURROGATE.sub(REPLACEMENT, text)


def xml(text: str) -> str:
    """``text`` holding only characters XML 1.0 allows; ElementTree escapes the rest."""
    return _NOT_XML.sub(REPLACEMENT, text)
