"""Secrets handed to people and machines: random, shown once, stored only as a SHA-256 hash.

A session cookie or an API token carries 256 random bits, so a plain SHA-256 is enough to
keep a stolen database from yielding usable tokens (no dictionary to try).
"""

from __future__ import annotations

import hashlib
import secrets

API_TOKEN_PREFIX = "dst_"


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def new_api_token() -> str:
    return API_TOKEN_PREFIX + new_secret()


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    return secrets.compare_digest(a.encode(), b.encode())
