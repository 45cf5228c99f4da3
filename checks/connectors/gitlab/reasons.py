"""Reason codes of the GitLab connector; docs/reasons.md lists them with the rest."""

from __future__ import annotations

from checks.api import Outcome, reason

FAILED, WARNING = Outcome.FAILED, Outcome.WARNING

GITLAB_TOKEN_EXPIRED = reason(
    "gitlab.token_expired", FAILED, "The GitLab token has expired.",
    "Create a new token (User settings > Access tokens) and replace it in the connection.")

GITLAB_TOKEN_REVOKED = reason(
    "gitlab.token_revoked", FAILED, "The GitLab token was revoked.",
    "Create a new token (User settings > Access tokens) and replace it in the connection.")
