"""GitHub's connectors: GitHub Enterprise Server (``ghes``), GitHub.com with a personal access
token (``github``) and GitHub Apps (``github-app``). Everything that is GitHub's lives in this
folder: the declarations, the evaluators, the reason codes, token shapes, the scope grammar,
layer names, bundled profiles and scenarios."""

from __future__ import annotations

from checks.catalogue import Platform
from checks.model.secret import register_token_shapes

# https://github.blog/engineering/platform-security/behind-githubs-new-authentication-token-formats/
PLATFORM = Platform(
    name="GitHub",
    token_prefixes=("github_pat_", "ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
    token_patterns=(r"g(?<!\wg)ithub_pat_[A-Za-z0-9_]{20,}", r"g(?<!\wg)h[pousr]_[A-Za-z0-9]{20,}"),
    scope_pattern=r"[a-z][a-z_:]*[a-z]",
    scope_example="repo, read:org or admin:repo_hook",
    layers=(("github", "API"), ("oauth", "Credentials"), ("app", "GitHub App"),
            ("org", "Organization")),
)
register_token_shapes(PLATFORM.token_prefixes, PLATFORM.token_patterns)
