"""The platform: its permissions or scopes, how its answers read, its error body."""

from __future__ import annotations

import re
from typing import Any

from checks.api import Http, Platform, json_message, register_token_shapes

# A personal access token's scopes, as Azure DevOps spells them
# (https://learn.microsoft.com/azure/devops/integrate/get-started/authentication/oauth#scopes).
SCOPES = ("vso.code", "vso.code_write", "vso.code_manage", "vso.code_full", "vso.code_status",
          "vso.project", "vso.project_write", "vso.project_manage", "vso.work",
          "vso.work_write", "vso.work_full", "vso.build", "vso.build_execute", "vso.release",
          "vso.release_execute", "vso.release_manage", "vso.hooks", "vso.hooks_write",
          "vso.hooks_interact", "vso.graph", "vso.identity", "vso.profile", "vso.packaging",
          "vso.test", "vso.wiki", "vso.analytics", "vso.serviceendpoint", "vso.variablegroups_read",
          "vso.agentpools", "vso.auditlog")
# A scope grants the read scope of its area.
GRANTS = {"vso.code_write": ("vso.code",), "vso.code_manage": ("vso.code_write", "vso.code"),
          "vso.code_full": ("vso.code_manage", "vso.code_write", "vso.code"),
          "vso.project_write": ("vso.project",),
          "vso.project_manage": ("vso.project_write", "vso.project"),
          "vso.work_write": ("vso.work",), "vso.work_full": ("vso.work_write", "vso.work"),
          "vso.build_execute": ("vso.build",), "vso.hooks_write": ("vso.hooks",)}

PLATFORM = Platform(
    name="Azure DevOps",
    token_prefixes=(),  # a PAT has no prefix: masked by its value
    token_patterns=(),
    scope_pattern=r"vso\.[a-z_]+",
    scope_example="vso.code, vso.project or vso.work",
    scopes=SCOPES,
    scopes_source="Azure DevOps' scopes reference",
    layers=(("project", "Organization and project"),),
)
register_token_shapes(PLATFORM.token_prefixes, PLATFORM.token_patterns, PLATFORM.name)

# Azure DevOps' error codes: TF400813 (not authorized), VS30063 (not authorized for the
# organization), VS403463 (a conditional access policy refused), TF200016 (no such project).
CODE = re.compile(r"\b(TF\d{5,6}|VS\d{5,6})\b")


def _message(data: Any) -> str:
    """Azure DevOps' error body: {"message": "TF400813: ...", "typeKey": "..."}."""
    said = json_message(data)
    if said and isinstance(data, dict) and isinstance(data.get("typeKey"), str):
        return f"{said} ({data['typeKey']})"
    return said


def code_of(text: str) -> str:
    found = CODE.search(text)
    return found.group(1) if found else ""


HTTP = Http("Azure DevOps", message=_message, headers=frozenset({
    "x-vss-e2eid", "activityid", "x-tfs-session", "x-vss-userdata", "x-ratelimit-resource",
    "x-ratelimit-delay", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset",
    "x-tfs-serviceerror"}))
