"""Granting and revoking roles, and suspending accounts. Every change is audited."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.extensions import db
from app.models import Member, MemberRole, Role
from app.models.base import utcnow
from app.services import audit, permissions, sessions
from app.services.errors import Forbidden, Invalid

PAGE_SIZE = 50


def parse_role(value: object) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise Invalid(_("Choose one of: peer supporter, facilitator, admin."), "role") from None


def add_role_row(member: Member, role: Role) -> None:
    if not member.has_role(role):
        member.roles.append(MemberRole(role=role))


def _admin_count() -> int:
    return db.session.scalar(
        select(func.count(MemberRole.id)).where(MemberRole.role == Role.ADMIN)) or 0


def ensure_not_last_admin(member: Member) -> None:
    if member.has_role(Role.ADMIN) and _admin_count() <= 1:
        raise Forbidden(
            _("This is the only admin account. Make another member an admin first, so the "
            "community is never left without one."))


def grant_role(actor: Member | None, member: Member, role: Role) -> bool:
    """Give member a role. Admins only. Returns False if they already had it."""
    actor = permissions.require_admin(actor)
    if member.banned_at is not None:
        raise Invalid(_("A suspended account can't be given a role. Lift the suspension first."))
    if member.has_role(role):
        return False
    add_role_row(member, role)
    audit.record(actor, "role.granted", member, role=role.value)
    db.session.commit()
    return True


def revoke_role(actor: Member | None, member: Member, role: Role) -> bool:
    """Take a role away. Admins only; the last admin keeps theirs. Returns False if they
    didn't have it."""
    actor = permissions.require_admin(actor)
    if not member.has_role(role):
        return False
    if role == Role.ADMIN:
        ensure_not_last_admin(member)
    for row in list(member.roles):
        if row.role == role:
            member.roles.remove(row)
    audit.record(actor, "role.revoked", member, role=role.value)
    db.session.commit()
    return True


def suspend(actor: Member | None, member: Member, reason: object) -> None:
    """Suspend (ban) an account: it can't sign in and every session ends now, sockets included."""
    actor = permissions.require_admin(actor)
    if member.id == actor.id:
        raise Invalid(_("You can't suspend your own account."))
    if member.has_role(Role.ADMIN):
        raise Invalid(_("Remove the admin role before suspending this account."))
    from app.services.text import clean_text

    why = clean_text(reason, field="reason", label=_("The reason"), max_length=500, min_length=3,
                     multiline=False)
    if member.banned_at is None:
        member.banned_at = utcnow()
        sessions.end_all(member)
        audit.record(actor, "account.suspended", member, reason=why.strip())
        db.session.commit()


def unsuspend(actor: Member | None, member: Member) -> None:
    actor = permissions.require_admin(actor)
    if member.banned_at is not None:
        member.banned_at = None
        audit.record(actor, "account.unsuspended", member)
        db.session.commit()


def list_members(actor: Member | None, query: str = "", role: str = "", after: str = "",
                 limit: int = PAGE_SIZE) -> list[Member]:
    """Members for the admin page, by pseudonym, keyset-paginated."""
    permissions.require_admin(actor)
    from app.services.pseudonyms import canonical

    q = select(Member).order_by(Member.pseudonym_key).limit(limit)
    if query:
        key = canonical(query)[:64].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        q = q.where(Member.pseudonym_key.like(f"%{key}%", escape="\\"))
    if role:
        q = q.where(Member.id.in_(select(MemberRole.member_id).where(MemberRole.role == parse_role(role))))
    if after:
        q = q.where(Member.pseudonym_key > after)
    return list(db.session.scalars(q))
