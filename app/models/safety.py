"""Safety: flags raised by the detector or by members, and the support resources shown to writers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import false as sa_false
from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import utcnow
from app.models.forum import Post


class Flag(db.Model):
    """Something a trained peer should look at: crisis language found by the detector
    ("crisis"), or a member's report ("report"). Never shown to the writer's readers."""

    __tablename__ = "flag"
    __table_args__ = (Index("ix_flag_queue", "state", "level", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # crisis | report
    level: Mapped[int] = mapped_column(Integer, default=0)
    target: Mapped[str | None] = mapped_column(String(16), nullable=True)  # self | others
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"), nullable=True, index=True)
    chat_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("chat_message.id", ondelete="CASCADE"), nullable=True, index=True)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id", ondelete="CASCADE"), nullable=True)
    # The writer of the flagged words (kept even if they posted as Anonymous, so a peer can
    # reach out without ever needing the pseudonym).
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"), nullable=True)
    # Who reported (reports only). Never shown to the person reported.
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"), nullable=True)
    report_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    report_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    state: Mapped[str] = mapped_column(String(16), default="open")  # open | claimed | closed
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # Escalation: a stored deadline, checked by a background task (survives restarts).
    escalate_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True, index=True)
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(32), nullable=True)
    excerpt: Mapped[str | None] = mapped_column(String(300), nullable=True)  # for peers only; never logged
    # Written in a language the English-only crisis detector doesn't read (moderation/language.py):
    # peers see "language not assessed", never "nothing of concern".
    language_not_assessed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())

    post: Mapped[Post | None] = relationship()


class FlagNote(db.Model):
    """Notes on a flag, private to peer supporters, facilitators and admins."""

    __tablename__ = "flag_note"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    flag_id: Mapped[int] = mapped_column(ForeignKey("flag.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"), nullable=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class DutyStatus(db.Model):
    """Who is on duty. On duty while they say so and have a duty page open (or closed it less
    than the grace period ago)."""

    __tablename__ = "duty_status"

    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), primary_key=True)
    on_since: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    sockets: Mapped[int] = mapped_column(Integer, default=0)
    last_socket_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class DutyPeriod(db.Model):
    """A stretch someone was on duty, for the "hours with no one on duty" figure."""

    __tablename__ = "duty_period"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"), nullable=True)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class SafetyPlan(db.Model):
    """A member's own safety plan (Stanley-Brown structure). Only they can read it."""

    __tablename__ = "safety_plan"

    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), primary_key=True)
    warning_signs: Mapped[str] = mapped_column(Text, default="")
    coping: Mapped[str] = mapped_column(Text, default="")
    people_places: Mapped[str] = mapped_column(Text, default="")
    people_to_ask: Mapped[str] = mapped_column(Text, default="")
    professionals: Mapped[str] = mapped_column(Text, default="")
    safe_environment: Mapped[str] = mapped_column(Text, default="")
    reasons_to_live: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class SupportResource(db.Model):
    """A service or helpline shown to a writer whose words suggest distress. Admin-editable."""

    __tablename__ = "support_resource"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    contact: Mapped[str] = mapped_column(String(200), default="")  # phone or text line, shown as text
    url: Mapped[str | None] = mapped_column(String(300), nullable=True)
    hours: Mapped[str] = mapped_column(String(200), default="", server_default="")  # e.g. "24/7", "Mon-Fri 9-17"
    is_crisis_line: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_example: Mapped[bool] = mapped_column(Boolean, default=False)  # seeded placeholder, labelled as such
