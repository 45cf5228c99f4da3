"""The connector's own options: light (pytest reads them for --help before any connector
loads), each spelled --http-health-..."""

from __future__ import annotations

from checks.options import Option


def _path(text: str) -> str:
    if not text.startswith("/") or any(c in text for c in "?#\r\n "):
        raise ValueError(f"{text[:60]!r} is not a path: give one like /healthz")
    return text


OPTIONS = (Option("--http-health-path", "the health endpoint's path (default /healthz)",
                  metavar="PATH", parse=_path),)
