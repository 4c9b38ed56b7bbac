"""Rate-limit keys that never hold a client address.

The address is hashed with a random salt that lives only in memory (this process's, or Redis's
with a TTL when several workers share it) and is replaced every few hours, so a key cannot be turned back into an address, not even by us, and
yesterday's keys cannot be linked to today's. This is the only module that reads the address.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time

from flask import current_app, request

_lock = threading.Lock()
_salt = secrets.token_bytes(32)
_salt_born = time.monotonic()
# Several workers must hash an address the same way, or each would count its own share of a
# client's attempts: with Redis the salt lives there, with a TTL so it still rotates, and each
# worker keeps its copy for a minute.
_shared: dict[str, tuple[float, bytes]] = {}
_SHARED_FOR = 60.0


def _redis_salt(url: str, prefix: str, rotate: int) -> bytes | None:
    from app.services import redis_client

    now = time.monotonic()
    key = f"{prefix}:ratelimit:salt"
    cached = _shared.get(url + key)
    if cached and now - cached[0] < min(_SHARED_FOR, rotate / 2):
        return cached[1]
    try:
        r = redis_client.get(url)
        r.set(key, secrets.token_hex(32), nx=True, ex=max(1, rotate))
        value = r.get(key)
    except Exception:  # Redis away: this worker's own salt until it is back
        return None
    if not value:
        return None
    salt = bytes.fromhex(value.decode() if isinstance(value, bytes) else value)
    _shared[url + key] = (now, salt)
    return salt


def _current_salt() -> bytes:
    global _salt, _salt_born
    rotate = current_app.config.get("RATELIMIT_SALT_ROTATE_SECONDS", 6 * 3600)
    url = current_app.config.get("REDIS_URL")
    if url:
        shared = _redis_salt(url, current_app.config.get("RATELIMIT_KEY_PREFIX", "kindred"), int(rotate))
        if shared is not None:
            return shared
    with _lock:
        if time.monotonic() - _salt_born > rotate:
            _salt = secrets.token_bytes(32)
            _salt_born = time.monotonic()
        return _salt


def hashed(value: str, purpose: str) -> str:
    """A short keyed hash of `value` for one purpose; not reversible without the in-memory salt."""
    digest = hmac.new(_current_salt(), f"{purpose}\0{value}".encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def client_key() -> str:
    # The one place a client address is read: it goes straight into a salted hash, in memory.
    return "addr:" + hashed(request.remote_addr or "-", "addr")


def pseudonym_key() -> str:
    """Key for per-pseudonym sign-in throttling (the name as normalised, hashed too)."""
    from app.services.pseudonyms import canonical

    raw = request.form.get("pseudonym", "") if request.method == "POST" else ""
    return "name:" + hashed(canonical(raw)[:64], "name")
