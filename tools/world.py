"""The fictional internet every bundled scenario lives in: when it was recorded, and
github.example.com's public addresses (example.com's)."""

from __future__ import annotations

from datetime import UTC, datetime

RECORDED = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
IPV4, IPV6 = "93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"
