"""Staff passwords: scrypt hashes, and the staff users from settings (CLINICBOT_STAFF_PASSWORD, _STAFF_USERS).

Standard library only (plus the settings object):

- `hash_password` / `verify_password`: scrypt, compared with `hmac.compare_digest`.
- `load_staff_users(settings)`: CLINICBOT_STAFF_PASSWORD becomes the user `staff` (hashed at start-up, the
  plain text is not kept) plus the `name:hash` entries of CLINICBOT_STAFF_USERS; a bad entry stops start-up.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from functools import cache

from pydantic import SecretStr

from service.settings import Settings
from service.staff.signing import b64d, b64e

DEFAULT_USER = "staff"  # the user CLINICBOT_STAFF_PASSWORD signs in
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1  # ~16 MB and ~50 ms per hash
SCRYPT_BYTES = 32
USER_NAME = re.compile(r"[A-Za-z0-9_.@-]{1,64}")


class StaffConfigError(ValueError):
    """CLINICBOT_STAFF_USERS (or the password) cannot be used; the message names the entry, never the hash."""


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=SCRYPT_BYTES,
                          maxmem=128 * r * (n + p + 2) + 1024 * 1024)


def hash_password(password: str) -> str:
    """`scrypt:N:r:p:salt:hash` (base64url); no `$`, so it survives shells and .env files unquoted."""
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt:{SCRYPT_N}:{SCRYPT_R}:{SCRYPT_P}:{b64e(salt)}:{b64e(digest)}"


def _parse_hash(stored: str) -> tuple[int, int, int, bytes, bytes] | None:
    """The parameters of a stored hash, or None when it is not one `hash_password` makes."""
    parts = stored.strip().split(":")
    if len(parts) != 6 or parts[0] != "scrypt" or not all(x.isdigit() for x in parts[1:4]):
        return None
    n, r, p = (int(x) for x in parts[1:4])
    if n < 2**10 or n > 2**17 or n & (n - 1) or not 1 <= r <= 16 or not 1 <= p <= 4:
        return None
    try:
        salt, digest = b64d(parts[4]), b64d(parts[5])
    except (ValueError, TypeError):
        return None
    if len(salt) < 8 or len(digest) != SCRYPT_BYTES:
        return None
    return n, r, p, salt, digest


def verify_password(password: str, stored: str) -> bool:
    """Whether `password` matches `stored` (constant-time comparison; a malformed hash never matches)."""
    parsed = _parse_hash(stored)
    if parsed is None:
        return False
    n, r, p, salt, digest = parsed
    return hmac.compare_digest(_scrypt(password, salt, n, r, p), digest)


@cache
def dummy_hash() -> str:
    """A hash of a random password, checked for unknown user names so they take as long as known ones."""
    return hash_password(secrets.token_urlsafe(16))


def load_staff_users(settings: Settings) -> dict[str, str]:
    """User name -> password hash, from CLINICBOT_STAFF_PASSWORD and CLINICBOT_STAFF_USERS; {} = no login set up."""
    users: dict[str, str] = {}
    for number, entry in enumerate(settings.staff_users, 1):
        name, colon, stored = entry.strip().partition(":")
        name = name.strip()
        where = f"CLINICBOT_STAFF_USERS entry {number}"
        if not colon or not USER_NAME.fullmatch(name):
            shown = f" (user '{name}')" if USER_NAME.fullmatch(name) else ""
            raise StaffConfigError(f"{where}{shown} is not `name:hash`: names use letters, digits and . _ @ -; "
                                   "make the hash with `clinicbot hash-password`")
        if _parse_hash(stored) is None:
            raise StaffConfigError(f"{where} (user '{name}') has no valid password hash; make one with "
                                   "`clinicbot hash-password`")
        if name in users:
            raise StaffConfigError(f"{where}: user '{name}' is listed twice")
        users[name] = stored.strip()
    password = settings.staff_password.get_secret_value()
    if password:
        if DEFAULT_USER in users:
            raise StaffConfigError(f"user '{DEFAULT_USER}' is set twice: by CLINICBOT_STAFF_PASSWORD and in "
                                   "CLINICBOT_STAFF_USERS; keep one")
        users[DEFAULT_USER] = hash_password(password)
    return users


def without_password(settings: Settings) -> Settings:
    """The settings with the plain staff password blanked (call after `load_staff_users`)."""
    if settings.staff_password.get_secret_value():
        return settings.model_copy(update={"staff_password": SecretStr("")})
    return settings
