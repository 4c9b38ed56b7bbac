"""Accounts: sign up, sign in, recovery codes, passphrase changes, settings, export, deletion.

An account is a pseudonym and an argon2id hash. Nothing here takes or keeps an e-mail address,
phone number, real name, IP address or user agent.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Member, RecoveryCode, Role
from app.models.base import utcnow
from app.services import audit, member_data, passphrases, pseudonyms, sessions
from app.services.errors import Invalid, NotFound

RECOVERY_CODE_COUNT = 8
# Crockford-style alphabet without look-alikes (no 0/O, 1/I/L, U).
_CODE_ALPHABET = "23456789abcdefghjkmnpqrstvwxyz"
_CODE_GROUPS = 3
_CODE_GROUP_LEN = 4

SIGN_IN_FAILED = _l("That pseudonym and passphrase don't match an account. Check both and try again.")
RECOVERY_FAILED = _l("That pseudonym and recovery code don't match. Check both and try again.")


@dataclass(frozen=True)
class NewAccount:
    member: Member
    recovery_codes: list[str] = field(repr=False)


# ---------------------------------------------------------------- recovery codes

def _new_code() -> str:
    groups = (
        "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_GROUP_LEN))
        for _ in range(_CODE_GROUPS)
    )
    return "-".join(groups)


def _normalise_code(code: str) -> str:
    return "".join(ch for ch in code.casefold() if ch.isalnum())


def _code_hash(code: str) -> str:
    return hashlib.sha256(_normalise_code(code).encode()).hexdigest()


def _issue_codes(member: Member) -> list[str]:
    """Replace member's recovery codes with a fresh set; returns them in clear, once."""
    for old in db.session.scalars(select(RecoveryCode).where(RecoveryCode.member_id == member.id)):
        db.session.delete(old)
    codes = [_new_code() for _ in range(RECOVERY_CODE_COUNT)]
    for code in codes:
        db.session.add(RecoveryCode(member_id=member.id, code_hash=_code_hash(code)))
    return codes


def unused_code_count(member: Member) -> int:
    from sqlalchemy import func

    return db.session.scalar(
        select(func.count(RecoveryCode.id)).where(
            RecoveryCode.member_id == member.id, RecoveryCode.used_at.is_(None))
    ) or 0


# ---------------------------------------------------------------- lookups

def find_by_pseudonym(raw: str) -> Member | None:
    if not isinstance(raw, str) or len(raw) > 200:
        return None
    return db.session.scalar(select(Member).where(Member.pseudonym_key == pseudonyms.canonical(raw)))


def get_member(member_id: int) -> Member:
    member = db.session.get(Member, member_id)
    if member is None:
        raise NotFound(_("There is no such member."))
    return member


def _ensure_name_free(forms: pseudonyms.PseudonymForms) -> None:
    clash = db.session.scalar(
        select(Member.id).where(
            (Member.pseudonym_key == forms.key) | (Member.pseudonym_skeleton == forms.skeleton))
    )
    if clash is not None:
        raise Invalid(
            _("That pseudonym, or one that looks just like it, is taken. Please choose another."),
            "pseudonym")


# ---------------------------------------------------------------- sign up / sign in

def register(pseudonym: object, passphrase: object, confirm: object,
             roles: tuple[Role, ...] = ()) -> NewAccount:
    """Create an account and sign this browser in. Returns the member and 8 recovery codes,
    which exist in clear only in the return value.

    Raises Invalid (field "pseudonym", "passphrase" or "confirm").
    """
    forms = pseudonyms.validate(pseudonym)
    passphrases.validate_new(passphrase, confirm, pseudonym_key=forms.key)
    _ensure_name_free(forms)
    member = Member(
        pseudonym=forms.display,
        pseudonym_key=forms.key,
        pseudonym_skeleton=forms.skeleton,
        passphrase_hash=passphrases.hash_passphrase(passphrase),  # type: ignore[arg-type]
    )
    db.session.add(member)
    try:
        db.session.flush()
    except IntegrityError:  # two sign-ups raced for the same name
        db.session.rollback()
        raise Invalid(
            _("That pseudonym, or one that looks just like it, is taken. Please choose another."),
            "pseudonym") from None
    for role in roles:
        from app.services import roles as roles_service

        roles_service.add_role_row(member, role)
    codes = _issue_codes(member)
    db.session.commit()
    return NewAccount(member=member, recovery_codes=codes)


def sign_up(pseudonym: object, passphrase: object, confirm: object) -> NewAccount:
    """register(), then sign this browser in with a fresh session."""
    new = register(pseudonym, passphrase, confirm)
    sessions.start(new.member)
    db.session.commit()
    return new


def authenticate(pseudonym: object, passphrase: object) -> Member:
    """Check a pseudonym and passphrase. Same message and same hashing time whether or not the
    pseudonym exists. Upgrades the stored hash when the parameters have changed.

    Raises Invalid(SIGN_IN_FAILED).
    """
    pw = passphrase if isinstance(passphrase, str) else ""
    member = find_by_pseudonym(pseudonym) if isinstance(pseudonym, str) else None
    if member is None:
        passphrases.burn_equal_time(pw)
        raise Invalid(SIGN_IN_FAILED)
    if not passphrases.verify(member.passphrase_hash, pw):
        raise Invalid(SIGN_IN_FAILED)
    if member.banned_at is not None:
        # Only someone who knows the passphrase learns this.
        raise Invalid(_("This account has been suspended by the community's admins."))
    if passphrases.needs_rehash(member.passphrase_hash):
        member.passphrase_hash = passphrases.hash_passphrase(pw)
        db.session.commit()
    return member


