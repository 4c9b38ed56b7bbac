"""The services directory: places that help (testing, clinics, PEP and PrEP, housing...), added
and kept up to date by peer supporters, facilitators and admins, approved by admins."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import utcnow


class Service(db.Model):
    """One entry in the directory. Only `approved` entries are shown to members; `pending` ones
    wait for an admin; `removed` ones are kept (for the audit trail and for cards already shared)."""

    __tablename__ = "service"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    url: Mapped[str | None] = mapped_column(String(300), nullable=True)  # http(s) only, validated
    address: Mapped[str] = mapped_column(String(300), default="")
    hours: Mapped[str] = mapped_column(String(200), default="")
    area: Mapped[str] = mapped_column(String(200), default="")  # area served, free text
    region: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)  # optional tag
    cost: Mapped[str] = mapped_column(String(120), default="")
    is_confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    is_anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    last_checked: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # pending | approved | removed
    is_example: Mapped[bool] = mapped_column(Boolean, default=False)  # demo placeholder, labelled as such
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    kind_rows: Mapped[list[ServiceKind]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="ServiceKind.id")
    language_rows: Mapped[list[ServiceLanguage]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="ServiceLanguage.id")

    @property
    def kinds(self) -> list[str]:
        return [k.kind for k in self.kind_rows]

    @property
    def languages(self) -> list[str]:
        return [lang.name for lang in self.language_rows]


class ServiceKind(db.Model):
    """What a service helps with: one row per kind (codes from services.directory.KINDS), so
    filtering is a plain join on SQLite and PostgreSQL alike."""

    __tablename__ = "service_kind"
    __table_args__ = (UniqueConstraint("service_id", "kind", name="uq_service_kind_service_id_kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)


class ServiceLanguage(db.Model):
    """A language a service works in, as written ("Português") and as matched (casefolded)."""

    __tablename__ = "service_language"
    __table_args__ = (UniqueConstraint("service_id", "key", name="uq_service_language_service_id_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(40), index=True)
