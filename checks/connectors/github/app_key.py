"""A GitHub App's JWTs (no I/O).

https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-json-web-token-jwt-for-a-github-app
"""

from __future__ import annotations

import warnings
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.asymmetric import rsa

# GitHub rejects a JWT issued in its future or expiring more than 10 minutes ahead; the seed's
# script and GitHub's docs issue it 60 s in the past to absorb clock drift.
IAT_BACKDATE = timedelta(seconds=60)
LIFETIME = timedelta(minutes=9)  # exp - now; under GitHub's 10 minutes
MAX_EXP_AHEAD = timedelta(minutes=10)


def mint_jwt(key: rsa.RSAPrivateKey, app_id: str, now: datetime) -> str:
    """An RS256 JWT as GitHub asks: iat 60 s back, exp under 10 minutes ahead, iss the app."""
    import jwt  # only the github-app connector signs JWTs
    from jwt.warnings import InsecureKeyLengthWarning

    claims = {"iat": int((now - IAT_BACKDATE).timestamp()),
              "exp": int((now + LIFETIME).timestamp()),
              "iss": app_id}  # a string, as in the seed's script: app id or client id
    with warnings.catch_warnings():  # a short key is reported as app.private_key_weak
        warnings.simplefilter("ignore", InsecureKeyLengthWarning)
        token = jwt.encode(claims, key, algorithm="RS256")
        # Checked with the public key before it is sent: a fault of ours is not GitHub's 401.
        decoded = jwt.decode(token, key.public_key(), algorithms=["RS256"],
                             options={"require": ["iat", "exp", "iss"], "verify_exp": False,
                                      "verify_iat": False})
    assert decoded["iat"] <= now.timestamp() < decoded["exp"] <= (now + MAX_EXP_AHEAD).timestamp()
    return token
