"""/duty namespace: peer supporters, facilitators and admins on duty hear about crises live.

A staff member's duty page keeps a socket here. `duty:on` puts them on duty (and in the alert
rooms); `duty:off` takes them off. Closing every tab starts the grace period."""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _
from flask_socketio import ConnectionRefusedError, join_room, leave_room

from app.extensions import db
from app.models import Role
from app.realtime import bus
from app.realtime.auth import accept_connection, authenticated, socket_member
from app.services import duty, forums, permissions

NS = duty.NS


def _rooms_for(member) -> list[str]:
    """Peer supporters hear every level 2-3 flag; facilitators and admins hear level 3 and
    escalations (someone with both roles hears both; the page shows each flag once)."""
    rooms = []
    if member.has_role(Role.PEER):
        rooms.append(duty.PEERS_ROOM)
    if permissions.is_facilitator(member) or permissions.is_admin(member):
        rooms.append(duty.SENIOR_ROOM)
    return rooms


def on_connect(auth=None):
    member, _auth_session = accept_connection(NS)
    if not forums.is_staff(member):
        db.session.remove()
        raise ConnectionRefusedError(_("Only peer supporters, facilitators and admins can go on duty."))
    duty.socket_opened(member, request.sid)
    if duty.is_on_duty(member):
        for room in _rooms_for(member):
            join_room(room, namespace=NS)
    db.session.remove()
    return True


def on_disconnect(*_args):
    try:
        found = socket_member()
        if found is not None:
            duty.socket_closed(found[0].id, request.sid)
    finally:
        db.session.remove()


@authenticated
def on_duty_on(member, _auth, *_payload):
    duty.go_on_duty(member)
    for room in _rooms_for(member):
        join_room(room, namespace=NS)
    return {"ok": True, "on_duty": [m.pseudonym for m in duty.on_duty()], "status": bus.status_payload()}


@authenticated
def on_duty_off(member, _auth, *_payload):
    duty.go_off_duty(member)
    for room in (duty.PEERS_ROOM, duty.SENIOR_ROOM):
        leave_room(room, namespace=NS)
    return {"ok": True}


@authenticated
def on_claim(member, _auth, payload=None):
    flag_id = payload.get("id") if isinstance(payload, dict) else None
    if not isinstance(flag_id, int) or isinstance(flag_id, bool):
        return {"ok": False, "error": _("Which item? Send {\"id\": <number>}.")}
    flag = duty.claim(member, flag_id)
    return {"ok": True, "id": flag.id, "where": duty.where_of(flag), "queue": f"/queue/{flag.id}"}


@authenticated
def on_duty_open(member, _auth, *_payload):
    return {"ok": True, "alerts": duty.open_alerts(member)}


HANDLERS = [
    ("connect", on_connect, NS),
    ("disconnect", on_disconnect, NS),
    ("duty:on", on_duty_on, NS),
    ("duty:off", on_duty_off, NS),
    ("flag:claim", on_claim, NS),
    ("duty:open", on_duty_open, NS),
    ("*", lambda event, *a: {"ok": False, "error": _("Kindred doesn't know that request.")}, NS),
]
