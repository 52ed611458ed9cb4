"""Signed values: unpadded base64url and HMAC-SHA256 under keys derived from the app's secret, one per purpose.

Sessions (auth.py) and CSRF tokens (csrf.py) are signed here, each with its own key, so a value signed for one
can never pass as the other.
"""
from __future__ import annotations

import base64
import hashlib
import hmac

from fastapi import Request


def b64e(raw: bytes) -> str:
    """Unpadded base64url text of `raw` (safe in cookies, URLs and `name:hash` entries)."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64d(text: str) -> bytes:
    """The bytes of unpadded base64url text (ValueError when it is not base64)."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def signing_key(request_or_secret: Request | str, purpose: str) -> bytes:
    """The HMAC key for `purpose`, derived from the given secret or the app's (`app.state.secrets`)."""
    secret = request_or_secret if isinstance(request_or_secret, str) else request_or_secret.app.state.secrets
    return hmac.new(str(secret).encode(), f"clinicbot {purpose}".encode(), hashlib.sha256).digest()


def sign(key: bytes, body: str) -> str:
    """The base64url HMAC-SHA256 signature of the ASCII text `body`."""
    return b64e(hmac.new(key, body.encode("ascii"), hashlib.sha256).digest())
