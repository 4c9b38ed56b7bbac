"""Peer groups, search and live replies: every visibility rule, everywhere a post can surface."""

from __future__ import annotations


import pytest
from sqlalchemy import event

from app.extensions import socketio
from tests.conftest import page_text, plain
from tests.forum_helpers import post_button, reply, start_thread, thread_id

pytestmark = pytest.mark.usefixtures("categories")


@pytest.fixture
def group_thread(app, member, facilitator):
    """A thread in the "women" peer group, written by an approved member."""
    post_button(member, "/c/women", "/c/women/join")
    from app.services import accounts

    with app.app_context():
        mid = accounts.find_by_pseudonym(member.pseudonym).id
    r = post_button(facilitator, "/c/women/members", "/c/women/members", {"member_id": mid, "decision": "approve"})
    assert r.status_code == 303
    r = start_thread(member, "women", "Pregnancy and meds", "Private words about pregnancy and zidovudine.")
    assert r.status_code == 303, page_text(r)
    return thread_id(r)


def test_outsiders_see_nothing_of_a_group(client, new_member, group_thread):
    outsider = new_member("outsider")
    for who in (client, outsider.client):
        assert who.get(f"/t/{group_thread}").status_code == 404
        listing = page_text(who.get("/c/women"))
        assert "Pregnancy and meds" not in listing and "Only members of this group" in listing
        home = plain(who.get("/"))
        segment = home.split("Women living with HIV peer group")[1].split("Young adults")[0]
        assert "Members only: ask to join." in segment and "1 thread" not in segment
        assert "Nothing found for “zidovudine”" in page_text(who.get("/search?q=zidovudine"))
    assert outsider.client.get(f"/t/{group_thread}/reply").status_code == 404
    assert outsider.client.get("/c/women/new").status_code == 404


def test_members_and_staff_see_the_group(member, peer, group_thread):
    for who in (member, peer):
        assert "Private words" in page_text(who.client.get(f"/t/{group_thread}"))
        assert "<mark>zidovudine</mark>" in who.client.get("/search?q=zidovudine").get_data(as_text=True)


def test_asking_to_join_and_being_declined(app, new_member, facilitator, group_thread):
    hopeful = new_member("hopeful")
    r = post_button(hopeful, "/c/women", "/c/women/join")
    assert r.status_code == 303
    assert "You've asked to join" in page_text(hopeful.client.get("/c/women"))
    assert "hopeful" in page_text(facilitator.client.get("/c/women/members"))
    assert hopeful.client.get("/c/women/members").status_code == 403
    from app.services import accounts

    with app.app_context():
        hid = accounts.find_by_pseudonym("hopeful").id
    post_button(facilitator, "/c/women/members", "/c/women/members", {"member_id": hid, "decision": "decline"})
    assert hopeful.client.get(f"/t/{group_thread}").status_code == 404


def test_leaving_a_group_hides_it_again(member, group_thread):
    post_button(member, "/c/women", "/c/women/leave")
    assert member.client.get(f"/t/{group_thread}").status_code == 404


def test_mentions_do_not_leak_group_posts(member, new_member, group_thread):
    outsider = new_member("outsider-two")
    reply(member, group_thread, "Hey @outsider-two, you'd like this")
    assert "mentioned you" not in page_text(outsider.client.get("/notifications"))


def test_live_watch_refuses_group_threads_to_outsiders(app, new_member, group_thread):
    outsider = new_member("outsider-three")
    sock = socketio.test_client(app, namespace="/forum", flask_test_client=outsider.client)
    ack = sock.emit("thread:watch", {"thread_id": group_thread}, namespace="/forum", callback=True)
    assert ack["ok"] is False and "isn't visible to you" in ack["error"]
    assert sock.is_connected(namespace="/forum")


def test_search_ranks_highlights_and_filters(member, new_member):
    start_thread(member, "treatment", "Dolutegravir and sleep", "Dolutegravir gave me vivid dreams at first.")
    other = new_member("night-owl")
    start_thread(other, "wellbeing", "Sleep hygiene", "Dreams, sleep, and routines.")
    start_thread(other, "off-topic", "Gardening", "Nothing about medicine at all.")
    r = member.client.get("/search?q=dreams")
    html = r.get_data(as_text=True)
    assert html.count("<mark>") >= 2 and "Gardening" not in html
    assert "Sleep hygiene" in page_text(member.client.get("/search?q=dreams&category=wellbeing"))
    assert "Dolutegravir and sleep" not in page_text(member.client.get("/search?q=dreams&category=wellbeing"))
    by = page_text(member.client.get("/search?q=dreams&author=NIGHT-OWL"))
    assert "Sleep hygiene" in by and "Dolutegravir and sleep" not in by
    assert "Dolutegravir and sleep" in page_text(member.client.get("/search?q=dolute"))  # prefix