def sign_in(pseudonym: object, passphrase: object) -> Member:
    """authenticate(), then start a fresh session in this browser."""
    member = authenticate(pseudonym, passphrase)
    sessions.start(member)
    db.session.commit()
    return member


def sign_out() -> None:
    sessions.end_current()
    db.session.commit()


def sign_out_everywhere(member: Member) -> int:
    """End every session of this account, this browser's included. Returns how many."""
    ended = sessions.end_all(member)
    audit.record(member, "account.signed_out_everywhere", member, sessions=ended)
    db.session.commit()
    return ended


# ---------------------------------------------------------------- recovery and passphrases

def recover(pseudonym: object, code: object, new_passphrase: object, confirm: object) -> Member:
    """Use one recovery code to set a new passphrase. Ends every other session and signs this
    browser in. Raises Invalid."""
    member = find_by_pseudonym(pseudonym) if isinstance(pseudonym, str) else None
    code_str = code if isinstance(code, str) else ""
    if len(code_str) > 64:
        code_str = ""
    passphrases.validate_new(
        new_passphrase, confirm, pseudonym_key=member.pseudonym_key if member else None)
    # Spend the hashing time up front so a missing account answers as slowly as a real one.
    new_hash = passphrases.hash_passphrase(new_passphrase)  # type: ignore[arg-type]
    if member is None or not code_str:
        raise Invalid(RECOVERY_FAILED, "code")
    wanted = _code_hash(code_str)
    match = None
    for row in db.session.scalars(
        select(RecoveryCode).where(RecoveryCode.member_id == member.id, RecoveryCode.used_at.is_(None))
    ):
        if hmac.compare_digest(row.code_hash, wanted):
            match = row
    if match is None or member.banned_at is not None:
        raise Invalid(RECOVERY_FAILED, "code")
    match.used_at = utcnow()
    member.passphrase_hash = new_hash
    sessions.end_all(member)
    audit.record(member, "account.recovered", member)
    sessions.start(member)
    db.session.commit()
    return member


def change_passphrase(member: Member, current: object, new: object, confirm: object) -> None:
    """Change the passphrase. Every session of the account ends (other browsers, open sockets);
    this browser gets a fresh one. Raises Invalid."""
    if not isinstance(current, str) or not passphrases.verify(member.passphrase_hash, current):
        raise Invalid(_("Your current passphrase isn't right."), "current")
    passphrases.validate_new(new, confirm, pseudonym_key=member.pseudonym_key, field="new")
    if new == current:
        raise Invalid(_("The new passphrase is the same as the current one."), "new")
    member.passphrase_hash = passphrases.hash_passphrase(new)  # type: ignore[arg-type]
    sessions.end_all(member)
    audit.record(member, "account.passphrase_changed", member)
    sessions.start(member)
    db.session.commit()


def regenerate_recovery_codes(member: Member, current: object) -> list[str]:
    """Replace all recovery codes (old ones stop working). Needs the passphrase. Raises Invalid."""
    if not isinstance(current, str) or not passphrases.verify(member.passphrase_hash, current):
        raise Invalid(_("Your current passphrase isn't right."), "current")
    codes = _issue_codes(member)
    audit.record(member, "account.recovery_codes_replaced", member)
    db.session.commit()
    return codes


# ---------------------------------------------------------------- settings, export, deletion

def set_discreet_mode(member: Member, on: bool) -> None:
    member.discreet_mode = bool(on)
    db.session.commit()


def set_language(member: Member, code: object) -> None:
    """The interface language the member chose: one of i18n.LANGUAGES, or "" for "as my browser
    says" (Accept-Language). Raises Invalid."""
    from app import i18n

    if code in (None, ""):
        member.language = None
    elif isinstance(code, str) and code in i18n.LANGUAGES:
        member.language = code
    else:
        raise Invalid(_("Please choose one of the languages offered."), "language")
    db.session.commit()


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() + "Z" if value else None


def export(member: Member) -> dict:
    """Everything this member has given Kindred, as JSON-able data."""
    return {
        "format": "kindred-export/1",
        "exported_at": _iso(utcnow()),
        "account": {
            "pseudonym": member.pseudonym,
            "created_at": _iso(member.created_at),
            "roles": member.role_names,
            "discreet_mode": member.discreet_mode,
            "language": member.language,
            "unused_recovery_codes": unused_code_count(member),
        },
        **member_data.export_sections(member),
    }


def delete_account(member: Member, passphrase: object, choice: object, confirmed: object) -> None:
    """Delete the account for good. choice "remove" deletes what the member wrote; "keep"
    leaves it in place shown as "deleted member". Needs the passphrase. Raises Invalid."""
    if choice not in ("remove", "keep"):
        raise Invalid(_("Please choose what happens to what you wrote."), "content")
    if not confirmed:
        raise Invalid(_("Please tick the box to confirm that you want to delete your account."), "confirm")
    if not isinstance(passphrase, str) or not passphrases.verify(member.passphrase_hash, passphrase):
        raise Invalid(_("Your passphrase isn't right."), "passphrase")
    from app.services import roles as roles_service

    roles_service.ensure_not_last_admin(member)
    member_data.erase(member, choice)  # type: ignore[arg-type]
    sessions.end_all(member)
    audit.record(None, "account.deleted", None, member_id=member.id, content=choice)
    db.session.delete(member)
    db.session.commit()
