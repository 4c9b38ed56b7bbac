"""The default namespace: every signed-in page keeps one socket here so that the server can tell
it at once when its session ends (sign out everywhere, passphrase change, suspension)."""

from __future__ import annotations

from flask_socketio import ConnectionRefusedError, join_room

from app.extensions import db
from app.realtime.auth import SESSION_ENDED, authenticated, socket_member
from app.services import events


def on_connect(auth=None):
    found = socket_member()
    if found is None:
        db.session.remove()
        raise ConnectionRefusedError(SESSION_ENDED)
    member, auth_session = found
    join_room(events.session_room(auth_session.id))
    db.session.remove()
    return True


@authenticated
def on_session_check(member, auth_session, *_payload):
    """Ack {"ok": true, "pseudonym": ...} while the session lives. Pages call it after a
    reconnect to learn at once whether they are still signed in."""
    return {"ok": True, "pseudonym": member.pseudonym}


def on_unknown(event, *_args):
    return {"ok": False, "error": "Kindred doesn't know that request."}


HANDLERS = [
    ("connect", on_connect, "/"),
    ("session:check", on_session_check, "/"),
    ("*", on_unknown, "/"),
]
