"""Live rooms through the /chat namespace (Flask-SocketIO's test client against the real app)."""

from __future__ import annotations

from datetime import timedelta

from tests.db import ago, connect
import pytest

from app.extensions import socketio
from tests.conftest import csrf_token, grant, page_text, plain
from tests.forum_helpers import post_button

NS = "/chat"


def make_room(app, facilitator_name: str | None = None, **kw) -> int:
    from app.extensions import db
    from app.models import Room, RoomFacilitator
    from app.models.base import utcnow
    from app.services import accounts

    with app.app_context():
        room = Room(kind=kw.pop("kind", "standing"), name=kw.pop("name", "Drop-in room"), **kw)
        if room.kind == "session" and room.starts_at is None:
            room.starts_at = utcnow() + timedelta(hours=1)
        db.session.add(room)
        db.session.flush()
        if facilitator_name:
            fid = accounts.find_by_pseudonym(facilitator_name).id
            db.session.add(RoomFacilitator(room_id=room.id, member_id=fid))
        db.session.commit()
        return room.id


def sock(app, member):
    s = socketio.test_client(app, namespace=NS, flask_test_client=member.client)
    assert s.is_connected(NS)
    return s


def join(s, room, **extra):
    return s.emit("room:join", {"room": room, **extra}, namespace=NS, callback=True)


def send(s, room, body, client_id=None):
    payload = {"room": room, "body": body}
    if client_id:
        payload["client_id"] = client_id
    return s.emit("message:send", payload, namespace=NS, callback=True)


def lines(s):
    return [e["args"][0] for e in s.get_received(NS) if e["name"] == "message:new"]


@pytest.fixture
def room(app):
    return make_room(app)


def test_rooms_page_lists_rooms_as_links(app, client, room):
    session_id = make_room(app, kind="session", name="Evening circle")
    html = client.get("/rooms").get_data(as_text=True)
    assert f'href="/rooms/{room}"' in html and f'href="/rooms/{session_id}"' in html
    assert client.get(f"/rooms/{room}").status_code == 200
    assert client.get("/rooms/9999").status_code == 404


def test_two_members_exchange_lines(app, member, new_member, room):
    a, b = sock(app, member), sock(app, new_member("second"))
    ack = join(a, room)
    assert ack["ok"] is True and ack["you"] == "willow" and ack["room"]["state"] == "open"
    assert join(b, room)["ok"] is True
    a.get_received(NS), b.get_received(NS)
    ack = send(a, room, "Hello <b>everyone</b> 🌱")
    assert ack["ok"] is True and isinstance(ack["id"], int)
    got = lines(b)
    assert len(got) == 1
    line = got[0]
    assert line["id"] == ack["id"] and line["room"] == room and line["body"] == "Hello <b>everyone</b> 🌱"
    assert line["author"] == "willow" and line["at"].endswith("Z")


def test_line_is_stored_before_broadcast_and_history_shows_it(app, member, room, db_path):
    a = sock(app, member)
    join(a, room)
    ack = send(a, room, "kept for later")
    with connect(db_path) as con:
        assert con.execute("SELECT body FROM chat_message WHERE id=?", (ack["id"],)).fetchone()[0] == "kept for later"
    b = sock(app, member)
    assert [m["body"] for m in join(b, room)["messages"]][-1] == "kept for later"


def test_reconnect_catches_up_in_order_without_duplicates(app, member, new_member, room):
    a = sock(app, member)
    join(a, room)
    first = send(a, room, "one")["id"]
    for text in ("two", "three", "four"):
        send(a, room, text)
    other = new_member("late")
    b = sock(app, other)
    ack = join(b, room, since=first)
    assert [m["body"] for m in ack["messages"]] == ["two", "three", "four"]
    ids = [m["id"] for m in ack["messages"]]
    assert ids == sorted(ids) and len(set(ids)) == 3


