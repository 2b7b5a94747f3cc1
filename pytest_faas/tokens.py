"""The platform's bearer tokens: JWTs that dtlpy accepts, and the narrower tokens derived from one.

A platform has one token of its own (kept in ``<data-dir>/token``, given to tests and the CLI) and derives
two from it: the *agent* token, which its runner agents use, and the *function* token, which the agents
bind to the dtlpy of the user's code. What each reaches is decided by the routes (``backend/web/wsgi.py``):
the function token reaches the Dataloop API only, the agent token that and the agents' protocol, the
platform's own token everything, the harness's routes (seeding, the cron clock) included.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import time

PLATFORM, AGENT, FUNCTION = "platform", "agent", "function"
DEFAULT_LIFETIME_S = 10 * 365 * 86400
LOCAL_USER = "developer@faas.local"  # the user the platform's tokens name, and the creator of what it stores


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_token(email: str, secret: str | None = None, lifetime_s: int = DEFAULT_LIFETIME_S, *,
               issued: int | None = None, scope: str = PLATFORM) -> str:
    """A signed HS256 JWT with the claims dtlpy reads (``email``, ``exp``); the platform compares it whole.

    dtlpy decodes the token without checking the signature and refuses it when ``exp`` is near, so the
    token is long-lived; its secret only makes it unguessable.
    """
    secret = secret or os.urandom(16).hex()
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    now = int(time.time()) if issued is None else issued
    claims = {"email": email, "sub": email, "iat": now, "exp": now + lifetime_s, "iss": "pytest-faas",
              "scope": scope, "https://dataloop.ai/authorization": {"user_type": "human"}}
    payload = _b64(json.dumps(claims).encode())
    signature = _b64(hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest())
    return f"{header}.{payload}.{signature}"


def claims(token: str) -> dict:
    """The payload of a JWT, unchecked (as dtlpy reads it); ``{}`` for anything else."""
    try:
        payload = token.split(".")[1]
        value = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, binascii.Error, UnicodeDecodeError):
        return {}
    return value if isinstance(value, dict) else {}


def derive_token(token: str, role: str, email: str = "developer@faas.local") -> str:
    """The ``role`` token of the platform whose token is ``token``: the same for the same platform token
    (a restarted platform derives the same), and unguessable without it (its secret is an HMAC of it)."""
    known = claims(token)
    secret = hmac.new(token.encode(), role.encode(), hashlib.sha256).hexdigest()
    issued = known.get("iat") if isinstance(known.get("iat"), int) else 0
    expires = known.get("exp") if isinstance(known.get("exp"), int) else issued + DEFAULT_LIFETIME_S
    return make_token(str(known.get("email") or email), secret, expires - issued, issued=issued, scope=role)
