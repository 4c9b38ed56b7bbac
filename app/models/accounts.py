"""Accounts: a pseudonym and a passphrase hash. There is no e-mail, phone or name column, by design."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, DateTime, Enum, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import utcnow


class Role(enum.StrEnum):
    """Roles beyond plain membership (every account is a member)."""

    PEER = "peer"
    FACILITATOR = "facilitator"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        from flask_babel import gettext as _

        return {"peer": _("Peer supporter"), "facilitator": _("Facilitator"), "admin": _("Admin")}[self.value]


class Member(db.Model):
    __tablename__ = "member"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # As the member typed it, after NFKC and whitespace clean-up: what others see.
    pseudonym: Mapped[str] = mapped_column(String(64))
    # NFKC + casefold: "Sam" and "ＳＡＭ" are the same name.
    pseudonym_key: Mapped[str] = mapped_column(String(128), unique=True)
    # Confusable skeleton (Unicode TR39 style): "paypal" and "pаypаl" (Cyrillic a) collide here.
    pseudonym_skeleton: Mapped[str] = mapped_column(String(256), unique=True)
    passphrase_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    discreet_mode: Mapped[bool] = mapped_column(Boolean, default=False)
    banned_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # Interface language chosen in account settings (a code from app.i18n.LANGUAGES); None
    # means "follow the browser's Accept-Language".
    language: Mapped[str | None] = mapped_column(String(16), nullable=True)

    roles: Mapped[list[MemberRole]] = relationship(
        back_populates="member", cascade="all, delete-orphan", lazy="selectin"
    )

    def has_role(self, role: Role) -> bool:
        return any(r.role == role for r in self.roles)

    @property
    def role_names(self) -> list[str]:
        return sorted(r.role.value for r in self.roles)

    def __repr__(self) -> str:  # no pseudonym in reprs: they end up in tracebacks and logs
        return f"<Member {self.id}>"


class MemberRole(db.Model):
    __tablename__ = "member_role"
    __table_args__ = (UniqueConstraint("member_id", "role", name="uq_member_role_member_id_role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=20, values_callable=lambda e: [x.value for x in e]))
    granted_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    member: Mapped[Member] = relationship(back_populates="roles")


class RecoveryCode(db.Model):
    """One-time recovery codes. Only a SHA-256 of each is kept: they are random and long
    (60 bits), so a fast hash is enough, unlike a chosen passphrase."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class AuthSession(db.Model):
    """A signed-in browser. The cookie holds a random token; only its hash is stored here, so a
    database leak cannot be replayed, and deleting the row ends that session everywhere at once
    (pages and open sockets). No address or user agent is recorded."""

    __tablename__ = "auth_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    member: Mapped[Member] = relationship(lazy="joined")