def test_resend_with_the_same_client_id_is_one_line(app, member, new_member, room, db_path):
    a, b = sock(app, member), sock(app, new_member("listener"))
    join(a, room), join(b, room)
    b.get_received(NS)
    first = send(a, room, "only once", client_id="abc-123")
    again = send(a, room, "only once", client_id="abc-123")
    assert first["id"] == again["id"] and again["duplicate"] is True
    assert len(lines(b)) == 1
    with connect(db_path) as con:
        assert con.execute("SELECT count(*) FROM chat_message").fetchone()[0] == 1


@pytest.mark.parametrize("payload, error", [
    (None, "Send an object"),
    ("text", "Send an object"),
    ({}, "Which room"),
    ({"room": "1", "body": "x"}, "Which room"),
    ({"room": True, "body": "x"}, "Which room"),
    ({"room": 999999, "body": "x"}, "no such room"),
    ({"room": -1, "body": "x"}, "Which room"),
    ({"room": "ROOM", "body": None}, "must be text"),
    ({"room": "ROOM"}, "must be text"),
    ({"room": "ROOM", "body": ""}, "can't be empty"),
    ({"room": "ROOM", "body": "   "}, "can't be empty"),
    ({"room": "ROOM", "body": 42}, "must be text"),
    ({"room": "ROOM", "body": ["a"]}, "must be text"),
    ({"room": "ROOM", "body": "x" * 2001}, "at most 2,000"),
    ({"room": "ROOM", "body": "nul\x00byte"}, "control characters"),
    ({"room": "ROOM", "body": "ok", "client_id": "has spaces!"}, "client_id"),
    ({"room": "ROOM", "body": "ok", "client_id": 5}, "client_id"),
])
def test_hostile_payloads_get_error_acks(app, member, room, payload, error):
    if isinstance(payload, dict) and payload.get("room") == "ROOM":
        payload = {**payload, "room": room}
    a = sock(app, member)
    join(a, room)
    ack = a.emit("message:send", payload, namespace=NS, callback=True)
    assert ack["ok"] is False and error in ack["error"], ack
    assert a.is_connected(NS)
    still = send(a, room, "still here")
    assert still["ok"] is True, still


def test_oversize_payload_does_not_drop_the_socket(app, member, room):
    a = sock(app, member)
    join(a, room)
    ack = send(a, room, "x" * 200_000)
    assert ack["ok"] is False and "at most 2,000" in ack["error"]
    assert a.is_connected(NS)


def test_flooding_is_refused_politely(make_app, member, room):
    a = sock(member.client.application, member)
    join(a, room)
    acks = [send(a, room, f"line {i}") for i in range(12)]
    assert all(x["ok"] for x in acks[:8])
    assert acks[8]["ok"] is False and "very fast" in acks[8]["error"]
    assert a.is_connected(NS)


def test_unknown_event_and_signed_out(app, client, member, room):
    a = sock(app, member)
    ack = a.emit("room:explode", {"room": room}, namespace=NS, callback=True)
    assert ack["ok"] is False and "doesn't know" in ack["error"]
    anon = socketio.test_client(app, namespace=NS, flask_test_client=client)
    assert not anon.is_connected(NS)


# ---------------------------------------------------------------- sessions and facilitators

@pytest.fixture
def session_room(app, facilitator):
    return make_room(app, facilitator_name="group-facilitator", kind="session", name="Sharing circle",
                     ground_rules="Be kind. What is said here stays here.")


def accept(member, room_id, anonymous=False):
    data = {"anonymous": "y"} if anonymous else {}
    return post_button(member, f"/rooms/{room_id}", f"/rooms/{room_id}/rules", data)


