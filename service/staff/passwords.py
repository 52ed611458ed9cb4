"""Staff passwords: argon2id hashes (argon2-cffi), and the staff users from settings.

- `hash_password` / `verify_password`: argon2id with argon2-cffi's defaults (RFC 9106's low-memory profile:
  64 MiB, 3 passes, 4 lanes — above OWASP's minimum), written `argon2id:v=19:m=65536.t=3.p=4:salt:hash`
  (the standard encoding with `$` as `:` and `,` as `.`, so it survives shells, .env files and comma
  lists). The standard `$argon2id$…` form is read too, and so are the scrypt hashes of earlier versions
  (a warning at start-up asks for a new one).
- `load_staff_users(settings)`: CLINICBOT_STAFF_PASSWORD becomes the user `staff` (hashed at start-up, the
  plain text is not kept) plus the `name:hash` entries of CLINICBOT_STAFF_USERS; a bad entry stops start-up.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import SecretStr

from service.settings import Settings
from service.storage.sessions import credential_fingerprint
from service.staff.signing import b64d

log = logging.getLogger(__name__)
DEFAULT_USER = "staff"  # the user CLINICBOT_STAFF_PASSWORD signs in
USER_NAME = re.compile(r"[A-Za-z0-9_.@-]{1,64}")
_HASHER = PasswordHasher()  # argon2-cffi's defaults follow RFC 9106 and move with the library
SCRYPT_BYTES = 32  # earlier versions' scrypt:N:r:p:salt:hash (still verified)


class StaffConfigError(ValueError):
    """CLINICBOT_STAFF_USERS (or the password) cannot be used; the message names the entry, never the hash."""


def hash_password(password: str) -> str:
    """An argon2id hash of `password`, as `argon2id:v=19:m=65536.t=3.p=4:salt:hash`."""
    return _HASHER.hash(password).lstrip("$").replace("$", ":").replace(",", ".")


def _argon2_form(stored: str) -> str | None:
    """The standard `$argon2id$…` encoding of a stored hash, or None when it is not an argon2id hash."""
    stored = stored.strip()
    if stored.startswith("argon2id:"):
        stored = "$" + stored.replace(":", "$").replace(".", ",")
    if not stored.startswith("$argon2id$") or stored.count("$") != 5:
        return None
    return stored


def _parse_scrypt(stored: str) -> tuple[int, int, int, bytes, bytes] | None:
    """The parameters of an earlier version's scrypt hash, or None when it is not one."""
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


def is_valid_hash(stored: str) -> bool:
    """Whether `stored` is a hash `verify_password` can check."""
    encoded = _argon2_form(stored)
    if encoded is not None:
        try:
            _HASHER.check_needs_rehash(encoded)  # parses the parameters
        except (InvalidHashError, ValueError):
            return False
        return True
    return _parse_scrypt(stored) is not None


def needs_new_hash(stored: str) -> bool:
    """Whether a stored hash is weaker than what `hash_password` makes today (old scrypt, cheaper argon2)."""
    encoded = _argon2_form(stored)
    return encoded is None or _HASHER.check_needs_rehash(encoded)


def verify_password(password: str, stored: str) -> bool:
    """Whether `password` matches `stored` (constant-time; a malformed hash never matches)."""
    encoded = _argon2_form(stored)
    if encoded is not None:
        try:
            return _HASHER.verify(encoded, password)
        except (VerificationError, InvalidHashError, ValueError):
            return False
    parsed = _parse_scrypt(stored)
    if parsed is None:
        return False
    n, r, p, salt, digest = parsed
    computed = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=SCRYPT_BYTES,
                              maxmem=128 * r * (n + p + 2) + 1024 * 1024)
    return hmac.compare_digest(computed, digest)


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
        if not is_valid_hash(stored):
            raise StaffConfigError(f"{where} (user '{name}') has no valid password hash; make one with "
                                   "`clinicbot hash-password`")
        if name in users:
            raise StaffConfigError(f"{where}: user '{name}' is listed twice")
        users[name] = stored.strip()
        if needs_new_hash(stored):
            log.warning("staff user '%s' has a password hash weaker than today's argon2id default: make a new "
                        "one with `clinicbot hash-password`", name)
    password = settings.staff_password.get_secret_value()
    if password:
        if DEFAULT_USER in users:
            raise StaffConfigError(f"user '{DEFAULT_USER}' is set twice: by CLINICBOT_STAFF_PASSWORD and in "
                                   "CLINICBOT_STAFF_USERS; keep one")
        users[DEFAULT_USER] = hash_password(password)
    return users


def credentials(settings: Settings, users: dict[str, str], secret: str) -> dict[str, str]:
    """User name -> a fingerprint of the user's current password, which a session must match to stay valid.

    Hashed users: a fingerprint of their stored hash. The `staff` user of CLINICBOT_STAFF_PASSWORD (hashed
    afresh with a new salt at every start): a keyed hash of the password itself, so a restart or another
    replica with the same password keeps the sessions, and a new password ends them.
    """
    found = {user: credential_fingerprint(stored) for user, stored in users.items()}
    password = settings.staff_password.get_secret_value()
    if password and DEFAULT_USER in users:
        keyed = hmac.new(secret.encode(), b"staff password " + password.encode("utf-8"), hashlib.sha256)
        found[DEFAULT_USER] = credential_fingerprint(keyed.hexdigest())
    return found


def without_password(settings: Settings) -> Settings:
    """The settings with the plain staff password blanked (call after `load_staff_users`)."""
    if settings.staff_password.get_secret_value():
        return settings.model_copy(update={"staff_password": SecretStr("")})
    return settings
