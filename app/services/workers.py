"""Several server processes, one set of rules.

Each process has a WORKER_ID and says it is alive every few seconds (a `worker` row). Rows that
only mean something while a socket is open (room presence, duty sockets) carry the worker's id:
when a worker dies without closing its sockets (kill -9, a crash, the machine restarting), the
next background run sweeps them, so rooms stop showing people who left and peers whose duty tab
vanished start their grace period. Background jobs take a lock (a PostgreSQL advisory lock held
on its own connection, released by the database if the process dies) and record when they last
ran, so each runs once per period across all workers. On SQLite (one process) the lock is local.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import zlib
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import delete, func, select, text, update

from app.extensions import db
from app.models import DutySocket, DutyStatus, JobRun, RoomPresence, Worker
from app.models.base import utcnow

log = logging.getLogger(__name__)

WORKER_ID = f"{os.getpid()}-{secrets.token_hex(4)}"
HEARTBEAT_SECONDS = 10
DEAD_AFTER = timedelta(seconds=45)
_local_lock = threading.Lock()
_registered: set[str] = set()


def _reset_after_fork() -> None:  # gunicorn forks workers from one parent: each needs its own id
    global WORKER_ID
    WORKER_ID = f"{os.getpid()}-{secrets.token_hex(4)}"
    _registered.clear()


os.register_at_fork(after_in_child=_reset_after_fork)


def worker_id() -> str:
    return WORKER_ID


def heartbeat() -> None:
    """This worker is alive (insert or refresh its row)."""
    now = utcnow()
    updated = db.session.execute(update(Worker).where(Worker.id == WORKER_ID).values(seen_at=now)).rowcount
    if not updated:
        db.session.add(Worker(id=WORKER_ID, started_at=now, seen_at=now))
    db.session.commit()
    _registered.add(str(db.engine.url))


def ensure_registered() -> None:
    """Called before a socket row is written: the worker's row must exist before the sweep
    could see rows of an unknown worker (those count as dead)."""
    if str(db.engine.url) not in _registered:
        heartbeat()


@contextmanager
def exclusive(name: str):
    """Yield True in exactly one process at a time for this name (False elsewhere)."""
    if db.engine.dialect.name != "postgresql":
        got = _local_lock.acquire(blocking=False)
        try:
            yield got
        finally:
            if got:
                _local_lock.release()
        return
    key = zlib.crc32(f"kindred:{name}".encode())
    with db.engine.connect() as con:
        got = bool(con.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
        con.commit()
        try:
            yield got
        finally:
            if got:
                con.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                con.commit()


def run_once_per(name: str, every: float, fn) -> bool:
    """Run fn() if no worker has run job `name` in the last `every` seconds. True if it ran."""
    with exclusive(name) as got:
        if not got:
            return False
        now = utcnow()
        row = db.session.get(JobRun, name)
        if row is not None and (now - row.last_run_at).total_seconds() < every * 0.9:
            db.session.rollback()
            return False
        if row is None:
            db.session.add(JobRun(name=name, last_run_at=now, worker_id=WORKER_ID))
        else:
            row.last_run_at, row.worker_id = now, WORKER_ID
        db.session.commit()
        fn()
        return True


def sweep_dead() -> int:
    """Forget the sockets of workers that stopped saying they are alive. Returns how many rows."""
    from app.services import chat

    cutoff = utcnow() - DEAD_AFTER
    alive = select(Worker.id).where(Worker.seen_at >= cutoff)
    dead_presence = list(db.session.scalars(select(RoomPresence).where(
        RoomPresence.worker_id.isnot(None), RoomPresence.worker_id.notin_(alive))))
    dead_duty = list(db.session.scalars(select(DutySocket).where(
        DutySocket.worker_id.isnot(None), DutySocket.worker_id.notin_(alive))))
    if not dead_presence and not dead_duty:
        db.session.execute(delete(Worker).where(Worker.seen_at < cutoff))
        db.session.commit()
        return 0
    members = {row.member_id for row in dead_duty}
    for row in dead_duty:
        db.session.delete(row)
    now = utcnow()
    for member_id in members:
        recount_duty_sockets(member_id, now)
    db.session.execute(delete(Worker).where(Worker.seen_at < cutoff))
    db.session.commit()
    # Presence goes the way a closed socket's does, so rooms hear who left.
    for sid in {row.sid for row in dead_presence}:
        chat.drop_socket(sid)
    log.info("swept %d socket rows of stopped workers", len(dead_presence) + len(dead_duty))
    return len(dead_presence) + len(dead_duty)


def recount_duty_sockets(member_id: int, now=None) -> None:
    row = db.session.get(DutyStatus, member_id)
    if row is None:
        return
    db.session.flush()
    row.sockets = db.session.scalar(select(func.count()).select_from(DutySocket)
                                    .where(DutySocket.member_id == member_id)) or 0
    row.last_socket_at = now or utcnow()