def test_session_waits_for_the_facilitator_and_rules(app, member, facilitator, session_room):
    m = sock(app, member)
    ack = join(m, session_room)
    assert ack == {"ok": False, "error": "Please read and accept the ground rules first."}
    assert "I accept the ground rules" in page_text(member.client.get(f"/rooms/{session_room}"))
    accept(member, session_room)
    ack = join(m, session_room)
    assert ack["ok"] and ack["room"]["state"] == "waiting"
    assert send(m, session_room, "hello?")["error"].startswith("This session hasn't started yet")
    f = sock(app, facilitator)
    assert join(f, session_room)["facilitator"] is True
    assert f.emit("room:open", {"room": session_room}, namespace=NS, callback=True) == {"ok": True}
    assert send(m, session_room, "hello!")["ok"] is True
    assert f.emit("room:end", {"room": session_room}, namespace=NS, callback=True)["ok"] is True
    assert send(m, session_room, "anyone?") == {"ok": False, "error": "This session has ended."}


def test_members_cannot_use_facilitator_controls(app, member, session_room):
    accept(member, session_room)
    m = sock(app, member)
    join(m, session_room)
    for event, extra in [("room:open", {}), ("room:lock", {"locked": True}), ("room:slow", {"seconds": 5}),
                         ("member:mute", {"member": "willow", "minutes": 5, "reason": "no"}),
                         ("room:pin", {"message": 1}), ("room:end", {})]:
        ack = m.emit(event, {"room": session_room, **extra}, namespace=NS, callback=True)
        assert ack == {"ok": False, "error": "Only this room's facilitators can do that."}, event


def _opened(app, facilitator, room_id):
    f = sock(app, facilitator)
    join(f, room_id)
    f.emit("room:open", {"room": room_id}, namespace=NS, callback=True)
    return f


def test_mute_is_explained_and_ends(app, member, facilitator, session_room, db_path):
    accept(member, session_room, anonymous=True)
    f = _opened(app, facilitator, session_room)
    m = sock(app, member)
    assert join(m, session_room)["you"] == "Anonymous 1"
    ack = f.emit("member:mute", {"room": session_room, "member": "Anonymous 1", "minutes": 5,
                                 "reason": "Please give others space"}, namespace=NS, callback=True)
    assert ack == {"ok": True}
    notice = [e["args"][0] for e in m.get_received(NS) if e["name"] == "member:muted"]
    assert notice and notice[0]["reason"] == "Please give others space" and notice[0]["minutes"] == 5
    refused = send(m, session_room, "but...")
    assert refused["ok"] is False and "You're muted in this room until" in refused["error"]
    assert "Please give others space" in refused["error"]
    with connect(db_path) as con:
        con.execute("UPDATE room_participant SET muted_until = ?", (ago(minutes=1),))
    assert send(m, session_room, "thank you")["ok"] is True
    system = [x["body"] for x in lines(f) if x["kind"] == "system"]
    assert "The facilitator muted Anonymous 1 for 5 minutes." in system
    with connect(db_path) as con:
        assert con.execute("SELECT count(*) FROM audit_entry WHERE action='room.muted'").fetchone()[0] == 1


def test_removed_member_is_refused_at_once(app, member, facilitator, session_room):
    accept(member, session_room)
    f = _opened(app, facilitator, session_room)
    m = sock(app, member)
    join(m, session_room)
    ack = f.emit("member:remove", {"room": session_room, "member": "willow", "reason": "Repeated abuse"},
                 namespace=NS, callback=True)
    assert ack == {"ok": True}
    assert send(m, session_room, "hey") == {"ok": False, "error": "A facilitator removed you from this session."}
    assert join(m, session_room)["ok"] is False
    assert "A facilitator removed you" in page_text(member.client.get(f"/rooms/{session_room}"))


