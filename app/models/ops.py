"""Running several server processes: which workers are alive, and when each background job last
ran (so a job runs once per period across all workers, not once per worker)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import utcnow


class Worker(db.Model):
    """One server process. It writes `seen_at` every few seconds; rows tied to a worker that
    stopped writing (killed, crashed) are swept by the next background run."""

    __tablename__ = "worker"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


class JobRun(db.Model):
    __tablename__ = "job_run"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_run_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    worker_id: Mapped[str | None] = mapped_column(String(64), nullable=True)


class DutySocket(db.Model):
    """One open duty-page socket (the on-duty grace period starts when a peer's last one closes)."""

    __tablename__ = "duty_socket"

    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    worker_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    opened_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
