"""Sharing a directory entry as a card: in a live room and a one-to-one chat (Socket.IO
`service:share`), and in a forum reply. Cards show the entry as it is now, and stay readable
(marked removed) once an admin removes it."""

from __future__ import annotations

import re
from tests.db import connect

import pytest

from tests.conftest import csrf_token, page_text, plain
from tests.forum_helpers import form_key, post_button, start_thread, thread_id
from tests.test_chat import NS, join, lines, make_room, sock
from tests.test_directory import approved, service_fields


def share(s, room, service, **extra):
    return s.emit("service:share", {"room": room, "service": service, **extra}, namespace=NS, callback=True)


def edit(admin, sid, **overrides):
    r = post_button(admin, f"/services/{sid}/edit", f"/services/{sid}/edit", service_fields(**overrides))
    assert r.status_code == 303, page_text(r)


def remove(admin, sid):
    assert post_button(admin, f"/services/{sid}", f"/services/{sid}/remove").status_code == 303


# ---------------------------------------------------------------- chat

def test_a_peer_shares_a_card_in_a_room_and_everyone_sees_it(app, admin, peer, member):
    sid = approved(admin)
    room = make_room(app)
    p, m = sock(app, peer), sock(app, member)
    assert join(p, room)["ok"] and join(m, room)["ok"]
    m.get_received(NS)
    ack = share(p, room, sid, client_id="s-1")
    assert ack["ok"] is True and isinstance(ack["id"], int) and ack["duplicate"] is False
    [line] = lines(m)
    assert line["kind"] == "card" and line["author"] == "kind-peer"
    assert line["card"] == {"service": sid, "name": "Riverside Sexual Health Clinic",
                            "kinds": ["HIV and STI testing", "PEP and PrEP"], "phone": "01632 960123",
                            "url": "https://riverside.example.org/clinic", "hours": "Mon–Fri 9:00–17:00",
                            "example": False, "stale": False, "removed": False}
    # Clients that predate cards still show something readable.
    assert "Riverside Sexual Health Clinic" in line["body"] and "01632 960123" in line["body"]
    # A resend with the same client_id is the same line, not a second card.
    again = share(p, room, sid, client_id="s-1")
    assert again["ok"] and again["duplicate"] and again["id"] == ack["id"]
    assert lines(m) == []


def test_cards_show_the_entry_as_it_is_now_then_the_snapshot_once_removed(app, admin, peer, member):
    sid = approved(admin)
    room = make_room(app)
    p = sock(app, peer)
    join(p, room)
    assert share(p, room, sid)["ok"]
    edit(admin, sid, phone="01632 960777", name="Riverside Clinic")
    m = sock(app, member)
    [card_line] = [x for x in join(m, room)["messages"] if x["kind"] == "card"]
    assert card_line["card"]["phone"] == "01632 960777" and card_line["card"]["name"] == "Riverside Clinic"
    remove(admin, sid)
    [card_line] = [x for x in join(m, room)["messages"] if x["kind"] == "card"]
    # Still readable: the details as they were when shared, marked removed, no link.
    assert card_line["card"]["removed"] is True and card_line["card"]["service"] is None
    assert card_line["card"]["name"] == "Riverside Sexual Health Clinic"
    assert card_line["card"]["phone"] == "01632 960123"


def test_a_peer_shares_a_card_in_a_one_to_one_chat(app, admin, peer, member, db_path):
    sid = approved(admin, name="Valley Counselling", kinds=["counselling"])
    assert post_button(member, "/support/talk", "/support/talk").status_code == 303
    with connect(db_path) as con:
        req_id = con.execute("SELECT id FROM peer_request").fetchone()[0]
    r = post_button(peer, "/support/requests", f"/support/requests/{req_id}/accept")
    room_id = int(r.headers["Location"].rsplit("/", 1)[1])
    # The peer's room page offers the share control; the member's doesn't.
    assert 'id="chat-share-service"' in page_text(peer.client.get(f"/rooms/{room_id}"))
    assert 'id="chat-share-service"' not in page_text(member.client.get(f"/rooms/{room_id}"))
    p, m = sock(app, peer), sock(app, member)
    assert join(p, room_id)["ok"] and join(m, room_id)["ok"]
    m.get_received(NS)
    assert share(p, room_id, sid)["ok"]
    [line] = lines(m)
    assert line["kind"] == "card" and line["card"]["name"] == "Valley Counselling"
    # Only the two people in the conversation hear it.
    outsider = sock(app, admin)
    assert join(outsider, room_id)["ok"] is False


@pytest.mark.parametrize("service, error", [
    (None, "Which service?"),
    ("x", "Which service?"),
    (True, "Which service?"),
    ([1], "Which service?"),
    (999_999, "no such service"),
    (2**70, "no such service"),
])
def test_share_payloads_are_checked(app, admin, peer, service, error):
    approved(admin)
    room = make_room(app)
    p = sock(app, peer)
    join(p, room)
    ack = share(p, room, service)
    assert ack["ok"] is False and error in ack["error"]


