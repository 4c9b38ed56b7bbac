"""The audit log. Every grant, revoke, ban, setting change and account deletion lands here."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEntry, Member

PAGE_SIZE = 50


def record(actor: Member | None, action: str, subject: Member | None = None, **detail) -> AuditEntry:
    """Add an audit entry to the current transaction (the caller commits)."""
    entry = AuditEntry(
        actor_id=actor.id if actor else None,
        subject_id=subject.id if subject else None,
        action=action,
        detail=detail,
    )
    db.session.add(entry)
    return entry


def recent(before_id: int | None = None, action: str | None = None, subject_id: int | None = None,
           limit: int = PAGE_SIZE) -> list[AuditEntry]:
    """Newest first, keyset-paginated on id."""
    q = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if subject_id is not None:
        q = q.where(AuditEntry.subject_id == subject_id)
    if before_id:
        q = q.where(AuditEntry.id < before_id)
    if action:
        q = q.where(AuditEntry.action == action)
    return list(db.session.scalars(q))


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).group_by(AuditEntry.action).order_by(AuditEntry.action)))


def count() -> int:
    return db.session.scalar(select(func.count(AuditEntry.id))) or 0
