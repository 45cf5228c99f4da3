"""A pytest plugin for benchmarks/installations.py only: every httpx client of the run offers
HTTP/2 (ALPN), so the benchmark can measure it against HTTP/1.1 on the same API. Needs the
``h2`` package (httpx's ``http2`` extra)."""

from __future__ import annotations

from typing import Any

import httpx

_plain_init = httpx.AsyncClient.__init__


def _offering_http2(self: httpx.AsyncClient, *args: Any, **kwargs: Any) -> None:
    kwargs.setdefault("http2", True)
    _plain_init(self, *args, **kwargs)


httpx.AsyncClient.__init__ = _offering_http2  # type: ignore[method-assign]
