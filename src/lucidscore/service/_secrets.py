"""Secrets: argon2 password hashes; random tokens (API keys, sessions, consents) kept as SHA-256 digests.

A token issued by a service over several shards names the shard that keeps it: a **shard mark**
``s<index>.`` before its random part (``lct_s1.<random>`` for a consent, ``s1.<random>`` for a sign-in
session or an OAuth authorization code). The mark is part of the token's text, hence of its digest: a
token whose mark is changed is another text, whose digest no shard holds. It only says where to look;
whatever it says, the token is found by its digest or not at all. Tokens without a mark (issued by one
database, or before marks) carry no ``.`` (``token_urlsafe`` and Authlib's codes never do).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

API_KEY_PREFIX = "lsk_"
CONSENT_TOKEN_PREFIX = "lct_"


def password_hasher() -> PasswordHasher:
    """Argon2id with modest costs so a sign-in stays well under 100 ms on a small machine."""
    return PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)


def hash_password(password: str) -> str:
    return password_hasher().hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return password_hasher().verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def digest(token: str) -> str:
    """SHA-256 hex of a long random token: what the database keeps instead of the token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


MAX_MARKED_SHARD = 9999  # a mark has at most 4 digits
_MARK = re.compile(r"s(0|[1-9][0-9]{0,3})\.(?=.)")  # "s<index>." then the random part, after any prefix
_PREFIXES = (CONSENT_TOKEN_PREFIX,)


def shard_mark(shard: int | None) -> str:
    """The mark a token of shard ``shard`` starts with (after its prefix): ``s<shard>.``; none for None."""
    if shard is None:
        return ""
    if not 0 <= shard <= MAX_MARKED_SHARD:
        raise ValueError(f"a shard mark names shard 0 to {MAX_MARKED_SHARD}; got {shard}")
    return f"s{shard}."


def new_token(prefix: str = "", *, shard: int | None = None) -> str:
    """A random token (256 bits), marked with the shard that keeps it when ``shard`` is given."""
    return prefix + shard_mark(shard) + secrets.token_urlsafe(32)


def token_shard(token: str) -> int | None:
    """The shard a token's mark names; None for a token without a well-formed mark (issued by one database
    or before marks, or not a token of ours). Says where to look, not that the token exists."""
    for prefix in _PREFIXES:
        if token.startswith(prefix):
            token = token[len(prefix) :]
            break
    found = _MARK.match(token)
    return int(found.group(1)) if found else None


def new_api_key() -> tuple[str, str]:
    """A merchant API key ``lsk_<prefix>_<secret>`` and its public prefix (to find it without the secret)."""
    prefix = secrets.token_hex(6)
    return f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}", prefix


def api_key_prefix(key: str) -> str | None:
    if not key.startswith(API_KEY_PREFIX):
        return None
    prefix, sep, _ = key[len(API_KEY_PREFIX) :].partition("_")
    return prefix if sep and len(prefix) == 12 else None


def same_secret(a: str, b: str) -> bool:
    """Compare secrets in constant time."""
    return hmac.compare_digest(a.encode(), b.encode())