def test_anonymous_posts_are_not_found_by_the_writers_name(member):
    start_thread(member, "disclosure", "Quiet thread", "Secret marmalade recipe", anonymous=True)
    start_thread(member, "off-topic", "Loud thread", "Public marmalade opinion")
    by = page_text(member.client.get("/search?q=marmalade&author=willow"))
    assert "Loud thread" in by and "Quiet thread" not in by
    everyone = page_text(member.client.get("/search?q=marmalade"))
    assert "Quiet thread" in everyone and "Anonymous 1" in everyone


@pytest.mark.parametrize("q", ['"unbalanced', "title:secret", "a OR b NOT c", "NEAR(a b)", "*", "()", "^x",
                               "-", "'; DROP TABLE post; --", "ü" * 150])
def test_search_syntax_cannot_be_injected(member, q):
    start_thread(member, "off-topic", "Anything", "Some searchable words here.")
    r = member.client.get("/search", query_string={"q": q})
    assert r.status_code == 200


def test_search_query_too_long_is_400(client):
    assert client.get("/search", query_string={"q": "x" * 201}).status_code == 400


def test_new_replies_reach_readers_live(app, member, new_member):
    tid = thread_id(start_thread(member, "off-topic", "Live", "Watching this."))
    reader = new_member("live-reader")
    sock = socketio.test_client(app, namespace="/forum", flask_test_client=reader.client)
    ack = sock.emit("thread:watch", {"thread_id": tid}, namespace="/forum", callback=True)
    assert ack["ok"] is True
    sock.get_received("/forum")
    reply(member, tid, "A fresh reply")
    events = [e for e in sock.get_received("/forum") if e["name"] == "thread:new_post"]
    assert len(events) == 1 and events[0]["args"][0]["thread_id"] == tid
    assert set(events[0]["args"][0]) == {"thread_id", "post_id"}  # ids only, never content
    reply(new_member("threatening"), tid, "I'm going to kill him tomorrow with my gun")
    assert [e for e in sock.get_received("/forum") if e["name"] == "thread:new_post"] == []  # held: silent


@pytest.mark.parametrize("payload", [None, {}, {"thread_id": "1"}, {"thread_id": True}, {"thread_id": 10**20}, [1]])
def test_watch_validates_payloads(app, member, payload):
    sock = socketio.test_client(app, namespace="/forum", flask_test_client=member.client)
    ack = sock.emit("thread:watch", payload, namespace="/forum", callback=True)
    assert ack["ok"] is False and ack["error"]
    assert sock.is_connected(namespace="/forum")


def test_signed_out_cannot_watch(app, client):
    sock = socketio.test_client(app, namespace="/forum", flask_test_client=client)
    assert not sock.is_connected(namespace="/forum")


def _count_queries(app, client, path) -> int:
    from app.extensions import db

    with app.app_context():
        engine = db.engine
    count = 0

    def before(*_args, **_kw):
        nonlocal count
        count += 1

    event.listen(engine, "before_cursor_execute", before)
    try:
        r = client.get(path)
        assert r.status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", before)
    return count


def test_thread_and_category_pages_use_a_fixed_number_of_queries(app, member, new_member):
    writers = [new_member(f"writer-{i}") for i in range(5)]
    small = thread_id(start_thread(member, "off-topic", "Small", "one"))
    big = thread_id(start_thread(member, "off-topic", "Big", "one"))
    for i in range(40):
        w = writers[i % 5]
        reply(w, big, f"reply {i}", anonymous=i % 3 == 0)
        post_button(w, f"/t/{big}", f"/p/{small}/react", {"kind": "hug"}) if i < 5 else None
    reader = new_member("counter")
    reader.client.get(f"/t/{small}")
    reader.client.get(f"/t/{big}")  # read markers exist now: the next loads don't write
    q_small = _count_queries(app, reader.client, f"/t/{small}")
    q_big = _count_queries(app, reader.client, f"/t/{big}")
    assert q_small == q_big, (q_small, q_big)
    for i in range(5):
        start_thread(writers[i], "off-topic", f"More {i}", "x")
    q_cat = _count_queries(app, reader.client, "/c/off-topic")
    for i in range(30):
        start_thread(writers[i % 5], "off-topic", f"Even more {i}", "x")
    assert _count_queries(app, reader.client, "/c/off-topic") == q_cat
    assert q_big <= 20 and q_cat <= 20


def test_readers_who_are_not_signed_in_get_no_cookie(client, member):
    tid = thread_id(start_thread(member, "treatment", "Cookie-free", "Nothing to track here."))
    for path in ("/", "/c/treatment", f"/t/{tid}", "/search?q=track", "/rooms", "/privacy"):
        r = client.get(path)
        assert r.status_code == 200 and "Set-Cookie" not in r.headers, path
