"""The default namespace: every signed-in page keeps one socket here so that the server can tell
it at once when its session ends (sign out everywhere, passphrase change, suspension)."""

from __future__ import annotations

from flask_babel import gettext as _

from app.extensions import db
from app.realtime.auth import accept_connection, authenticated


def on_connect(auth=None):
    accept_connection("/")
    db.session.remove()
    return True


@authenticated
def on_session_check(member, auth_session, *_payload):
    """Ack {"ok": true, "pseudonym": ...} while the session lives. Pages call it after a
    reconnect to learn at once whether they are still signed in."""
    return {"ok": True, "pseudonym": member.pseudonym}


def on_unknown(event, *_args):
    return {"ok": False, "error": _("Kindred doesn't know that request.")}


HANDLERS = [
    ("connect", on_connect, "/"),
    ("session:check", on_session_check, "/"),
    ("*", on_unknown, "/"),
]
