"""Events go out after the transaction commits (zulip's send_event_on_commit): nobody ever sees
a change that was rolled back. Services queue; the session's after_commit hook sends."""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session

from app.extensions import db, socketio

log = logging.getLogger(__name__)
_KEY = "kindred_on_commit"


def on_commit(fn: Callable[..., None], *args, **kwargs) -> None:
    """Run fn(*args, **kwargs) once the current transaction commits; drop it on rollback."""
    db.session.info.setdefault(_KEY, []).append((fn, args, kwargs))


@event.listens_for(Session, "after_commit")
def _run_on_commit(session: Session) -> None:
    pending = session.info.pop(_KEY, [])
    for fn, args, kwargs in pending:
        try:
            fn(*args, **kwargs)
        except Exception:  # an event that cannot be delivered must not undo a committed write
            log.exception("after-commit event %s failed", getattr(fn, "__name__", fn))


@event.listens_for(Session, "after_rollback")
def _drop_on_rollback(session: Session) -> None:
    session.info.pop(_KEY, None)


def session_room(session_id: int) -> str:
    """The Socket.IO room every socket of one signed-in browser session joins."""
    return f"auth:{session_id}"


def end_socket_sessions(session_ids: list[int]) -> None:
    """Tell every open socket of these sessions that it has ended, then drop the local ones.

    Sockets on other workers get the event through the message queue and close themselves;
    every event they might still send is refused anyway, because the session row is gone.
    """
    server = socketio.server
    if server is None:
        return
    namespaces = set(server.handlers) | set(server.namespace_handlers) | {"/"}
    for sid_ in session_ids:
        room = session_room(sid_)
        for ns in namespaces:
            socketio.emit("session:ended", {"reason": "signed-out"}, to=room, namespace=ns)
            try:
                participants = list(server.manager.get_participants(ns, room))
            except (KeyError, ValueError):
                continue
            for sock_sid, _eio_sid in participants:
                server.disconnect(sock_sid, namespace=ns)
