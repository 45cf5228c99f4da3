"""The GitHub connectors' own options (read by pytest --help before any connector loads)."""

from __future__ import annotations

import re

from checks.options import Option


def _webhook_url(text: str) -> str:
    if not re.fullmatch(r"https://[^\s@?#]{3,300}", text):
        raise ValueError(f"{text[:60]!r} is not the vendor's webhook URL: give https://HOST/PATH "
                         f"(or its start), without credentials or a query")
    return text


def webhook_option(connector: str) -> Option:
    return Option(f"--{connector}-webhook-url",
                  "the vendor's webhook URL (or its start): the webhook checks look for the "
                  "hook that delivers there (default: the profile's)", metavar="URL",
                  parse=_webhook_url)


GHES = (webhook_option("ghes"),)
GITHUB = (webhook_option("github"),)
