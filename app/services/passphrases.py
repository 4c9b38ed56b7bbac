"""Passphrase rules and hashing (argon2id).

A passphrase is checked exactly as typed: no trimming, no normalisation, any characters but
NUL. Its length is bounded above so that a megabyte "passphrase" cannot make us hash a
megabyte. Hash parameters come from config (OWASP's recommendation, see config.py).
"""

from __future__ import annotations

import string
from functools import lru_cache
from importlib import resources

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _

from app.services.errors import Invalid

MIN_LENGTH = 12
MAX_LENGTH = 256


@lru_cache(maxsize=8)
def _hasher_for(memory_kib: int, time_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(
        time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism,
        hash_len=32, salt_len=16, type=Type.ID,
    )


def hasher() -> PasswordHasher:
    cfg = current_app.config
    return _hasher_for(cfg["ARGON2_MEMORY_KIB"], cfg["ARGON2_TIME_COST"], cfg["ARGON2_PARALLELISM"])


@lru_cache(maxsize=8)
def _dummy_hash(memory_kib: int, time_cost: int, parallelism: int) -> str:
    return _hasher_for(memory_kib, time_cost, parallelism).hash("kindred-timing-equaliser")


def burn_equal_time(passphrase: str) -> None:
    """Spend what a real verification costs, so an unknown pseudonym answers as slowly as a
    known one (no enumeration of members by timing)."""
    cfg = current_app.config
    dummy = _dummy_hash(cfg["ARGON2_MEMORY_KIB"], cfg["ARGON2_TIME_COST"], cfg["ARGON2_PARALLELISM"])
    try:
        hasher().verify(dummy, passphrase[:MAX_LENGTH] or "-")
    except VerificationError:
        pass


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    text = (resources.files("app") / "data" / "common-passwords.txt").read_text(encoding="utf-8")
    return frozenset(
        line for line in text.splitlines() if line and not line.startswith("#")
    )


_PADDING = string.digits + string.punctuation + " "


def is_common(passphrase: str) -> bool:
    """True for a known common password, also with digits or symbols stuck on either end."""
    words = common_passwords()
    folded = passphrase.casefold()
    if folded in words or folded.replace(" ", "") in words:
        return True
    core = folded.strip(_PADDING)
    return len(core) >= 4 and (core in words or core.replace(" ", "") in words)


def validate_new(passphrase: object, confirm: object, *, pseudonym_key: str | None = None,
                 field: str = "passphrase") -> str:
    """Check a new passphrase (and its confirmation). Returns it unchanged.

    Raises Invalid with a message that says how to fix it.
    """
    if not isinstance(passphrase, str) or passphrase == "":
        raise Invalid(_("Please choose a passphrase."), field)
    if "\x00" in passphrase:
        raise Invalid(_("Passphrases can't contain a NUL character."), field)
    if len(passphrase) > MAX_LENGTH:
        raise Invalid(_("Passphrases can be at most %(num)s characters.", num=MAX_LENGTH), field)
    if len(passphrase) < MIN_LENGTH:
        raise Invalid(
            _("Passphrases need at least %(num)s characters. A few ordinary words "
              "with spaces between them work well and are easy to remember.", num=MIN_LENGTH), field)
    if len(set(passphrase)) < 4:
        raise Invalid(_("That passphrase repeats the same few characters. Please choose another."), field)
    if is_common(passphrase):
        raise Invalid(
            _("That passphrase is on a list of common passwords that attackers try first. "
            "Please choose another."), field)
    if pseudonym_key and pseudonym_key in passphrase.casefold():
        raise Invalid(_("Your passphrase shouldn't contain your pseudonym."), field)
    if not isinstance(confirm, str) or confirm != passphrase:
        raise Invalid(_("The two passphrases don't match. Please type the same one twice."), "confirm")
    return passphrase


def hash_passphrase(passphrase: str) -> str:
    return hasher().hash(passphrase)


def verify(stored_hash: str, passphrase: str) -> bool:
    if not isinstance(passphrase, str) or len(passphrase) > MAX_LENGTH or "\x00" in passphrase:
        burn_equal_time("-")
        return False
    try:
        return hasher().verify(stored_hash, passphrase)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return hasher().check_needs_rehash(stored_hash)
