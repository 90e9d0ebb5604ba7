"""CSRF tokens: bound to the session, so a form posted from another site cannot carry a valid one."""

from __future__ import annotations

import hashlib
import hmac


def csrf_token(secret_key: str, session_token: str) -> str:
    """A token bound to the session, so a form posted from another site cannot carry a valid one."""
    return hmac.new(secret_key.encode(), b"csrf:" + session_token.encode(), hashlib.sha256).hexdigest()


def same_secret(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
