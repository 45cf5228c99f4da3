"""Reason codes of the bitbucket-dc connector (bitbucket-dc.*)."""

from __future__ import annotations

from checks.api import Outcome, reasons_of

reason = reasons_of("bitbucket-dc")
FAILED = Outcome.FAILED

NO_SUCH_PROJECT = reason(
    "bitbucket-dc.no_such_project", FAILED,
    "No project has this key on the server (NoSuchProjectException).",
    "Check the project key (Projects > the project > Settings shows it) and give it with "
    "--bitbucket-dc-project.")
PROJECT_HIDDEN = reason(
    "bitbucket-dc.project_hidden", FAILED,
    "The project exists, but the account cannot see it (401, AuthorisationException).",
    "Grant the account (or the token) at least Project read on the project.")
REPOSITORY_HIDDEN = reason(
    "bitbucket-dc.repository_hidden", FAILED,
    "The repository exists, but the account cannot see it (401, AuthorisationException).",
    "Grant the account (or the token) at least Repository read on the repository.")
NO_SUCH_REPOSITORY = reason(
    "bitbucket-dc.no_such_repository", FAILED,
    "No repository has this slug in the project (NoSuchRepositoryException).",
    "Check the repository slug (in its URL) and give it with --bitbucket-dc-repository.")
PERMISSION_MISSING = reason(
    "bitbucket-dc.permission_missing", FAILED,
    "The account lacks a permission the vendor needs: Bitbucket's permission filter does not "
    "list the project or repository for it.",
    "Grant the permission on the project or repository (Settings > Repository permissions or "
    "Project permissions), or create the HTTP access token with it.")
