"""Records bitbucket-dc's bundled scenarios: each a live run against the loopback Bitbucket
of tests/fake_bitbucket.py, saved with --record (run: python -m tools.bitbucket_scenarios).
Loopback only."""

from __future__ import annotations

import secrets

from checks.connectors import get_connector
from tests import netguard  # noqa: F401  (loopback only)
from tests.fake_bitbucket import BitbucketToken, BitbucketWorld, bitbucket_handler
from tests.pki import Pki
from tools.recorded import record, write

HOST = "bitbucket.example.com"
WHERE = ["--bitbucket-dc-project=ACME", "--bitbucket-dc-repository=api"]
READ = {"PROJECT_READ:ACME"}

# name -> (description, the token's permissions (None: a token Bitbucket refuses), options,
#          the world's rate limit)
CASES: dict[str, tuple[str, set[str] | None, list[str], bool]] = {
    "healthy": ("A user's HTTP access token reads the ACME project and its api repository.",
                READ, WHERE, False),
    "bad-credentials": ("Bitbucket refuses the token (revoked, expired or mistyped).",
                        None, WHERE, False),
    "no-such-project": ("No project has the key given.", READ,
                        ["--bitbucket-dc-project=ACMEE", "--bitbucket-dc-repository=api"],
                        False),
    "project-hidden": ("The project exists, but the token has no permission on it.", set(),
                       WHERE, False),
    "no-such-repository": ("The project has no repository with the slug given.", READ,
                           ["--bitbucket-dc-project=ACME", "--bitbucket-dc-repository=apii"],
                           False),
    "permission-missing": ("A repository token: it reads api, but not the project.",
                           {"REPO_READ:ACME/api"}, WHERE, False),
    "admin-missing": ("The vendor needs REPO_ADMIN (for webhooks); the token only reads.",
                      READ, [*WHERE, "--require-scope=REPO_ADMIN"], False),
    "rate-limited": ("Bitbucket answers 429: the token's rate limit is exhausted.", READ, WHERE,
                     True),
}


def main() -> None:
    pki = Pki.create()
    folder = get_connector("bitbucket-dc").scenarios
    for name, (description, granted, options, limited) in CASES.items():
        world = BitbucketWorld(rate_limited=limited)
        token = "BBDC-" + secrets.token_hex(20)
        if granted is not None:
            world.tokens[token] = BitbucketToken("flow-service", granted)
        write(folder, name, record(
            "bitbucket-dc", pki, bitbucket_handler(world), HOST, "93.184.215.14",
            f"https://{HOST}", options, {"CONNECTOR_BITBUCKET_DC_TOKEN": token},
            description))


if __name__ == "__main__":
    main()
