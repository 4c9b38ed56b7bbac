"""Routing crises to people: duty, live alerts, the queue, claims, escalation, outcomes, figures."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

from tests.db import connect
import pytest

from app.extensions import socketio
from tests.conftest import Member, csrf_token, grant, page_text, plain
from tests.forum_helpers import post_button, start_thread, thread_id

pytestmark = pytest.mark.usefixtures("categories")
NS = "/duty"
CRISIS_L3 = "I have saved up my pills and I'm taking them all tonight."
CRISIS_L2 = "I want to die. Everyone would be better off without me."


def duty_socket(app, m: Member, on=True):
    s = socketio.test_client(app, namespace=NS, flask_test_client=m.client)
    assert s.is_connected(NS)
    if on:
        assert s.emit("duty:on", {}, namespace=NS, callback=True)["ok"] is True
    return s


def alerts(s):
    return [e["args"][0] for e in s.get_received(NS) if e["name"] == "flag:new"]


def flag_ids(db_path):
    with connect(db_path) as con:
        return [r[0] for r in con.execute("SELECT id FROM flag ORDER BY id")]


def test_grant_command(app, runner, member, db_path):
    r = runner.invoke(args=["kindred", "grant", "willow", "peer_supporter"])
    assert r.exit_code == 0 and "now a peer supporter" in r.output
    assert "already has" in runner.invoke(args=["kindred", "grant", "WILLOW", "peer_supporter"]).output
    assert "every account is" in runner.invoke(args=["kindred", "grant", "willow", "member"]).output
    assert runner.invoke(args=["kindred", "grant", "nobody-here", "admin"]).exit_code != 0
    assert runner.invoke(args=["kindred", "grant", "willow", "emperor"]).exit_code != 0
    with connect(db_path) as con:
        assert con.execute("SELECT count(*) FROM audit_entry WHERE action='role.granted'").fetchone()[0] == 1


def test_alerts_reach_on_duty_peers_only(app, member, peer, new_member, facilitator):
    off = new_member("off-duty-peer")
    grant(app, off, "peer")
    on_sock = duty_socket(app, peer)
    off_sock = duty_socket(app, off, on=False)
    fac_sock = duty_socket(app, facilitator)
    # Members can't even connect here.
    assert not socketio.test_client(app, namespace=NS, flask_test_client=member.client).is_connected(NS)
    start_thread(member, "wellbeing", "Low", CRISIS_L2)
    got = alerts(on_sock)
    assert len(got) == 1
    a = got[0]
    assert a["level"] == 2 and a["target"] == "self" and a["reasons"] and re.fullmatch(r"/p/\d+", a["where"])
    assert alerts(off_sock) == []
    assert alerts(fac_sock) == []  # facilitators hear level 3 and escalations
    start_thread(member, "wellbeing", "Tonight", CRISIS_L3)
    assert [x["level"] for x in alerts(on_sock)] == [3] and [x["level"] for x in alerts(fac_sock)] == [3]


def test_duty_off_stops_alerts(app, member, peer):
    s = duty_socket(app, peer)
    assert s.emit("duty:off", {}, namespace=NS, callback=True) == {"ok": True}
    start_thread(member, "wellbeing", "Tonight", CRISIS_L3)
    assert alerts(s) == []


def test_chat_lines_alert_too(app, member, peer):
    from tests.test_chat import join, make_room, send
    from tests.test_chat import sock as chat_sock

    room = make_room(app)
    s = duty_socket(app, peer)
    c = chat_sock(app, member)
    join(c, room)
    ack = send(c, room, CRISIS_L3)
    [a] = alerts(s)
    assert a["where"] == f"/rooms/{room}#m{ack['id']}"


def test_claim_has_exactly_one_winner(app, member, peer, new_member, db_path):
    other = new_member("second-peer")
    grant(app, other, "peer")
    start_thread(member, "wellbeing", "Tonight", CRISIS_L3)
    [fid] = flag_ids(db_path)
    watcher = duty_socket(app, other)
    results = []

    def claim(m):
        html = m.client.get(f"/queue/{fid}").get_data(as_text=True)
        r = m.client.post(f"/queue/{fid}/claim", data={"csrf_token": csrf_token(html)})
        if r.status_code == 303:
            results.append(page_text(m.client.get(r.headers["Location"])))
        else:
            assert r.status_code == 400  # the loser is told why, and nothing changed
            results.append(page_text(r))

    threads = [threading.Thread(target=claim, args=(m,)) for m in (peer, other)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    wins = [t for t in results if "It's yours" in t]
    losses = [t for t in results if "Someone else has already claimed" in t]
    assert len(wins) == 1 and len(losses) == 1
    claimed = [e["args"][0] for e in watcher.get_received(NS) if e["name"] == "flag:claimed"]
    assert len(claimed) == 1 and claimed[0]["id"] == fid


def test_escalation_with_a_controllable_clock(app, member, peer, facilitator, db_path):
    from app.models.base import utcnow
    from app.services import duty

    s_peer, s_fac = duty_socket(app, peer), duty_socket(app, facilitator)
    start_thread(member, "wellbeing", "Low", CRISIS_L2)  # level 2: escalates after 10 minutes
    alerts(s_peer), alerts(s_fac)
    base = utcnow()
    try:
        with app.app_context():
            duty.set_clock(lambda: base + timedelta(minutes=9))
            assert duty.escalate_due() == 0
            duty.set_clock(lambda: base + timedelta(minutes=11))
            assert duty.escalate_due() == 1
            assert duty.escalate_due() == 0  # once
    finally:
        duty.set_clock(None)
    [p_alert] = alerts(s_peer)
    [f_alert] = alerts(s_fac)
    assert p_alert["escalated"] is True and f_alert["escalated"] is True
    assert "escalated" in page_text(peer.client.get("/queue"))


def test_a_claim_stops_the_timer(app, member, peer, db_path):
    from app.models.base import utcnow
    from app.services import duty

    start_thread(member, "wellbeing", "Tonight", CRISIS_L3)
    [fid] = flag_ids(db_path)
    post_button(peer, f"/queue/{fid}", f"/queue/{fid}/claim")
    try:
        with app.app_context():
            duty.set_clock(lambda: utcnow() + timedelta(hours=1))
            assert duty.escalate_due() == 0
    finally:
        duty.set_clock(None)


def test_queue_ranks_by_level_then_age_and_filters(app, member, peer, new_member, db_path):
    start_thread(member, "wellbeing", "Low", "I feel so hopeless and alone lately.")  # level 1
    start_thread(member, "wellbeing", "Lower", CRISIS_L2)
    start_thread(member, "wellbeing", "Tonight", CRISIS_L3)
    text = plain(peer.client.get("/queue"))
    assert text.index("Level 3") < text.index("Level 2") < text.index("Level 1")
    only3 = plain(peer.client.get("/queue?level=3"))
    assert "Level 3" in only3 and "Level 2" not in only3
    assert peer.client.get("/queue?level=high").status_code == 400
    assert peer.client.get("/queue?kind=gossip").status_code == 400
    assert member.client.get("/queue").status_code == 403
    assert member.client.get(f"/queue/{flag_ids(db_path)[0]}").status_code == 403


def test_close_with_outcome_notes_and_debrief(app, member, peer, db_path):
    start_thread(member, "wellbeing", "Tonight", CRISIS_L3)
    [fid] = flag_ids(db_path)
    post_button(peer, f"/queue/{fid}", f"/queue/{fid}/claim")
    post_button(peer, f"/queue/{fid}", f"/queue/{fid}/note", {"body": "Tried to reach them in chat."})
    r = post_button(peer, f"/queue/{fid}", f"/queue/{fid}/close", {"outcome": "nonsense"})
    assert r.status_code == 400 and "Choose an outcome" in page_text(r)
    r = post_button(peer, f"/queue/{fid}", f"/queue/{fid}/close", {"outcome": "supported", "note": "Talked; safe"})
    page = page_text(peer.client.get(r.headers["Location"]))
    assert "Take a moment" in page and "Tried to reach them in chat." in page and "Talked; safe" in page
    with connect(db_path) as con:
        assert con.execute("SELECT state, outcome FROM flag").fetchone() == ("closed", "supported")
        actions = [a for (a,) in con.execute("SELECT action FROM audit_entry WHERE action LIKE 'flag.%'")]
    assert actions == ["flag.claimed", "flag.closed"]
    post_button(peer, f"/queue/{fid}", f"/queue/{fid}/return")
    with connect(db_path) as con:
        assert con.execute("SELECT state FROM flag").fetchone() == ("open",)


def test_care_limit_on_open_items(make_app, categories):
    app = make_app(PEER_MAX_OPEN=1, RATELIMIT_ENABLED=False)
    from app.services import demo

    with app.app_context():
        demo.seed_categories()
    writer = Member(app.test_client(), "writer", "river stone quiet lantern")
    writer.register()
    p = Member(app.test_client(), "limited-peer", "river stone quiet lantern")
    p.register()
    grant(app, p, "peer")
    start_thread(writer, "wellbeing", "One", CRISIS_L3)
    start_thread(writer, "wellbeing", "Two", CRISIS_L2)
    post_button(p, "/queue/1", "/queue/1/claim")
    r = post_button(p, "/queue/2", "/queue/2/claim")
    assert r.status_code == 403 and "already holding 1 open crisis item" in page_text(r)


def test_reach_out_opens_a_private_room_without_the_pseudonym(app, member, peer, db_path):
    from tests.test_chat import NS as CHAT, join
    from tests.test_chat import sock as chat_sock

    start_thread(member, "wellbeing", "Tonight", CRISIS_L3)
    [fid] = flag_ids(db_path)
    m_sock = chat_sock(app, member)
    r = post_button(peer, f"/queue/{fid}", f"/queue/{fid}/reach-out")
    assert r.status_code == 303
    room_id = int(r.headers["Location"].rsplit("/", 1)[1])
    assert [e["args"][0]["room"] for e in m_sock.get_received(CHAT) if e["name"] == "peer:accepted"] == [room_id]
    p_sock = chat_sock(app, peer)
    ack = join(p_sock, room_id)
    assert ack["ok"] and "willow" not in str(ack)
    assert join(m_sock, room_id)["you"] == "Anonymous 1"
    assert "A peer supporter would like to check in" in page_text(member.client.get("/notifications"))


def test_members_never_see_flags_or_who_was_alerted(app, member, peer, new_member):
    start_thread(member, "wellbeing", "Tonight", CRISIS_L3)
    html = member.client.get("/").get_data(as_text=True)
    assert "kind-peer" not in html
    other = new_member("curious")
    for path in ("/queue", "/queue/1", "/duty", "/admin/safety"):
        assert other.client.get(path).status_code == 403


def test_worried_about_someone(app, member, peer, new_member, db_path):
    tid = thread_id(start_thread(member, "off-topic", "Quiet lately", "Just tired, not much to say."))
    pid = re.search(r'id="p(\d+)"', member.client.get(f"/t/{tid}").get_data(as_text=True)).group(1)
    friend = new_member("caring-friend")
    s = duty_socket(app, peer)
    r = post_button(friend, f"/p/{pid}/worried", f"/p/{pid}/worried", {"note": "They said goodbye in chat"})
    assert r.status_code == 303
    [a] = alerts(s)
    assert a["kind"] == "concern"
    item = page_text(peer.client.get(f"/queue/{a['id']}"))
    assert "They said goodbye in chat" in item and "caring-friend" not in item
    assert "caring-friend" not in page_text(member.client.get("/notifications"))


def test_safety_plan_is_private_and_shown_first(app, member, new_member):
    r = post_button(member, "/safety-plan", "/safety-plan", {"coping": "Walk by the canal", "people_to_ask": "My sister",
                                                            "reasons_to_live": "My dog, Biscuit"})
    assert r.status_code == 303
    assert "Walk by the canal" in page_text(member.client.get("/safety-plan"))
    assert "Walk by the canal" not in page_text(new_member("someone-else").client.get("/safety-plan"))
    r = start_thread(member, "wellbeing", "Tonight", CRISIS_L3)
    text = plain(member.client.get(r.headers["Location"]))
    assert text.index("Your safety plan") < text.index("Example crisis line")
    assert "My dog, Biscuit" in text
    r = post_button(member, "/safety-plan", "/safety-plan", {"coping": "bad\x07char"})
    assert r.status_code == 400


def test_nobody_on_duty_is_said_honestly(app, member, admin):
    r = start_thread(member, "wellbeing", "Tonight", CRISIS_L3)
    from tests.test_forum_safety import panel

    assert "No peer supporter is on duty right now" in panel(page_text(member.client.get(r.headers["Location"])))
    assert "No one is on duty right now" in page_text(admin.client.get("/admin"))


def test_draft_check_never_stores(member, db_path):
    token = csrf_token(member.client.get("/c/wellbeing/new").get_data(as_text=True))
    r = member.client.post("/draft/check", json={"body": CRISIS_L3}, headers={"X-CSRFToken": token})
    data = r.get_json()
    assert data["ok"] and data["level"] == 3 and data["support"] is True and data["on_duty"] is False
    assert member.client.post("/draft/check", json={"body": 1}, headers={"X-CSRFToken": token}).status_code == 400
    with connect(db_path) as con:
        assert con.execute("SELECT count(*) FROM flag").fetchone()[0] == 0


def test_duty_grace_period(app, peer):
    from app.models.base import utcnow
    from app.services import accounts, duty

    s = duty_socket(app, peer)
    s.disconnect(NS)
    with app.app_context():
        m = accounts.find_by_pseudonym(peer.pseudonym)
        assert duty.is_on_duty(m)
        try:
            duty.set_clock(lambda: utcnow() + timedelta(seconds=30))
            assert duty.expire_absent() == 0
            duty.set_clock(lambda: utcnow() + timedelta(minutes=5))
            assert duty.expire_absent() == 1
            assert not duty.is_on_duty(m)
        finally:
            duty.set_clock(None)


def test_dashboard_figures_from_known_data(app, admin, member, peer, db_path):
    from app.models.base import utcnow

    for title, text in (("First", CRISIS_L3), ("Second", CRISIS_L2), ("Third", CRISIS_L3)):
        start_thread(member, "wellbeing", title, text)
    ids = flag_ids(db_path)
    for fid in ids[:2]:
        post_button(peer, f"/queue/{fid}", f"/queue/{fid}/claim")
    post_button(peer, f"/queue/{ids[0]}", f"/queue/{ids[0]}/close", {"outcome": "false_alarm"})
    post_button(peer, f"/queue/{ids[1]}", f"/queue/{ids[1]}/close", {"outcome": "supported"})
    now = utcnow()
    with connect(db_path) as con:
        # Known waits: 2 and 8 minutes to claim; the third never claimed.
        con.execute("UPDATE flag SET created_at=?, claimed_at=? WHERE id=?",
                    ((now - timedelta(minutes=12)).isoformat(" "), (now - timedelta(minutes=10)).isoformat(" "), ids[0]))
        con.execute("UPDATE flag SET created_at=?, claimed_at=? WHERE id=?",
                    ((now - timedelta(minutes=18)).isoformat(" "), (now - timedelta(minutes=10)).isoformat(" "), ids[1]))
        con.execute("INSERT INTO duty_period(member_id, started_at, ended_at) VALUES (NULL, ?, ?)",
                    ((now - timedelta(hours=30)).isoformat(" "), (now - timedelta(hours=6)).isoformat(" ")))
    text = plain(admin.client.get("/admin/safety?days=2"))
    assert "median 2.0 min, 90th percentile 8.0 min" in text
    assert "Claimed within the target time 33%" in text  # one of three within 5 minutes
    assert "False alarm: 1" in text and "Reached and supported: 1" in text
    hours = float(re.search(r"Hours with no one on duty ([\d.]+)", text).group(1))
    assert 23.9 <= hours <= 24.1  # 48 hours, minus the 24 someone was on duty
    rule_rows = re.findall(r"<tr><td>([^<]+)</td><td>(\d+)</td><td>(\d+)</td>", admin.client.get("/admin/safety?days=2").get_data(as_text=True))
    assert rule_rows and all(int(n) >= int(fa) for _, n, fa in rule_rows)
    assert admin.client.get("/admin/safety?days=0").status_code == 400


def test_worried_about_a_chat_line(app, member, peer, new_member, db_path):
    from tests.test_chat import NS as CHAT, join, make_room, send
    from tests.test_chat import sock as chat_sock

    room = make_room(app)
    writer, friend = chat_sock(app, member), chat_sock(app, new_member("room-friend"))
    join(writer, room), join(friend, room)
    line = send(writer, room, "I think this is my last night here")["id"]
    s = duty_socket(app, peer)
    alerts(s)
    ack = friend.emit("message:concern", {"room": room, "message": line, "note": "worried"}, namespace=CHAT, callback=True)
    assert ack == {"ok": True}
    [a] = alerts(s)
    assert a["kind"] == "concern" and a["where"] == f"/rooms/{room}#m{line}"
    assert writer.emit("message:concern", {"room": room, "message": line}, namespace=CHAT,
                       callback=True)["ok"] is False  # not about yourself
    bad = friend.emit("message:concern", {"room": room, "message": "x"}, namespace=CHAT, callback=True)
    assert bad["ok"] is False and "no such line" in bad["error"]


def test_resources_have_opening_hours(app, admin, member):
    post_button(admin, "/admin/resources", "/admin/resources", {
        "name": "Night line", "contact": "Call 0000 (example)", "hours": "Every night 20:00–02:00", "is_crisis_line": "y"})
    r = start_thread(member, "wellbeing", "Tonight", CRISIS_L3)
    assert "Every night 20:00–02:00" in page_text(member.client.get(r.headers["Location"]))


def test_composer_offers_support_before_posting(member):
    """The draft panel is in every compose form, hidden until the draft check says otherwise."""
    html = member.client.get("/c/wellbeing/new").get_data(as_text=True)
    assert re.search(r'id="draft-support" hidden', html)
    assert 'href="/support/talk?source=support"' in html.split('id="draft-support"')[1]


def test_admins_edit_support_resources(app, admin, member, db_path):
    with connect(db_path) as con:
        rid = con.execute("SELECT id FROM support_resource WHERE name LIKE 'Example crisis%'").fetchone()[0]
    page = f"/admin/resources/{rid}"
    assert 'value="Example crisis line (replace me)"' in admin.client.get(page).get_data(as_text=True)
    r = post_button(admin, page, page, {"name": "Riverside Crisis Line", "contact": "Call 0000 (example)",
                                        "hours": "24/7", "is_crisis_line": "y", "position": "0"})
    assert r.status_code == 302
    r = post_button(admin, page, page, {"name": "x", "position": "first"})
    assert r.status_code == 400
    with connect(db_path) as con:
        assert con.execute("SELECT name, hours, is_example FROM support_resource WHERE id=?", (rid,)).fetchone() == \
            ("Riverside Crisis Line", "24/7", 0)
    assert member.client.get(page).status_code == 403
