"""Signed-in sessions that the server can end.

The cookie (Flask's signed session) carries a random token; the database keeps its SHA-256 in
`auth_session`. A session ends when its row goes: sign out, sign out everywhere, passphrase
change, ban, account deletion, or the absolute timeout. Inactivity is tracked in the cookie
itself ("seen"), so reading a page never writes to the database.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import MutableMapping

from flask import current_app, g, session
from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import AuthSession, Member
from app.models.base import utcnow
from app.services import events

_TOUCH_EVERY = 30  # seconds; fewer cookie rewrites


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(member: Member) -> AuthSession:
    """Begin a fresh session for member in this browser (the old cookie is discarded whole,
    which defeats session fixation). The caller commits."""
    session.clear()
    # Flask-WTF caches this request's CSRF token on g; it was made from the secret we just
    # cleared, so forms rendered after sign-in (the sign-out button) would fail to submit.
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    token = secrets.token_urlsafe(32)
    row = AuthSession(token_hash=_token_hash(token), member_id=member.id)
    db.session.add(row)
    db.session.flush()
    session["sid"] = token
    session["seen"] = int(time.time())
    session.permanent = True
    g.auth_session = row
    g.member = member
    return row


# Every page a member sees asks this: the session, its member and the member's roles in one query
# (roles would otherwise be a second, selectin query), through a statement built once.
_SESSION_BY_TOKEN = (select(AuthSession).options(joinedload(AuthSession.member).joinedload(Member.roles))
                     .where(AuthSession.token_hash == bindparam("token_hash")))


def _row_for(store: MutableMapping) -> AuthSession | None:
    token = store.get("sid")
    if not isinstance(token, str) or not token:
        return None
    row = db.session.execute(_SESSION_BY_TOKEN, {"token_hash": _token_hash(token)}).unique().scalar_one_or_none()
    if row is None:
        return None
    age = utcnow() - row.created_at
    if age > current_app.config["SESSION_ABSOLUTE_TIMEOUT"] or row.member.banned_at is not None:
        db.session.delete(row)
        db.session.commit()
        return None
    return row


def current_session() -> AuthSession | None:
    """The live session of this request, or None (and the cookie is cleared if it was stale)."""
    if "auth_session" in g:
        return g.auth_session
    row = None
    seen = session.get("seen")
    idle = current_app.config["SESSION_IDLE_TIMEOUT"].total_seconds()
    now = int(time.time())
    if "sid" in session:
        if isinstance(seen, int) and now - seen <= idle:
            row = _row_for(session)
        else:
            end_current()  # idle too long: end it for good, not just in this cookie
            db.session.commit()
        if row is None:
            session.clear()
        elif now - seen >= _TOUCH_EVERY:
            session["seen"] = now
    g.auth_session = row
    g.member = row.member if row else None
    return row


def current_member() -> Member | None:
    row = current_session()
    return row.member if row else None


def member_for_socket(store: MutableMapping) -> tuple[Member, AuthSession] | None:
    """For a socket event: the member behind the session the socket was opened with, if that
    session is still live. Checked on every event, so an ended session stops at once."""
    row = _row_for(store)
    if row is None:
        return None
    return row.member, row


def end_current() -> None:
    """Sign this browser out. The caller commits."""
    token = session.get("sid")
    if isinstance(token, str):
        row = db.session.scalar(select(AuthSession).where(AuthSession.token_hash == _token_hash(token)))
        if row is not None:
            events.on_commit(events.end_socket_sessions, [row.id])
            db.session.delete(row)
    session.clear()
    g.auth_session = None
    g.member = None


def end_all(member: Member) -> int:
    """End every session of member, in every browser, open sockets included. The caller commits.
    Returns how many were ended."""
    ids = list(db.session.scalars(select(AuthSession.id).where(AuthSession.member_id == member.id)))
    if ids:
        db.session.execute(delete(AuthSession).where(AuthSession.id.in_(ids)))
        events.on_commit(events.end_socket_sessions, ids)
    if getattr(g, "member", None) is not None and g.member.id == member.id:
        session.clear()
        g.auth_session = None
        g.member = None
    return len(ids)


def count_for(member: Member) -> int:
    from sqlalchemy import func

    return db.session.scalar(select(func.count(AuthSession.id)).where(AuthSession.member_id == member.id)) or 0
