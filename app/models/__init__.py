"""SQLAlchemy models, one module per area. Models hold data, never commit, never decide rules."""

from app.models.accounts import AuthSession, Member, MemberRole, RecoveryCode, Role
from app.models.audit import AuditEntry
from app.models.settings import SiteSetting

__all__ = [
    "AuditEntry",
    "AuthSession",
    "Member",
    "MemberRole",
    "RecoveryCode",
    "Role",
    "SiteSetting",
]
