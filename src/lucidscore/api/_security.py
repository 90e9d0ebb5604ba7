"""CSRF tokens (bound to the session, or before sign-in to a pre-session cookie) and known-device cookies."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def csrf_token(secret_key: str, session_token: str) -> str:
    """A token bound to the session, so a form posted from another site cannot carry a valid one."""
    return hmac.new(secret_key.encode(), b"csrf:" + session_token.encode(), hashlib.sha256).hexdigest()


def same_secret(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def signin_csrf_token(secret_key: str, pre_session: str) -> str:
    """The sign-in form's token, bound to the browser's pre-session cookie (no session exists yet), so
    another site cannot sign a visitor in to the attacker's account (login CSRF)."""
    return hmac.new(secret_key.encode(), b"signin:" + pre_session.encode(), hashlib.sha256).hexdigest()


def new_device_cookie(secret_key: str, username: str) -> str:
    """A known-device cookie for ``username``: a random id and its signature, bound to the username."""
    device = secrets.token_urlsafe(16)
    return f"{device}.{_device_signature(secret_key, username, device)}"


def device_of(secret_key: str, username: str, cookie: str | None) -> str | None:
    """The device id of a known-device cookie that this service issued for ``username``; None otherwise."""
    if not cookie:
        return None
    device, _, signature = cookie.partition(".")
    if not device or not signature:
        return None
    return device if same_secret(signature, _device_signature(secret_key, username, device)) else None


def _device_signature(secret_key: str, username: str, device: str) -> str:
    message = f"device:{username.lower()}:{device}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()
