"""/forum namespace: a page showing a thread watches it and hears of new replies, live.

Only ids travel here ({"thread_id", "post_id"}); the page fetches the posts over HTTP, where
every visibility rule applies."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_socketio import join_room, leave_room

from app.extensions import db
from app.realtime.auth import accept_connection, authenticated
from app.services import forums
from app.services.errors import Invalid

NS = "/forum"


def on_connect(auth=None):
    accept_connection(NS)
    db.session.remove()
    return True


def _thread_id(payload) -> int:
    if not isinstance(payload, dict) or not isinstance(payload.get("thread_id"), int) \
            or isinstance(payload.get("thread_id"), bool):
        raise Invalid(_("Send {\"thread_id\": <number>}."))
    return payload["thread_id"]


@authenticated
def on_watch(member, _auth_session, payload=None):
    """Start hearing about new replies in a thread the member can read."""
    thread = forums.get_thread_for(member, _thread_id(payload))
    join_room(forums.thread_room(thread.id), namespace=NS)
    return {"ok": True, "thread_id": thread.id, "last_post_id": thread.last_post_id}


@authenticated
def on_unwatch(member, _auth_session, payload=None):
    leave_room(forums.thread_room(_thread_id(payload)), namespace=NS)
    return {"ok": True}


def on_unknown(event, *_args):
    return {"ok": False, "error": _("Kindred doesn't know that request.")}


HANDLERS = [
    ("connect", on_connect, NS),
    ("thread:watch", on_watch, NS),
    ("thread:unwatch", on_unwatch, NS),
    ("*", on_unknown, NS),
]