def test_members_cannot_share_and_pending_entries_cannot_be_shared(app, admin, peer, member):
    sid = approved(admin)
    pending = post_button(peer, "/services/new", "/services/new", service_fields(name="Not yet approved"))
    pending_id = int(re.search(r"/services/(\d+)", pending.headers["Location"]).group(1))
    room = make_room(app)
    m, p = sock(app, member), sock(app, peer)
    join(m, room), join(p, room)
    ack = share(m, room, sid)
    assert ack == {"ok": False, "error": "Only peer supporters, facilitators and admins can share services "
                                         "from the directory."}
    ack = share(p, room, pending_id)
    assert ack == {"ok": False, "error": "Only approved services can be shared."}
    assert share(p, "1", sid)["ok"] is False
    assert p.emit("service:share", "not an object", namespace=NS, callback=True)["ok"] is False


def test_room_rules_apply_to_cards_too(app, admin, peer, facilitator):
    sid = approved(admin)
    room = make_room(app, "group-facilitator")
    f, p = sock(app, facilitator), sock(app, peer)
    join(f, room), join(p, room)
    assert f.emit("room:lock", {"room": room, "locked": True}, namespace=NS, callback=True)["ok"]
    ack = share(p, room, sid)
    assert ack["ok"] is False and "locked" in ack["error"]
    # A facilitator can share (and delete a card line like any line).
    ack = share(f, room, sid)
    assert ack["ok"]
    assert f.emit("message:delete", {"room": room, "message": ack["id"]}, namespace=NS, callback=True)["ok"]


# ---------------------------------------------------------------- replies

def card_block(html: str) -> str:
    m = re.search(r'<aside class="service-card[^"]*".*?</aside>', html, re.S)
    return m.group(0) if m else ""


def reply_with(m, tid, body, service):
    html = m.client.get(f"/t/{tid}/reply").get_data(as_text=True)
    return m.client.post(f"/t/{tid}/reply", data={"csrf_token": csrf_token(html), "body": body,
                                                  "content_warning": "", "submission_key": form_key(html),
                                                  "service": str(service)})


def test_a_peer_shares_a_card_in_a_reply(app, categories, admin, peer, member, db_path):
    sid = approved(admin)
    tid = thread_id(start_thread(member, "prevention", "Where can I get PEP?", "It happened last night."))
    # The thread page's reply form offers the picker to peers only.
    assert 'name="service"' in page_text(peer.client.get(f"/t/{tid}"))
    assert 'name="service"' not in page_text(member.client.get(f"/t/{tid}"))
    r = reply_with(peer, tid, "Go today if you can: this clinic does PEP.", sid)
    assert r.status_code == 303
    html = page_text(member.client.get(f"/t/{tid}"))
    card = card_block(html)
    assert "Riverside Sexual Health Clinic" in card and f'href="/services/{sid}"' in card
    assert "01632 960123" in card and "PEP and PrEP" in card and "removed" not in card
    # Live: an edit shows at once; a removal leaves the snapshot, marked.
    edit(admin, sid, phone="01632 960888")
    assert "01632 960888" in card_block(page_text(member.client.get(f"/t/{tid}")))
    remove(admin, sid)
    card = card_block(page_text(member.client.get(f"/t/{tid}")))
    assert "This service was removed from the directory" in card
    assert "01632 960123" in card and "01632 960888" not in card  # as it was when shared
    assert f'href="/services/{sid}"' not in card and "Riverside Sexual Health Clinic" in card


def test_members_cannot_attach_cards_to_replies(app, categories, admin, member, db_path):
    sid = approved(admin)
    tid = thread_id(start_thread(member, "prevention", "PrEP question", "Who can get PrEP near the river?"))
    r = reply_with(member, tid, "Sneaky card", sid)
    assert r.status_code == 400 and "Only peer supporters" in page_text(r)
    with connect(db_path) as con:
        assert con.execute("SELECT count(*) FROM post WHERE service_id IS NOT NULL").fetchone()[0] == 0


@pytest.mark.parametrize("service, message", [("abc", "Which service?"), ("424242", "no such service")])
def test_bad_service_in_a_reply_is_a_clear_400(app, categories, admin, peer, member, service, message):
    tid = thread_id(start_thread(member, "prevention", "PrEP question", "Who can get PrEP near the river?"))
    r = reply_with(peer, tid, "Here you go", service)
    assert r.status_code in (400, 404) and message in page_text(r)


def test_share_in_a_reply_from_the_directory_entry(app, categories, admin, peer, member):
    sid = approved(admin)
    tid = thread_id(start_thread(member, "prevention", "PEP tonight?", "Where can I go tonight?"))
    page = page_text(peer.client.get(f"/services/{sid}"))
    assert "Share in a reply" in page
    r = peer.client.get(f"/services/{sid}/share", query_string={"thread": f"http://localhost/t/{tid}/pep-tonight"})
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/t/{tid}/reply?service={sid}")
    form = page_text(peer.client.get(r.headers["Location"]))
    assert f'<option value="{sid}" selected>' in form
    assert peer.client.get(f"/services/{sid}/share", query_string={"thread": "somewhere"}).status_code == 400
    assert member.client.get(f"/services/{sid}/share", query_string={"thread": str(tid)}).status_code == 403
    assert "Share in a reply" not in plain(member.client.get(f"/services/{sid}"))
