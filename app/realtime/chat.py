"""/chat namespace: live rooms. The protocol is documented in docs/chat-protocol.md.

Each handler checks the payload's shape, calls services.chat (which decides every permission),
and acks {"ok": true, ...} or {"ok": false, "error": "<a sentence for a person, in their language>"}."""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _
from flask_socketio import emit, join_room, leave_room

from app.extensions import db
from app.realtime import bus
from app.realtime.auth import accept_connection, authenticated
from app.services import chat, duty, permissions
from app.services.errors import Invalid

NS = chat.NS


def _obj(payload) -> dict:
    if not isinstance(payload, dict):
        raise Invalid(_("Send an object, for example {\"room\": 1}."))
    return payload


def _room(payload) -> int:
    room = _obj(payload).get("room")
    if not isinstance(room, int) or isinstance(room, bool):
        raise Invalid(_("Which room? Send {\"room\": <number>}."), "room")
    return room


def on_connect(auth=None):
    member, _auth_session = accept_connection(NS)
    join_room(chat.member_channel(member.id), namespace=NS)
    if permissions.is_peer(member):
        join_room("peers", namespace=NS)
    db.session.remove()
    return True


def on_disconnect(*_args):
    try:
        chat.drop_socket(request.sid)
    finally:
        db.session.remove()


@authenticated
def on_join(member, _auth, payload=None):
    data = _obj(payload)
    joined = chat.join(member, _room(data), since=data.get("since"), sid=request.sid)
    room = joined.room
    try:
        join_room(chat.room_channel(room.id), namespace=NS)
        if joined.facilitator or permissions.is_peer(member):
            join_room(chat.staff_channel(room.id), namespace=NS)
    except (KeyError, ValueError):  # the socket closed while joining: leave no ghost behind
        chat.leave(member, room.id, request.sid)
        return {"ok": False, "error": _("The connection closed while joining. Please try again.")}
    if joined.arrived:
        chat.publish_presence(room, joined=chat.presence_entry(member, room))
    return {
        "ok": True,
        "room": chat.room_payload(room),
        "you": chat.label_for(member, joined.participant),
        "facilitator": joined.facilitator,
        "messages": [chat.message_payload(m) for m in joined.messages],
        "members": chat.presence(room),
        "queue": chat.hand_queue(room) if room.raise_hand else [],
        "status": bus.status_payload(),  # live delivery up, or reconnecting (see realtime/bus.py)
    }


@authenticated
def on_leave(member, _auth, payload=None):
    room_id = _room(payload)
    chat.leave(member, room_id, request.sid)
    leave_room(chat.room_channel(room_id), namespace=NS)
    leave_room(chat.staff_channel(room_id), namespace=NS)
    return {"ok": True}


@authenticated
def on_send(member, _auth, payload=None):
    data = _obj(payload)
    sent = chat.post_message(member, _room(data), data.get("body"), data.get("client_id"))
    ack = {"ok": True, "id": sent.message.id, "duplicate": sent.duplicate}
    if sent.screening.show_support:
        # Private to the writer: the page shows support resources at once.
        ack["support"] = {"level": sent.screening.level, "peer": sent.screening.offer_peer}
    return ack


@authenticated
def on_share(member, _auth, payload=None):
    """A peer supporter, facilitator or admin shares a directory entry as a card."""
    data = _obj(payload)
    sent = chat.share_service(member, _room(data), data.get("service"), data.get("client_id"))
    return {"ok": True, "id": sent.message.id, "duplicate": sent.duplicate}


@authenticated
def on_typing(member, _auth, payload=None):
    room = chat.get_room_for(member, _room(payload))
    p = chat.participant(member, room)
    if p is None or p.removed_at is not None:
        return {"ok": False, "error": _("Join the room first.")}
    emit("typing", {"room": room.id, "name": chat.label_for(member, p)}, to=chat.room_channel(room.id),
         include_self=False, namespace=NS)
    return {"ok": True}


def _control(fn):
    """An event whose only answer is ok or an error; the service decides who may send it."""

    @authenticated
    def handler(member, _auth, payload=None):
        data = _obj(payload)
        fn(member, data)
        return {"ok": True}

    handler.__name__ = f"on_{fn.__name__}"
    return handler


HANDLERS = [
    ("connect", on_connect, NS),
    ("disconnect", on_disconnect, NS),
    ("room:join", on_join, NS),
    ("room:leave", on_leave, NS),
    ("message:send", on_send, NS),
    ("service:share", on_share, NS),
    ("typing", on_typing, NS),
    ("message:concern", _control(lambda m, d: duty.raise_line_concern(m, _room(d), d.get("message"),
                                                                       d.get("note"))), NS),
    ("room:open", _control(lambda m, d: chat.open_session(m, _room(d))), NS),
    ("room:end", _control(lambda m, d: chat.end_session(m, _room(d))), NS),
    ("room:pin", _control(lambda m, d: chat.pin(m, _room(d), d.get("message"))), NS),
    ("room:slow", _control(lambda m, d: chat.set_slow_mode(m, _room(d), d.get("seconds"))), NS),
    ("room:lock", _control(lambda m, d: chat.set_locked(m, _room(d), d.get("locked"))), NS),
    ("room:circle", _control(lambda m, d: chat.set_raise_hand(m, _room(d), d.get("on"))), NS),
    ("member:mute", _control(lambda m, d: chat.mute(m, _room(d), d.get("member"), d.get("minutes"),
                                                     d.get("reason"))), NS),
    ("member:unmute", _control(lambda m, d: chat.unmute(m, _room(d), d.get("member"))), NS),
    ("member:remove", _control(lambda m, d: chat.remove(m, _room(d), d.get("member"), d.get("reason"))), NS),
    ("message:delete", _control(lambda m, d: chat.delete_line(m, _room(d), d.get("message"))), NS),
    ("hand:raise", _control(lambda m, d: chat.raise_hand(m, _room(d), d.get("up", True) is not False)), NS),
    ("floor:give", _control(lambda m, d: chat.give_floor(m, _room(d), d.get("member"))), NS),
    ("*", lambda event, *a: {"ok": False, "error": _("Kindred doesn't know that request.")}, NS),
]