def test_lock_slow_mode_pin_and_delete(app, member, facilitator, session_room):
    accept(member, session_room)
    f = _opened(app, facilitator, session_room)
    m = sock(app, member)
    join(m, session_room)
    f.emit("room:lock", {"room": session_room, "locked": True}, namespace=NS, callback=True)
    assert send(m, session_room, "x")["error"] == "The room is locked: only facilitators can write for now."
    assert send(f, session_room, "facilitators still can")["ok"] is True
    f.emit("room:lock", {"room": session_room, "locked": False}, namespace=NS, callback=True)
    f.emit("room:slow", {"room": session_room, "seconds": 30}, namespace=NS, callback=True)
    first = send(m, session_room, "first")
    assert first["ok"] is True
    slow = send(m, session_room, "second")
    assert slow["ok"] is False and "Slow mode is on" in slow["error"]
    assert f.emit("room:slow", {"room": session_room, "seconds": "fast"}, namespace=NS,
                  callback=True)["error"] == "Slow mode should be a whole number."
    f.get_received(NS)
    assert f.emit("room:pin", {"room": session_room, "message": first["id"]}, namespace=NS, callback=True)["ok"]
    states = [e["args"][0] for e in f.get_received(NS) if e["name"] == "room:state"]
    assert states[-1]["pinned"]["body"] == "first"
    assert f.emit("message:delete", {"room": session_room, "message": first["id"]}, namespace=NS, callback=True)["ok"]
    assert "first" not in [x["body"] for x in join(sock(app, member), session_room)["messages"]]


def test_sharing_circle_turn_taking(app, member, new_member, facilitator, session_room):
    accept(member, session_room)
    f = _opened(app, facilitator, session_room)
    m = sock(app, member)
    join(m, session_room)
    f.emit("room:circle", {"room": session_room, "on": True}, namespace=NS, callback=True)
    assert "raise your hand" in send(m, session_room, "can I?")["error"]
    assert m.emit("hand:raise", {"room": session_room}, namespace=NS, callback=True)["ok"]
    queue = [e["args"][0]["queue"] for e in f.get_received(NS) if e["name"] == "hand:queue"]
    assert queue[-1] == ["willow"]
    assert f.emit("floor:give", {"room": session_room, "member": "willow"}, namespace=NS, callback=True)["ok"]
    assert send(m, session_room, "my turn")["ok"] is True


def test_flagged_line_alerts_the_facilitator_and_supports_the_writer(app, member, facilitator, session_room, db_path):
    accept(member, session_room)
    f = _opened(app, facilitator, session_room)
    m = sock(app, member)
    join(m, session_room)
    f.get_received(NS)
    ack = send(m, session_room, "I can't go on, I'm going to take all my pills tonight")
    assert ack["ok"] is True and ack["support"]["level"] >= 2 and ack["support"]["peer"] is True
    alerts = [e["args"][0] for e in f.get_received(NS) if e["name"] == "alert:flag"]
    assert alerts and alerts[0]["message_id"] == ack["id"] and alerts[0]["level"] >= 2
    assert not [e for e in m.get_received(NS) if e["name"] == "alert:flag"]  # members don't get alerts
    with connect(db_path) as con:
        kind, cmid = con.execute("SELECT kind, chat_message_id FROM flag").fetchone()
    assert kind == "crisis" and cmid == ack["id"]


def test_anonymous_presence_and_typing(app, member, new_member, facilitator, session_room):
    accept(member, session_room, anonymous=True)
    other = new_member("visible-one")
    accept(other, session_room)
    f = _opened(app, facilitator, session_room)
    a, b = sock(app, member), sock(app, other)
    join(a, session_room)
    ack = join(b, session_room)
    names = [x["name"] for x in ack["members"]]
    assert "Anonymous 1" in names and "visible-one" in names and "willow" not in names
    assert names[0] == "group-facilitator"
    b.get_received(NS)
    assert a.emit("typing", {"room": session_room}, namespace=NS, callback=True)["ok"]
    typing = [e["args"][0] for e in b.get_received(NS) if e["name"] == "typing"]
    assert typing == [{"room": session_room, "name": "Anonymous 1"}]
    a.disconnect(NS)
    pres = [e["args"][0] for e in b.get_received(NS) if e["name"] == "room:presence"]
    assert pres[-1]["left"] == {"name": "Anonymous 1", "facilitator": False}
    assert pres[-1]["count"] == 2  # the facilitator and visible-one are still here
    assert f


