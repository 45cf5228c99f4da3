"""Secrets: held in a type whose repr is masked, and redacted from everything written.

A token is shown as its type prefix plus its last four characters (``ghp_…a1b2``); a
short secret is not shown at all. Secrets come from environment variables or files only.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from typing import Any, NoReturn

# Token prefixes that say what a credential is; they are not secret.
# https://github.blog/engineering/platform-security/behind-githubs-new-authentication-token-formats/
# https://docs.gitlab.com/security/tokens/#token-prefixes
_PREFIX = re.compile(r"^(github_pat_|gh[pousr]_|glpat-|gloas-|gldt-|glrt-|glptt-|glft-|glimt-|glsoat-)")

# Shapes of credentials we redact even when we were not told their value.
_PATTERNS = (
    re.compile(r"\bgithub_pat_[A-Za-z0-9_]{20,}"),
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{20,}"),
    re.compile(r"\bgl[a-z]{2,5}-[A-Za-z0-9_\-.]{20,}"),
    re.compile(r"\beyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+"),  # JWT
    re.compile(
        r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----.*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----",
        re.S,
    ),
    re.compile(r"(?i)(?<=authorization: )(?:token|bearer|basic) [^\s'\",]+"),
    re.compile(r"(?i)(?<=private-token: )[^\s'\",]+"),
    re.compile(r"(?i)(?<=private-token': ')[^\s'\",]+"),  # a headers dict's repr
)

_SHORTEST_SHOWN = 16


def mask(value: str) -> str:
    """Show a secret as its type prefix and last four characters, or not at all."""
    if len(value) < _SHORTEST_SHOWN:
        return "****"
    match = _PREFIX.match(value)
    prefix = match.group(1) if match else ""
    return f"{prefix}…{value[-4:]}"


class Secret:
    """A secret value whose repr, str and pickled form never show it."""

    __slots__ = ("_value", "source")

    def __init__(self, value: str, source: str) -> None:
        self._value = value
        self.source = source

    def reveal(self) -> str:
        """The value itself: call this only where it is sent, never where it is shown."""
        return self._value

    @property
    def masked(self) -> str:
        return mask(self._value)

    def __repr__(self) -> str:
        return f"Secret({self.source}: {self.masked})"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Secret cannot be pickled")


def secret_from_env(name: str, environ: Mapping[str, str] | None = None) -> Secret | None:
    """Read ``NAME`` or, failing that, the file named by ``NAME_FILE``; blank counts as unset."""
    env = os.environ if environ is None else environ
    value = env.get(name, "").strip()
    if value:
        return Secret(value, name)
    path = env.get(f"{name}_FILE", "").strip()
    if path:
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read().strip()
        except OSError as error:
            raise SecretUnreadable(f"{name}_FILE names {path!r}, which cannot be read: "
                                   f"{error.strerror}") from None
        return Secret(text, f"{name}_FILE") if text else None
    return None


class SecretUnreadable(ValueError):
    """A ``*_FILE`` variable names a file that cannot be read."""


class Redactor:
    """Replaces known secret values, and anything shaped like a credential, in text."""

    def __init__(self, secrets: Iterable[Secret] = ()) -> None:
        self._known: dict[str, str] = {}
        self._values: list[tuple[str, str]] = []
        for secret in secrets:
            self.add(secret)

    def add(self, secret: Secret) -> Secret:
        """Redact this secret too (for secrets made during the run: JWTs, minted tokens)."""
        value = secret.reveal()
        if value and value not in self._known:
            self._known[value] = secret.masked
            # Longest first, so a secret that contains another is replaced whole.
            self._values = sorted(self._known.items(), key=lambda item: -len(item[0]))
        return secret

    def __call__(self, text: str) -> str:
        for value, masked in self._values:
            text = text.replace(value, masked)
        for pattern in _PATTERNS:
            text = pattern.sub(lambda match: mask(match.group(0)), text)
        return text

    def data(self, value: Any) -> Any:
        """Redact every string inside JSON-shaped data."""
        if isinstance(value, str):
            return self(value)
        if isinstance(value, Mapping):
            return {self(str(key)): self.data(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self.data(item) for item in value]
        return value
