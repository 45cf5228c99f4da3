"""What every token connector judges the same way: when a token expires, and whether it has
more scopes than it needs."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from checks import reasons
from checks.model.verdict import Verdict, passed

EXPIRY_WARNING = timedelta(days=14)


def expiry(expires_at: datetime | None, now: datetime | None, source: str) -> Verdict:
    """A warning under 14 days; the expired case is each host's own failure."""
    if expires_at is None:
        return passed(f"the token does not expire ({source})", expires_at=None)
    if now is None:
        return reasons.NOT_APPLICABLE(f"the token expires on {expires_at:%Y-%m-%d}; with no time "
                                      f"for the answer, how soon cannot be told",
                                      expires_at=expires_at.isoformat())
    left = expires_at - now
    evidence: dict[str, Any] = {"expires_at": expires_at.isoformat(), "days_left": left.days,
                                "source": source}
    if left < EXPIRY_WARNING:
        return reasons.AUTH_TOKEN_EXPIRING(
            f"the token expires on {expires_at:%Y-%m-%d %H:%M} UTC, in {max(left.days, 0)} "
            f"day{'s' * (left.days != 1)}", **evidence)
    return passed(f"the token expires on {expires_at:%Y-%m-%d} ({left.days} days left)",
                  **evidence)


def least_privilege(granted: Collection[str], needed: Collection[str], excess: Collection[str],
                    source: str) -> Verdict:
    """``excess``: granted scopes beyond what ``needed`` requires (each host decides which)."""
    evidence: dict[str, Any] = {"granted": sorted(granted), "required": sorted(needed),
                                "excess": sorted(excess)}
    if excess:
        return reasons.SCOPES_EXCESS(
            f"the token has scopes the connector does not need: {', '.join(sorted(excess))} "
            f"({source})", **evidence)
    return passed(f"the token has no scope beyond those required ({source})", **evidence)
