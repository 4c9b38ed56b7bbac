"""Who is behind a socket, checked on connect and on every event."""

from __future__ import annotations

import logging
from functools import wraps

from flask import session
from flask_babel import gettext as _
from flask_socketio import ConnectionRefusedError, disconnect, join_room

from app.extensions import db
from app.services import events, sessions
from app.services.errors import DomainError

log = logging.getLogger(__name__)

SESSION_ENDED = "Your session has ended. Please sign in again."


def socket_member():
    """(member, auth_session) for this socket's session if it is still live, else None."""
    return sessions.member_for_socket(session)


def accept_connection(namespace: str):
    """The one connect check for every namespace: a live session, or the connection is refused.
    The socket joins its session's room, so ending the session elsewhere reaches it at once.
    Returns (member, auth_session); the caller releases the database session."""
    found = socket_member()
    if found is None:
        db.session.remove()
        raise ConnectionRefusedError(SESSION_ENDED)
    join_room(events.session_room(found[1].id), namespace=namespace)
    return found


def authenticated(handler):
    """Re-check the session on every event: a session ended elsewhere (sign out everywhere,
    passphrase change, ban) stops this socket at its next event. Domain errors become an error
    ack a person can read; anything else a generic one. The socket is never dropped for bad
    input, only for an ended session."""

    @wraps(handler)
    def wrapper(*args):
        try:
            found = socket_member()
            if found is None:
                disconnect()
                return {"ok": False, "error": SESSION_ENDED}
            member, auth_session = found
            return handler(member, auth_session, *args)
        except DomainError as err:
            db.session.rollback()
            return {"ok": False, "error": err.message}
        except Exception as err:  # never the payload in the log
            db.session.rollback()
            log.error("socket handler %s failed: %s", handler.__name__, type(err).__name__)
            return {"ok": False, "error": _("Something went wrong on our side. Please try again.")}
        finally:
            db.session.remove()

    return wrapper
