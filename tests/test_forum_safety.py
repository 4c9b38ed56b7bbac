"""Screening on every post: flags, the writer's private support panel, held threats, reports;
and hostile Markdown that must come out inert."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

from tests.db import connect
import pytest

from tests.conftest import SHARED, csrf_token, page_text, plain
from tests.forum_helpers import post_button, reply, start_thread, thread_id

pytestmark = pytest.mark.usefixtures("categories")


def panel(html: str) -> str:
    """The private support panel shown after posting (not the composer's draft panel)."""
    m = re.search(r'<section class="card support-panel" aria-labelledby="support-h".*?</section>', html, re.S)
    return m.group(0) if m else ""


def flags(db_path):
    with connect(db_path) as con:
        return [(k, lvl, tgt, json.loads(r), pid) for k, lvl, tgt, r, pid in
                con.execute("SELECT kind, level, target, reasons, post_id FROM flag ORDER BY id")]


def test_ordinary_post_raises_nothing(member, db_path):
    r = start_thread(member, "treatment", "New regimen", "My meds are killing the virus, undetectable now!")
    assert panel(member.client.get(r.headers["Location"]).get_data(as_text=True)) == ""
    assert flags(db_path) == []


def test_crisis_post_flags_and_shows_support_to_the_writer_only(member, new_member, db_path):
    r = start_thread(member, "wellbeing", "Can't go on",
                     "I've saved up my pills and I'm going to take them all tonight.")
    assert r.status_code == 303
    own = member.client.get(r.headers["Location"])
    text = page_text(own)
    own_panel = panel(own.get_data(as_text=True))
    assert "Only you can see this." in own_panel and "Example crisis line" in own_panel
    assert "/support/talk?source=support" in own_panel
    # The post itself is published (a crisis never silences the writer) ...
    reader = new_member("reader")
    seen = reader.client.get(r.headers["Location"].split("#")[0])
    assert "saved up my pills" in page_text(seen)
    # ... and nobody else sees the panel, nor does the writer on the next visit.
    assert panel(seen.get_data(as_text=True)) == ""
    assert panel(member.client.get(r.headers["Location"]).get_data(as_text=True)) == ""
    [(kind, level, target, reasons, pid)] = flags(db_path)
    assert kind == "crisis" and level == 3 and target == "self" and reasons


def test_distress_shows_support_without_the_peer_offer(member, db_path):
    r = start_thread(member, "wellbeing", "Rough week", "I feel so hopeless and alone lately, nothing helps.")
    text = panel(page_text(member.client.get(r.headers["Location"])))
    got = flags(db_path)
    assert got and got[0][1] >= 1
    assert "Only you can see this." in text
    if got[0][1] == 1:
        assert "/support/talk?source=support" not in text  # the peer offer is for levels 2-3


def test_threat_to_others_is_held_until_released(member, peer, new_member, db_path):
    tid = thread_id(start_thread(member, "off-topic", "Neighbours", "Noisy neighbours again."))
    angry = new_member("angry-one")
    r = reply(angry, tid, "I'm going to kill my neighbour tonight, I have a knife ready.")
    assert r.status_code == 303
    own = page_text(angry.client.get(r.headers["Location"]))
    assert "Your post is waiting for a moderator" in own
    assert "waiting for a moderator" in own and "kill my neighbour" in own  # the writer still sees it
    others = page_text(member.client.get(f"/t/{tid}"))
    assert "kill my neighbour" not in others
    assert "1 post" in others  # not counted while held
    assert "angry-one replied" not in page_text(member.client.get("/notifications"))
    [(kind, level, target, _, pid)] = flags(db_path)
    assert (kind, target) == ("crisis", "others") and level >= 2
    assert "kill my neighbour" in page_text(peer.client.get("/mod/held"))
    page = peer.client.get(f"/p/{pid}/moderate?action=release").get_data(as_text=True)
    r = peer.client.post(f"/p/{pid}/moderate?action=release",
                         data={"csrf_token": csrf_token(page), "reason": "Venting, spoke with them, no intent"})
    assert r.status_code == 303
    assert "kill my neighbour" in page_text(member.client.get(f"/t/{tid}"))
    assert "angry-one replied" in page_text(member.client.get("/notifications"))
    assert "released your post" in page_text(angry.client.get("/notifications"))


def test_held_posts_stay_out_of_search(member, new_member):
    tid = thread_id(start_thread(member, "off-topic", "Streets", "The street lights are out."))
    angry = new_member("hider")
    reply(angry, tid, "I will stab that zookeeper tomorrow with my knife")
    assert "Nothing found for “zookeeper”" in page_text(member.client.get("/search?q=zookeeper"))
    assert "<mark>zookeeper</mark>" in angry.client.get("/search?q=zookeeper").get_data(as_text=True)


def test_editing_into_crisis_is_screened_again(member, db_path):
    r = start_thread(member, "wellbeing", "Update", "Just an update on my week.")
    pid = re.search(r'id="p(\d+)"', member.client.get(r.headers["Location"]).get_data(as_text=True)).group(1)
    html = member.client.get(f"/p/{pid}/edit").get_data(as_text=True)
    r = member.client.post(f"/p/{pid}/edit", data={"csrf_token": csrf_token(html),
                                                   "body": "I want to kill myself. I can't do this anymore."})
    assert r.status_code == 303
    assert "Only you can see this." in panel(page_text(member.client.get(r.headers["Location"])))
    assert flags(db_path)[0][1] >= 2


def test_recent_posts_give_context(member, db_path):
    tid = thread_id(start_thread(member, "wellbeing", "Tonight", "I want to end my life tonight."))
    reply(member, tid, "ok")
    levels = [lvl for _, lvl, _, _, _ in flags(db_path)]
    assert levels[0] == 3 and len(levels) == 2 and levels[1] >= 1  # the mild follow-up stays elevated


def test_reports_are_flags_and_stay_anonymous(member, new_member, db_path):
    tid = thread_id(start_thread(member, "off-topic", "Hot take", "Something provocative."))
    pid = re.search(r'id="p(\d+)"', member.client.get(f"/t/{tid}").get_data(as_text=True)).group(1)
    reporter = new_member("watchful")
    page = reporter.client.get(f"/p/{pid}/report")
    assert page.status_code == 200
    r = reporter.client.post(f"/p/{pid}/report", data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                                       "reason": "outing", "note": "Names someone's status"})
    assert r.status_code == 303
    r = reporter.client.post(f"/p/{pid}/report", data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                                       "reason": "not-a-reason"})
    assert r.status_code == 400
    assert [(k, p) for k, _, _, _, p in flags(db_path)] == [("report", int(pid))]
    assert "watchful" not in page_text(member.client.get("/notifications"))


