"""Rate-limit keys that never hold a client address.

The address is hashed with a random salt that lives only in this process's memory and is
replaced every few hours, so a key cannot be turned back into an address, not even by us, and
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


def _current_salt() -> bytes:
    global _salt, _salt_born
    rotate = current_app.config.get("RATELIMIT_SALT_ROTATE_SECONDS", 6 * 3600)
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
