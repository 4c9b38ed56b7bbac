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
from sqlalchemy.orm import joinedload, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from app.extensions import db
from app.models import AuthSession, Member, MemberRole
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
# (roles would otherwise be a second, selectin query), through a statement built once. Used when
# this database session already holds ORM objects (a socket handler, a page after sign-in), so the
# ORM reconciles them with what it loads.
_SESSION_BY_TOKEN = (select(AuthSession).options(joinedload(AuthSession.member).joinedload(Member.roles))
                     .where(AuthSession.token_hash == bindparam("token_hash")))

# The same query as plain rows (one per role; a member without roles gives one row with NULL role
# columns), from which the three kinds of objects are made as the ORM would load them: every column
# set, attached to the session as persistent. The ORM's loading of a three-entity joined eager
# query cost ~75 µs of the ~105 µs this took on every page a member reads; this costs ~45.
_AS, _MB, _MR = AuthSession.__table__, Member.__table__, MemberRole.__table__
_SESSION_ROWS = (select(*_AS.c, *_MB.c, *_MR.c)
                 .select_from(_AS.join(_MB, _MB.c.id == _AS.c.member_id).outerjoin(_MR, _MR.c.member_id == _MB.c.id))
                 .where(_AS.c.token_hash == bindparam("token_hash")).order_by(_MR.c.id))


def _attribute_names(model, table) -> tuple[str, ...]:
    mapper = model.__mapper__
    return tuple(mapper.get_property_by_column(c).key for c in table.c)


_SESSION_SLICES = []  # (new instance, attribute names, start, end) for AuthSession, Member, MemberRole
_start = 0
for _model, _table in ((AuthSession, _AS), (Member, _MB), (MemberRole, _MR)):
    _names = _attribute_names(_model, _table)
    _SESSION_SLICES.append((_model.__mapper__.class_manager.new_instance, _names, _start, _start + len(_names)))
    _start += len(_names)
del _start, _model, _table, _names


def _built(slot: int, row) -> object:
    """An instance as loaded: its columns in __dict__, then made detached (identity key set, the
    values its committed state, nothing pending), to be attached by session.add."""
    new, names, start, end = _SESSION_SLICES[slot]
    obj = new()
    obj.__dict__.update(zip(names, row[start:end]))
    make_transient_to_detached(obj)
    return obj


def _load_session(token_hash: str) -> AuthSession | None:
    sess = db.session()
    if len(sess.identity_map):  # objects loaded already: the ORM must reconcile (never duplicate) them
        return sess.execute(_SESSION_BY_TOKEN, {"token_hash": token_hash}).unique().scalar_one_or_none()
    rows = sess.connection().execute(_SESSION_ROWS, {"token_hash": token_hash}).all()  # Core: no ORM dispatch
    if not rows:
        return None
    row = _built(0, rows[0])
    member = _built(1, rows[0])
    role_id_at = _SESSION_SLICES[2][2]
    set_committed_value(member, "roles", [_built(2, r) for r in rows if r[role_id_at] is not None])
    set_committed_value(row, "member", member)
    sess.add(row)  # and, by cascade, the member and the roles: persistent, no SQL
    return row


def _row_for(store: MutableMapping) -> AuthSession | None:
    token = store.get("sid")
    if not isinstance(token, str) or not token:
        return None
    row = _load_session(_token_hash(token))
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