def _xss_payloads():
    text = (SHARED / "adversarial" / "xss.txt").read_text(encoding="utf-8")
    return [line for line in text.split("\n") if line.strip()]


_ALLOWED_TAGS = {"p", "br", "strong", "em", "del", "s", "code", "pre", "blockquote", "ul", "ol", "li", "a",
                 "h3", "h4", "h5", "h6", "hr", "table", "thead", "tbody", "tr", "th", "td", "span"}


class _Inspector(HTMLParser):
    """Walks real tags and attributes (as a browser would parse them) and notes anything that
    could execute or load: unknown tags, on* handlers, style, non-http(s) links."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in _ALLOWED_TAGS:
            self.problems.append(f"tag <{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name in ("style", "src", "srcdoc", "formaction", "action"):
                self.problems.append(f"attribute {name}")
            if name == "href" and not (value or "").startswith(("http://", "https://")):
                self.problems.append(f"href {value!r}")


def test_xss_payloads_in_posts_come_out_inert(make_app, new_member, db_path):
    app = make_app(RATELIMIT_ENABLED=False)
    from app.services import demo

    with app.app_context():
        demo.seed_categories()
    from tests.conftest import Member

    writer = Member(app.test_client(), "xss-writer", "river stone quiet lantern")
    writer.register()
    tid = thread_id(start_thread(writer, "off-topic", "Payloads", "Testing hostile Markdown."))
    payloads = _xss_payloads()
    accepted = []
    for i, payload in enumerate(payloads):
        body = f"{payload}\n\n[click](javascript:alert({i})) <b onmouseover=alert(1)>x</b>"
        r = reply(writer, tid, body, content_warning="")
        assert r.status_code in (303, 400), (i, r.status_code)
        if r.status_code == 303:
            accepted.append(body)
        else:
            assert "control characters" in page_text(r)
    problems = []
    url = f"/t/{tid}"
    while url:
        html = writer.client.get(url).get_data(as_text=True)
        for body in re.findall(r'<div class="post-body">(.*?)</div>\s*(?:<footer|</article)', html, re.S):
            inspector = _Inspector()
            inspector.feed(body)
            problems += inspector.problems
        nxt = re.search(r'<a href="([^"]+)">Later posts</a>', html)
        url = nxt.group(1).replace("&amp;", "&") if nxt else None
    assert problems == []
    with connect(db_path) as con:
        stored = [b for (b,) in con.execute("SELECT body_md FROM post ORDER BY id")][1:]
    assert len(accepted) >= len(payloads) - 5
    assert stored == [b.replace("\r\n", "\n") for b in accepted]  # stored exactly as written, shown inert


def test_xss_in_title_and_warning_is_escaped(member):
    payload = '<script>alert("t")</script>'
    r = start_thread(member, "off-topic", payload, "body", content_warning='"><img src=x onerror=alert(1)>')
    assert r.status_code == 303
    html = member.client.get(r.headers["Location"]).get_data(as_text=True)
    assert payload not in html and "<img src=x" not in html
    assert "&lt;script&gt;" in html
    assert plain(member.client.get("/c/off-topic")).count('<script>alert("t")</script>') == 1


def test_support_resources_are_admin_editable(admin, member, db_path):
    r = post_button(admin, "/admin/resources", "/admin/resources", {
        "name": "Riverside HIV Peer Line", "description": "Peer support by phone, evenings.",
        "contact": "Call 0000 000 000 (example)", "url": "https://peerline.example/", "position": "1",
        "is_crisis_line": "y"})
    assert r.status_code == 302
    r = post_button(admin, "/admin/resources", "/admin/resources", {"name": "Bad", "url": "javascript:alert(1)"})
    assert r.status_code == 400 and "https://" in page_text(r)
    with connect(db_path) as con:
        rid = con.execute("SELECT id FROM support_resource WHERE name LIKE 'Example crisis%'").fetchone()[0]
    post_button(admin, "/admin/resources", "/admin/resources", {"resource_id": rid, "active": "0"})
    r = start_thread(member, "wellbeing", "Help", "I want to die. I can't take it anymore.")
    text = page_text(member.client.get(r.headers["Location"]))
    assert "Riverside HIV Peer Line" in text and "Example crisis line" not in text
    assert text.index("Riverside HIV Peer Line") < text.index("Example HIV support service")
    assert member.client.get("/admin/resources").status_code == 403