def test_session_lines_can_vanish_when_it_ends(app, member, facilitator, db_path):
    rid = make_room(app, facilitator_name="group-facilitator", kind="session", name="Vanishing",
                    vanish_on_end=True)
    f = _opened(app, facilitator, rid)
    m = sock(app, member)
    join(m, rid)
    send(m, rid, "gone after")
    f.emit("room:end", {"room": rid}, namespace=NS, callback=True)
    with connect(db_path) as con:
        assert con.execute("SELECT count(*) FROM chat_message WHERE room_id=?", (rid,)).fetchone()[0] == 0


def test_retention_purge(app, member, room, db_path, runner):
    a = sock(app, member)
    join(a, room)
    send(a, room, "old line")
    send(a, room, "new line")
    with connect(db_path) as con:
        con.execute("UPDATE chat_message SET created_at = ? WHERE body='old line'", (ago(days=40),))
    result = runner.invoke(args=["kindred", "purge-chat"])
    assert "Deleted 1 expired" in result.output
    with connect(db_path) as con:
        assert [b for (b,) in con.execute("SELECT body FROM chat_message")] == ["new line"]


def test_facilitators_schedule_sessions_and_members_ask_for_reminders(app, member, facilitator):
    page = facilitator.client.get("/rooms/new").get_data(as_text=True)
    r = facilitator.client.post("/rooms/new", data={
        "csrf_token": csrf_token(page), "kind": "session", "name": "Living well with HIV",
        "description": "Monthly", "ground_rules": "Be kind.", "starts_at": "2030-01-05 18:00",
        "ends_at": "2030-01-05 19:00", "capacity": "12", "retention_days": "14"})
    assert r.status_code == 303
    rid = int(r.headers["Location"].rsplit("/", 1)[1])
    bad = facilitator.client.post("/rooms/new", data={"csrf_token": csrf_token(page), "kind": "session",
                                                      "name": "x", "starts_at": "soon"})
    assert bad.status_code == 400
    assert member.client.get("/rooms/new").status_code == 403
    assert "Living well with HIV" in page_text(member.client.get("/rooms"))
    post_button(member, "/rooms", f"/rooms/{rid}/remind", {"on": "1"})
    accept(member, rid)
    f = _opened(app, facilitator, rid)
    assert f
    assert "The session “Living well with HIV” has started." in page_text(member.client.get("/notifications"))


# ---------------------------------------------------------------- one to one

def test_peer_chat_from_request_to_outcome(app, member, peer, new_member, db_path):
    r = post_button(member, "/support/talk", "/support/talk")
    assert r.status_code == 303
    status = member.client.get(r.headers["Location"])
    assert "Finding a peer supporter" in page_text(status)
    assert "Waiting since" in page_text(peer.client.get("/support/requests"))
    assert member.client.get("/support/requests").status_code == 403
    with connect(db_path) as con:
        req_id = con.execute("SELECT id FROM peer_request").fetchone()[0]
    m = sock(app, member)
    r = post_button(peer, "/support/requests", f"/support/requests/{req_id}/accept")
    assert r.status_code == 303
    room_id = int(r.headers["Location"].rsplit("/", 1)[1])
    accepted = [e["args"][0] for e in m.get_received(NS) if e["name"] == "peer:accepted"]
    assert accepted == [{"request": req_id, "room": room_id}]
    p = sock(app, peer)
    assert join(m, room_id)["ok"] and join(p, room_id)["ok"]
    assert send(m, room_id, "thank you for coming")["ok"]
    # Nobody else can read it, or even learn it exists.
    stranger = sock(app, new_member("stranger"))
    assert join(stranger, room_id) == {"ok": False, "error": "There's no such room, or you can't join it."}
    assert new_member("stranger-2").client.get(f"/rooms/{room_id}").status_code == 404
    # The peer ends it and records the outcome.
    page = peer.client.get(f"/support/talk/{req_id}/outcome").get_data(as_text=True)
    r = peer.client.post(f"/support/talk/{req_id}/outcome", data={"csrf_token": csrf_token(page),
                                                                 "outcome": "supported", "note": "Safety plan made"})
    assert r.status_code == 303
    assert send(m, room_id, "are you there?")["error"] == "This session has ended."
    with connect(db_path) as con:
        assert con.execute("SELECT state, outcome FROM peer_request").fetchone() == ("ended", "supported")


