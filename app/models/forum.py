"""Forums: categories (some of them peer groups), threads, posts, and what members do with them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import false as sa_false
from sqlalchemy import (
    JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.accounts import Member
from app.models.base import utcnow


class Category(db.Model):
    __tablename__ = "category"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    # A peer group: members ask to join and a facilitator approves; outsiders see nothing of it.
    is_group: Mapped[bool] = mapped_column(Boolean, default=False)
    archived_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class GroupMembership(db.Model):
    __tablename__ = "group_membership"
    __table_args__ = (UniqueConstraint("category_id", "member_id", name="uq_group_membership_category_id_member_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | approved
    requested_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    member: Mapped[Member] = relationship()
    category: Mapped[Category] = relationship()


class Thread(db.Model):
    __tablename__ = "thread"
    __table_args__ = (
        # The category page: pinned first, then most recent activity, keyset on (last_post_at, id).
        Index("ix_thread_listing", "category_id", "pinned", "last_post_at", "id"),
        # Unread counts look at recently active threads only.
        Index("ix_thread_recent", "last_post_at", "category_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"), nullable=True, index=True)
    # The opener's alias number when the thread was started as Anonymous.
    opener_alias: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_post_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_post_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    post_count: Mapped[int] = mapped_column(Integer, default=0)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # Counter for "Anonymous N" aliases handed out in this thread.
    alias_count: Mapped[int] = mapped_column(Integer, default=0)

    category: Mapped[Category] = relationship()


class Post(db.Model):
    __tablename__ = "post"
    __table_args__ = (
        Index("ix_post_thread_id_id", "thread_id", "id"),
        UniqueConstraint("author_id", "submission_key", name="uq_post_author_id_submission_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("thread.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"), nullable=True, index=True)
    # Set when posted as Anonymous: shown as "Anonymous <alias_number>", stable per thread.
    alias_number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    body_md: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)  # rendered once at write time, sanitised
    content_warning: Mapped[str | None] = mapped_column(String(120), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    hidden_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # Held for review (a threat to others): invisible to everyone but its writer and moderators.
    held_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # Written in a language the English-only crisis detector doesn't read (moderation/language.py):
    # peers see "language not assessed", never "nothing of concern".
    language_not_assessed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    # One form submission makes one post: the form carries a random key; a resend reuses it.
    submission_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # A directory entry a peer shared in this post (see ChatMessage.service_id for the rules).
    service_id: Mapped[int | None] = mapped_column(ForeignKey("service.id", ondelete="SET NULL"), nullable=True)
    service_card: Mapped[dict | None] = mapped_column(JSON, nullable=True)

    thread: Mapped[Thread] = relationship()
    author: Mapped[Member | None] = relationship()


class PostRevision(db.Model):
    """Earlier versions of an edited post, for moderators."""

    __tablename__ = "post_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"), index=True)
    body_md: Mapped[str] = mapped_column(Text)
    content_warning: Mapped[str | None] = mapped_column(String(120), nullable=True)
    replaced_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ThreadAlias(db.Model):
    """Which member is "Anonymous N" in which thread. Only admins can read this, with a reason."""

    __tablename__ = "thread_alias"
    __table_args__ = (
        UniqueConstraint("thread_id", "member_id", name="uq_thread_alias_thread_id_member_id"),
        UniqueConstraint("thread_id", "number", name="uq_thread_alias_thread_id_number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("thread.id", ondelete="CASCADE"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"), nullable=True)
    number: Mapped[int] = mapped_column(Integer)


class Reaction(db.Model):
    __tablename__ = "reaction"
    __table_args__ = (UniqueConstraint("post_id", "member_id", "kind", name="uq_reaction_post_id_member_id_kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Bookmark(db.Model):
    __tablename__ = "bookmark"
    __table_args__ = (UniqueConstraint("member_id", "post_id", name="uq_bookmark_member_id_post_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ThreadFollow(db.Model):
    __tablename__ = "thread_follow"
    __table_args__ = (UniqueConstraint("member_id", "thread_id", name="uq_thread_follow_member_id_thread_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("thread.id", ondelete="CASCADE"), index=True)


class ThreadRead(db.Model):
    """How far a member has read a thread: drives "new" markers and unread counts."""

    __tablename__ = "thread_read"
    __table_args__ = (UniqueConstraint("member_id", "thread_id", name="uq_thread_read_member_id_thread_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    thread_id: Mapped[int] = mapped_column(ForeignKey("thread.id", ondelete="CASCADE"), index=True)
    last_read_post_id: Mapped[int] = mapped_column(Integer, default=0)


class Notification(db.Model):
    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_member_unread", "member_id", "read_at", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))  # reply | mention | moderation | group
    # Who did it, as shown at the time ("Anonymous 2" stays anonymous here too).
    actor_label: Mapped[str | None] = mapped_column(String(64), nullable=True)
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("thread.id", ondelete="CASCADE"), nullable=True)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"), nullable=True)
    text: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    thread: Mapped[Thread | None] = relationship()
