"""Secrets: held in a type whose repr is masked, and redacted from everything written.

A token is shown as its type prefix plus its last four characters (``ghp_…a1b2``); a
short secret is not shown at all. Secrets come from environment variables or files only.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NoReturn

from checks.model.text import valid

# Token prefixes that say what a credential is (they are not secret), as each platform
# declares them (register_token_shapes): the longest that fits is shown.
_PREFIXES: list[str] = []

# Shapes of credentials we redact even when we were not told their value: JWTs and private
# keys here, each platform's tokens as it registers them. Each starts with a literal
# character (a word boundary is checked after it, not before), so at most places in a text
# every alternative fails on its first character: one pass over a report of several
# megabytes costs a fifth of what a leading \b or lookbehind costs.
_PATTERNS = [
    r"e(?<!\we)yJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+",  # JWT
    r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----.*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----",
]
# Headers whose value is a credential, in any case, as a header line or in a headers dict's
# repr. The credential is the group named header...: the header's name stays readable.
_HEADERS = (("authorization", ": ", r"(?i:token|bearer|basic) [^\s'\",]+"),
            ("private-token", "(?:: |': ')", r"[^\s'\",]+"))
_PATTERNS += [f"{first}(?i:{name[1:]}){separator}(?P<header{n}{first}>{value})"
              for n, (name, separator, value) in enumerate(_HEADERS)
              for first in (name[0], name[0].upper())]

_SHORTEST_SHOWN = 16
FRAGMENT = 8  # a run of this many characters of a secret is masked wherever it appears
# Secrets up to this long are also masked in fragments (tokens, client secrets, JWTs,
# proxy passwords: what is sent, and so what a server can echo). A private key is never sent.
_FRAGMENTS_UP_TO = 2048


class TokenShapeCollision(ValueError):
    """A token prefix two platforms claim: the second does not load (one line)."""


def register_token_shapes(prefixes: Iterable[str], patterns: Iterable[str],
                          owner: str = "") -> None:
    """A platform's token prefixes and shapes, known to every redactor made after this. A
    prefix belongs to one platform (``owner``): another claiming it is a TokenShapeCollision;
    the same platform registering again (a module imported twice) changes nothing."""
    prefixes = tuple(prefixes)
    for prefix in prefixes:
        if _OWNERS.setdefault(prefix, owner) != owner:
            raise TokenShapeCollision(f"token prefix {prefix!r} is {_OWNERS[prefix]}'s; "
                                      f"{owner or 'another platform'} cannot register it")
    _PREFIXES.extend(p for p in prefixes if p not in _PREFIXES)
    _PREFIXES.sort(key=len, reverse=True)
    _PATTERNS[:0] = [p for p in patterns if p not in _PATTERNS]


_OWNERS: dict[str, str] = {}  # token prefix -> the platform that registered it


def token_prefix(value: str) -> str:
    """The part of a token that says what it is, as its platform declares it, or nothing."""
    return next((prefix for prefix in _PREFIXES if value.startswith(prefix)), "")


def looks_like_secret(text: str) -> bool:
    """Whether a text has the shape of a credential: a platform's token (its prefix, and as
    long as a token), a JWT, a private key, a credential header."""
    if len(text) >= _SHORTEST_SHOWN and token_prefix(text) and not any(c.isspace()
                                                                       for c in text):
        return True
    return re.search("|".join(_PATTERNS), text, re.DOTALL) is not None


def mask(value: str) -> str:
    """Show a secret as its type prefix and last four characters, or not at all."""
    if len(value) < _SHORTEST_SHOWN:
        return "****"
    return f"{token_prefix(value)}…{value[-4:]}"


class Secret:
    """A secret value whose repr, str and pickled form never show it."""

    __slots__ = ("_value", "source", "whole_only")

    def __init__(self, value: str, source: str, stand_in: bool = False,
                 whole_only: bool = False) -> None:
        self._value = value
        self.source = source
        # Redacted whole, never in fragments: a replay's stand-in for a recorded credential
        # ("ghp_000…", whose fragments are runs of zeros any text may hold), a proxy's user
        # name (a word, not a secret; its password is masked in fragments).
        self.whole_only = stand_in or whole_only

    def reveal(self) -> str:
        """The value itself: call this only where it is sent, never where it is shown."""
        return self._value

    @property
    def fingerprint(self) -> str:
        """Which secret this is, kept in memory only (two reads of one token are one)."""
        return hashlib.sha256(self._value.encode("utf-8", "surrogatepass")).hexdigest()

    @property
    def masked(self) -> str:
        return mask(self._value)

    def __repr__(self) -> str:
        return f"Secret({self.source}: {self.masked})"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Secret cannot be pickled")


_FILE_LIMIT = 64 * 1024  # a token or a private key is far smaller


def secret_from_env(name: str, environ: Mapping[str, str] | None = None,
                    single_line: bool = True) -> Secret | None:
    """Read ``NAME`` or, failing that, the file named by ``NAME_FILE``; blank counts as unset.
    A token (``single_line``) holding a line break or another control character is refused:
    it would break the request, and its value would end up in error messages."""
    env = os.environ if environ is None else environ
    value, source = env.get(name, "").strip(), name
    path = env.get(f"{name}_FILE", "").strip()
    if not value and path:
        source = f"{name}_FILE"
        try:
            with open(path, "rb") as handle:
                data = handle.read(_FILE_LIMIT + 1)
        except OSError as error:
            raise SecretUnreadable(f"{name}_FILE names {path!r}, which cannot be read: "
                                   f"{error.strerror}") from None
        if len(data) > _FILE_LIMIT:
            raise SecretUnreadable(f"{name}_FILE names {path!r}, which is larger than "
                                   f"{_FILE_LIMIT // 1024} KiB: give the file holding only the "
                                   f"credential")
        try:
            value = data.decode("utf-8").strip()
        except UnicodeDecodeError:
            raise SecretUnreadable(f"{name}_FILE names {path!r}, which is not UTF-8 text: give "
                                   f"the file holding only the credential") from None
    if not value:
        return None
    if len(value.encode("utf-8", "surrogatepass")) > _FILE_LIMIT:
        raise SecretUnreadable(f"{source} is larger than {_FILE_LIMIT // 1024} KiB (its value is "
                               f"not shown): give the credential alone")
    if single_line and any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in value):
        raise SecretUnreadable(f"{source} holds a line break or another control character "
                               f"(its value is not shown): give the credential alone, on one "
                               f"line")
    return Secret(value, source)


def _literals_pattern(values: Iterable[str]) -> str:
    """One pattern for many literal strings, their common prefixes shared (ghs_...): a
    match costs the length of the secret, not the number of secrets. Longer matches are
    preferred, so a secret that contains another is replaced whole."""
    root: dict[str, Any] = {}
    for value in values:
        node = root
        for char in value:
            node = node.setdefault(char, {})
        node[""] = {}  # a secret ends here

    def pattern(node: dict[str, Any]) -> str:
        branches = []
        for char, child in sorted(node.items()):
            if not char:
                continue
            run = [char]
            while len(child) == 1 and "" not in child:  # a run with no branch: one literal
                (following, child), = child.items()
                run.append(following)
            branches.append(re.escape("".join(run)) + pattern(child))
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return pattern(root)


# A JSON value on one line, as the reports write it and as the redactor knows a secret inside
# it (the second of the forms below); what cannot be JSON, as text. The json module's C
# encoder: indenting would leave it for the pure-Python one.
json_line = json.JSONEncoder(ensure_ascii=False, default=str).encode

# The forms a secret takes inside text: as it is, in JSON, in a repr, in escaped text.
_ESCAPES: tuple[Callable[[str], str], ...] = (
    lambda value: value,
    lambda value: json.dumps(value, ensure_ascii=False)[1:-1],
    lambda value: json.dumps(value)[1:-1],
    lambda value: repr(value)[1:-1],
    lambda value: value.encode("unicode_escape").decode("ascii"),
)


def _same_keys(before: Any, after: Any) -> bool:
    """Whether redacted data has the keys it had (walked without recursion)."""
    pending = [(before, after)]
    while pending:
        one, other = pending.pop()
        if isinstance(one, Mapping):
            if not isinstance(other, dict) or list(map(str, one)) != list(other):
                return False
            pending += zip(one.values(), other.values(), strict=True)
        elif isinstance(one, list | tuple):
            if not isinstance(other, list) or len(one) != len(other):
                return False
            pending += zip(one, other, strict=True)
    return True


class SecretUnreadable(ValueError):
    """A ``*_FILE`` variable names a file that cannot be read."""


class Redactor:
    """Replaces known secret values, any run of :data:`FRAGMENT` or more characters of them,
    and anything shaped like a credential, in text; and makes the text encodable (a lone
    surrogate from a server's JSON becomes U+FFFD), since everything written passes here."""

    def __init__(self, secrets: Iterable[Secret] = ()) -> None:
        self._known: dict[str, str] = {}  # a secret, or one of its escaped forms -> its mask
        self._matcher: re.Pattern[str] | None = None  # built on first use after an add
        # A fragment of FRAGMENT characters of a secret's form -> (that form, offset, mask).
        self._grams: dict[str, list[tuple[str, int, str]]] = {}
        self._gram_matcher: re.Pattern[str] | None = None
        for secret in secrets:
            self.add(secret, fragments=not secret.whole_only)

    def add(self, secret: Secret, fragments: bool = True) -> Secret:
        """Redact this secret too (for secrets made during the run: JWTs, minted tokens), as
        it is and in the escaped forms it takes inside repr, JSON and escaped text; with
        ``fragments``, any run of FRAGMENT or more of its characters too (a server that
        echoes the first 16 characters of a token, or a body excerpt that cuts it)."""
        value = secret.reveal()
        if value and value not in self._known:
            for escape in _ESCAPES:
                # The mask is escaped as the secret was, so JSON stays JSON.
                form, shown = escape(value), escape(secret.masked)
                self._known.setdefault(form, shown)
                if fragments and FRAGMENT < len(form) <= _FRAGMENTS_UP_TO:
                    for offset in range(len(form) - FRAGMENT + 1):
                        found = self._grams.setdefault(form[offset:offset + FRAGMENT], [])
                        if all(f != form for f, _, _ in found):
                            found.append((form, offset, shown))
                    self._gram_matcher = None
            self._matcher = None
        return secret

    def _compiled(self) -> re.Pattern[str]:
        """One pattern for every known secret and every credential shape: redaction costs one
        pass over the text, however many secrets there are."""
        if self._matcher is None:
            parts = [f"(?P<known>{_literals_pattern(self._known)})"] if self._known else []
            parts += [f"(?:{pattern})" for pattern in _PATTERNS]
            self._matcher = re.compile("|".join(parts), re.S)
        return self._matcher

    def __call__(self, text: str, instead: Mapping[str, str] | None = None) -> str:
        """The text with every secret masked; a known secret that ``instead`` names is
        replaced by what it maps it to (a recording's stand-in for a token it handed out)."""
        def replace(match: re.Match[str]) -> str:
            found = match.groupdict()
            known = found.get("known")
            if known is not None:
                return instead[known] if instead and known in instead else self._known[known]
            for name, value in found.items():
                if value is not None and name.startswith("header"):
                    kept = match.group(0)[:match.start(name) - match.start()]
                    return kept + mask(value)
            return mask(match.group(0))

        return self._fragments(self._compiled().sub(replace, valid(text)))

    def _fragments(self, text: str) -> str:
        """``text`` with every run of FRAGMENT or more characters of a secret masked: a
        pattern of the secrets' FRAGMENT-character pieces finds where one starts (one pass,
        rarely a match), and each match is grown to the longest run the secret shares there."""
        if not self._grams:
            return text
        if self._gram_matcher is None:
            self._gram_matcher = re.compile(_literals_pattern(self._grams))
        spans: list[tuple[int, int, str]] = []
        for match in self._gram_matcher.finditer(text):
            start = match.start()
            if spans and start < spans[-1][1]:
                continue  # inside a run already found
            best = (start, start, "")
            for form, offset, shown in self._grams[match.group(0)]:
                left = 0
                while left < offset and left < start and \
                        text[start - left - 1] == form[offset - left - 1]:
                    left += 1
                right = FRAGMENT
                while offset + right < len(form) and start + right < len(text) and \
                        text[start + right] == form[offset + right]:
                    right += 1
                if right + left > best[1] - best[0]:
                    best = (start - left, start + right, shown)
            if spans and best[0] < spans[-1][1]:  # grown back into the run before: one run
                best = (spans[-1][0], max(best[1], spans[-1][1]), spans[-1][2])
                spans.pop()
            spans.append(best)
        if not spans:
            return text
        pieces, at = [], 0
        for begin, end, shown in spans:
            pieces += [text[at:begin], shown]
            at = end
        pieces.append(text[at:])
        return "".join(pieces)

    def data(self, value: Any, instead: Mapping[str, str] | None = None) -> Any:
        """JSON-shaped data with every string value in it redacted, in one pass over its JSON
        text (secrets are known in their JSON-escaped forms), read back. Keys are the
        reports' own names: should a mask break the text's JSON, or land in a key (a
        fragment of a user-chosen password that spells a word), each value is redacted on
        its own instead."""
        text = json_line(value)
        redacted = self(text, instead)
        if redacted == text:
            return json.loads(text)
        try:
            found = json.loads(redacted)
        except ValueError:
            return self._each_string(value, instead)
        return found if _same_keys(value, found) else self._each_string(value, instead)

    def _each_string(self, value: Any, instead: Mapping[str, str] | None) -> Any:
        if isinstance(value, str):
            return self(value, instead)
        if isinstance(value, Mapping):
            return {str(key): self._each_string(item, instead) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self._each_string(item, instead) for item in value]
        return value
