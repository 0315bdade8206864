"""The Stop capability: a random token only the session (or process) that started a run holds.

The run store keeps ``digest(token)``, never the token, so reading the database, a run's ZIP or
``python -m model.runs show`` reveals nothing that stops or deletes a run. The token is random
(``new_token``: 256 bits), so an unsalted SHA-256 is enough: nobody can guess a preimage.
Tokens are compared through their digests with ``hmac.compare_digest``, in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

PREFIX = "sha256:"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def digest(token: str) -> str:
    """What the store keeps for ``token``."""
    return PREFIX + hashlib.sha256(token.encode("utf-8")).hexdigest()


def matches(token: str | None, stored: str | None) -> bool:
    """Whether ``token`` is the capability whose digest is ``stored`` (False when either is missing)."""
    if not token or not stored:
        return False
    return hmac.compare_digest(digest(token).encode(), stored.encode())
