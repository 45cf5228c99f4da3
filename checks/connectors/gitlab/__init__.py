"""GitLab's connector (``gitlab``: gitlab.com or self-managed). Everything that is GitLab's
lives in this folder: the declaration, the evaluators, the reason codes, token shapes, the
scope grammar, bundled profiles and scenarios."""

from __future__ import annotations

from checks.catalogue import Platform
from checks.model.secret import register_token_shapes

# https://docs.gitlab.com/security/tokens/#token-prefixes
PLATFORM = Platform(
    name="GitLab",
    token_prefixes=("glpat-", "gloas-", "gldt-", "glrt-", "glptt-", "glft-", "glimt-",
                    "glsoat-"),
    token_patterns=(r"g(?<!\wg)l[a-z]{2,5}-[A-Za-z0-9_\-.]{20,}",),
    scope_pattern=r"[a-z][a-z_]*[a-z]",
    scope_example="api, read_api or read_repository",
)
register_token_shapes(PLATFORM.token_prefixes, PLATFORM.token_patterns)