def test_unanswered_request_is_told_honestly(make_app, new_member):
    app = make_app(PEER_REQUEST_TIMEOUT_SECONDS=0)
    from tests.conftest import Member

    m = Member(app.test_client(), "waiting-one", "river stone quiet lantern")
    m.register()
    from app.services import demo

    with app.app_context():
        demo.seed_categories()
    r = post_button(m, "/support/talk", "/support/talk")
    text = plain(m.client.get(r.headers["Location"]))
    assert "Nobody is free right now" in text and "Example crisis line" in text


def test_one_open_request_per_member(member, db_path):
    post_button(member, "/support/talk", "/support/talk")
    post_button(member, "/support/talk", "/support/talk")
    with connect(db_path) as con:
        assert con.execute("SELECT count(*) FROM peer_request").fetchone()[0] == 1


def test_export_and_delete_include_chat_lines(app, member, new_member, room, db_path):
    from tests.conftest import PASSPHRASE

    a = sock(app, member)
    join(a, room)
    send(a, room, "my line")
    data = member.post_form("/account", "/account/export", {}, prefix="export").get_json()
    assert data["chat"]["chat_lines"][0]["body"] == "my line"
    member.post_form("/account", "/account/delete", {"delete-content": "keep", "delete-passphrase": PASSPHRASE,
                                                     "delete-confirm": "y"}, prefix="delete")
    with connect(db_path) as con:
        assert con.execute("SELECT author_label, author_id FROM chat_message").fetchone() == ("deleted member", None)
    assert grant  # imported helper stays in use for other modules


def test_admin_sets_retention_per_room(app, admin, member, room, db_path):
    r = post_button(admin, "/admin/rooms", "/admin/rooms", {"room_id": room, "retention_days": "7",
                                                            "vanish_on_end": "y"})
    assert r.status_code == 302
    with connect(db_path) as con:
        assert con.execute("SELECT retention_days, vanish_on_end FROM room WHERE id=?", (room,)).fetchone() == (7, 1)
        assert con.execute("SELECT count(*) FROM audit_entry WHERE action='room.retention'").fetchone()[0] == 1
    r = post_button(admin, "/admin/rooms", "/admin/rooms", {"room_id": room, "retention_days": "forever"})
    assert r.status_code == 400 and "whole number" in page_text(r)
    assert member.client.get("/admin/rooms").status_code == 403


def test_talk_to_a_peer_is_on_every_page_and_in_the_support_panel(app, member, categories):
    assert 'href="/support/talk"' in member.client.get("/").get_data(as_text=True)
    from tests.forum_helpers import start_thread

    r = start_thread(member, "wellbeing", "Tonight", "I'm going to kill myself tonight, I have the pills.")
    html = member.client.get(r.headers["Location"]).get_data(as_text=True)
    from tests.test_forum_safety import panel

    assert 'href="/support/talk?source=support"' in panel(html)


def test_peers_hear_of_requests_live(app, member, peer):
    p = sock(app, peer)
    p.get_received(NS)
    post_button(member, "/support/talk", "/support/talk")
    assert [e["name"] for e in p.get_received(NS)] == ["peer:request"]
