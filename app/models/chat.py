"""Live rooms: standing rooms, scheduled sessions, private one-to-one peer chats, and their lines."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.accounts import Member
from app.models.base import utcnow


class Room(db.Model):
    __tablename__ = "room"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="standing")  # standing | session | private
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    ground_rules: Mapped[str] = mapped_column(Text, default="")
    # Scheduled sessions only.
    starts_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    ends_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    capacity: Mapped[int | None] = mapped_column(Integer, nullable=True)
    group_category_id: Mapped[int | None] = mapped_column(ForeignKey("category.id", ondelete="SET NULL"), nullable=True)
    # Session state: a session opens when a facilitator opens it, and ends for everyone.
    opened_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    slow_mode_seconds: Mapped[int] = mapped_column(Integer, default=0)
    raise_hand: Mapped[bool] = mapped_column(Boolean, default=False)
    floor_member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"), nullable=True)
    pinned_message_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Retention: lines older than this many days are deleted by the purge job.
    retention_days: Mapped[int] = mapped_column(Integer, default=30)
    vanish_on_end: Mapped[bool] = mapped_column(Boolean, default=False)
    alias_count: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class RoomFacilitator(db.Model):
    __tablename__ = "room_facilitator"
    __table_args__ = (UniqueConstraint("room_id", "member_id", name="uq_room_facilitator_room_id_member_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("room.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)


class RoomParticipant(db.Model):
    """A member's standing in a room: rules accepted, alias, mute, removal, hand, pace."""

    __tablename__ = "room_participant"
    __table_args__ = (UniqueConstraint("room_id", "member_id", name="uq_room_participant_room_id_member_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("room.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    accepted_rules_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    alias_number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    muted_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    mute_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    removed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    remove_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    hand_raised_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_line_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    member: Mapped[Member] = relationship(lazy="joined")


class ChatMessage(db.Model):
    __tablename__ = "chat_message"
    __table_args__ = (
        Index("ix_chat_message_room_id_id", "room_id", "id"),
        UniqueConstraint("room_id", "author_id", "client_id", name="uq_chat_message_room_id_author_id_client_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("room.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"), nullable=True, index=True)
    # What others saw as the author at the time ("Anonymous 2", a pseudonym, or None for system lines).
    author_label: Mapped[str | None] = mapped_column(String(64), nullable=True)
    kind: Mapped[str] = mapped_column(String(8), default="line")  # line | system | card
    # For "card" lines, a plain-text fallback (older clients show it as a line).
    body: Mapped[str] = mapped_column(Text)
    client_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # A shared directory entry ("card" lines): the live entry while it exists and is approved,
    # else the snapshot taken when it was shared, so the card stays readable.
    service_id: Mapped[int | None] = mapped_column(ForeignKey("service.id", ondelete="SET NULL"), nullable=True)
    card: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    # Written in a language the English-only crisis detector doesn't read (moderation/language.py):
    # peers see "language not assessed", never "nothing of concern".
    language_not_assessed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())


class RoomPresence(db.Model):
    """Who is connected to a room right now, one row per open socket (works across workers)."""

    __tablename__ = "room_presence"
    __table_args__ = (UniqueConstraint("sid", "room_id", name="uq_room_presence_sid_room_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("room.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    sid: Mapped[str] = mapped_column(String(64), index=True)
    since: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # The server process holding the socket: if it dies, its rows are swept (services.workers).
    worker_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)


class RoomReminder(db.Model):
    __tablename__ = "room_reminder"
    __table_args__ = (UniqueConstraint("room_id", "member_id", name="uq_room_reminder_room_id_member_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("room.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))


class PeerRequest(db.Model):
    """A member asking to talk to a trained peer supporter, one to one."""

    __tablename__ = "peer_request"
    __table_args__ = (Index("ix_peer_request_state", "state", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), nullable=True)
    state: Mapped[str] = mapped_column(String(16), default="waiting")  # waiting | accepted | ended | unanswered | cancelled
    source: Mapped[str] = mapped_column(String(16), default="page")  # page | support | room | queue
    peer_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"), nullable=True)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(32), nullable=True)
    outcome_note: Mapped[str | None] = mapped_column(Text, nullable=True)
