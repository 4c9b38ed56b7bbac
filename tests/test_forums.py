"""Forums through the public interface: contracts, writing, anonymity, groups, pagination."""

from __future__ import annotations

import json
import re

from tests.db import connect
import pytest

from tests.conftest import PASSPHRASE, csrf_token, page_text, plain
from tests.forum_helpers import form_key, post_button, post_id, reply, start_thread, thread_id

pytestmark = pytest.mark.usefixtures("categories")


def test_home_lists_categories_as_c_slug(client):
    html = client.get("/").get_data(as_text=True)
    for slug in ("newly-diagnosed", "treatment", "disclosure", "off-topic", "women"):
        assert f'href="/c/{slug}"' in html
    assert client.get("/c/treatment").status_code == 200
    assert client.get("/c/no-such").status_code == 404


def test_new_thread_form_contract(member):
    html = member.client.get("/c/treatment/new").get_data(as_text=True)
    for name in ("title", "body", "anonymous", "content_warning", "csrf_token"):
        assert f'name="{name}"' in html


def test_start_thread_and_reply_contract(member, new_member):
    r = start_thread(member, "treatment", "Switching to a new regimen", "Has anyone switched recently?")
    assert r.status_code == 303
    assert re.fullmatch(r"/t/\d+/switching-to-a-new-regimen", r.headers["Location"])
    tid = thread_id(r)
    html = member.client.get(f"/t/{tid}").get_data(as_text=True)
    assert f'action="/t/{tid}/reply"' in html
    other = new_member("second-voice")
    r = reply(other, tid, "Yes, I did last year. It went fine.")
    assert r.status_code == 303
    assert re.search(rf"/t/{tid}/[\w-]+(\?after=\d+)?#p\d+$", r.headers["Location"])
    page = page_text(other.client.get(r.headers["Location"]))
    assert "Yes, I did last year" in page and "Has anyone switched recently?" in page


def test_signed_out_readers_can_read_but_not_write(client, member):
    tid = thread_id(start_thread(member, "treatment", "Open to read", "Anyone can read this."))
    assert "Anyone can read this." in page_text(client.get(f"/t/{tid}"))
    assert client.get("/c/treatment/new").status_code == 302
    r = client.post(f"/t/{tid}/reply", data={"body": "x"})
    assert r.status_code in (302, 400)


def test_double_submit_makes_one_post(member, db_path):
    html = member.client.get("/c/treatment/new").get_data(as_text=True)
    data = {"csrf_token": csrf_token(html), "title": "Only once please", "body": "Sent twice by a shaky connection",
            "submission_key": form_key(html)}
    first = member.client.post("/c/treatment/new", data=data)
    second = member.client.post("/c/treatment/new", data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    tid = thread_id(first)
    page = member.client.get(f"/t/{tid}").get_data(as_text=True)
    key = form_key(page)
    for _ in range(2):
        member.client.post(f"/t/{tid}/reply", data={"csrf_token": csrf_token(page), "body": "A reply, once",
                                                     "submission_key": key})
    with connect(db_path) as con:
        assert con.execute("SELECT count(*) FROM thread").fetchone()[0] == 1
        assert con.execute("SELECT count(*) FROM post").fetchone()[0] == 2


@pytest.mark.parametrize("title, body, message", [
    ("ab", "fine body", "at least 3"),
    ("x" * 151, "fine body", "at most 150"),
    ("Fine title", "", "can't be empty"),
    ("Fine title", "   ", "can't be empty"),
    ("Fine title", "x" * 20_001, "at most 20,000"),
    ("Fine title", "bell \x07 here", "control characters"),
    ("Title\nwith newline", "fine body", "control characters"),
])
def test_bad_posts_are_explained_and_nothing_is_stored(member, db_path, title, body, message):
    r = start_thread(member, "treatment", title, body)
    assert r.status_code == 400
    assert message in page_text(r)
    with connect(db_path) as con:
        assert con.execute("SELECT count(*) FROM post").fetchone()[0] == 0


def test_tabs_and_newlines_are_kept(member, db_path):
    body = "line one\n\tindented\nline three"
    tid = thread_id(start_thread(member, "treatment", "Whitespace", body))
    with connect(db_path) as con:
        (stored,) = con.execute("SELECT body_md FROM post").fetchone()
    assert stored == body
    assert tid


def test_preview_shows_rendered_markdown_and_stores_nothing(member, db_path):
    r = start_thread(member, "treatment", "Preview me", "**strong words** and a [link](https://example.org)",
                     preview="1")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "<strong>strong words</strong>" in html
    assert 'rel="nofollow noopener noreferrer ugc"' in html
    assert "Nothing is posted yet" in html
    assert 'value="Preview me"' in html  # the form keeps what was typed
    with connect(db_path) as con:
        assert con.execute("SELECT count(*) FROM post").fetchone()[0] == 0


def test_preview_warns_about_identifying_details(member):
    r = start_thread(member, "disclosure", "Telling people",
                     "My neighbour Maria Silva is HIV positive, her number is 07700 900123", preview="1")
    text = page_text(r)
    assert "Before you post" in text
    assert "phone number" in text and "names a person near a mention of HIV status" in text


def test_compose_check_endpoint(member):
    token = csrf_token(member.client.get("/c/treatment/new").get_data(as_text=True))
    r = member.client.post("/compose/check", json={"body": "write to me at sam@example.org"},
                           headers={"X-CSRFToken": token})
    assert r.status_code == 200 and r.get_json()["identifying"]
    r = member.client.post("/compose/check", json={"body": "nothing identifying here"},
                           headers={"X-CSRFToken": token})
    assert r.get_json() == {"ok": True, "identifying": []}
    assert member.client.post("/compose/check", json={"body": 5}, headers={"X-CSRFToken": token}).status_code == 400
    assert member.client.post("/compose/check", json={"body": "x"}).status_code == 400  # no CSRF token


def test_markdown_features(member):
    body = "| a | b |\n|---|--:|\n| 1 | 2 |\n\n~~old~~ new\n\nhttps://example.org/page\n\n> quoted\n\n# Big heading"
    tid = thread_id(start_thread(member, "treatment", "Markdown", body))
    html = member.client.get(f"/t/{tid}").get_data(as_text=True)
    assert "<table>" in html and '<td class="align-right">2</td>' in html
    assert "<s>old</s>" in html
    assert '<a href="https://example.org/page" rel="nofollow noopener noreferrer ugc">' in html
    assert "<blockquote>" in html
    assert "<h3>Big heading</h3>" in html  # post headings never compete with the page's


def test_images_are_never_loaded(member):
    tid = thread_id(start_thread(member, "treatment", "Picture", "![a photo](https://tracker.example/p.png)"))
    html = member.client.get(f"/t/{tid}").get_data(as_text=True)
    assert "<img" not in html


def test_content_warning_collapses_the_post(member, new_member):
    tid = thread_id(start_thread(member, "wellbeing", "A hard week", "Some heavy things happened.",
                                 content_warning="self-harm"))
    html = new_member("reader").client.get(f"/t/{tid}").get_data(as_text=True)
    assert re.search(r'<details class="cw">\s*<summary>Content warning: self-harm', html)


def test_quote_prefills_the_reply(member, new_member):
    tid = thread_id(start_thread(member, "treatment", "Quote me", "First line\nsecond line"))
    first = re.search(r'id="p(\d+)"', member.client.get(f"/t/{tid}").get_data(as_text=True)).group(1)
    other = new_member("quoter")
    html = page_text(other.client.get(f"/t/{tid}/reply?quote={first}"))
    assert "> **willow** wrote:\n>\n> First line\n> second line" in html


def test_permalink_opens_the_page_holding_the_post(member):
    tid = thread_id(start_thread(member, "off-topic", "Long thread", "post 0"))
    ids = [post_id(reply(member, tid, f"post {i}")) for i in range(1, 75)]
    target = ids[49]
    r = member.client.get(f"/p/{target}")
    assert r.status_code == 302
    page = member.client.get(r.headers["Location"]).get_data(as_text=True)
    assert f'id="p{target}"' in page
    assert "Earlier posts" in page and "Later posts" in page


def test_keyset_pages_cover_every_post_once(member):
    tid = thread_id(start_thread(member, "off-topic", "Paging", "post 0"))
    for i in range(1, 65):
        reply(member, tid, f"post {i}")
    seen, url = [], f"/t/{tid}"
    while url:
        html = member.client.get(url).get_data(as_text=True)
        seen += re.findall(r'<article class="post[^"]*" id="p(\d+)"', html)
        nxt = re.search(r'<a href="([^"]+)">Later posts</a>', html)
        url = nxt.group(1).replace("&amp;", "&") if nxt else None
    assert len(seen) == 65 and len(set(seen)) == 65 and seen == sorted(seen, key=int)
    back = member.client.get(f"/t/{tid}?before={seen[40]}").get_data(as_text=True)
    got = re.findall(r'<article class="post[^"]*" id="p(\d+)"', back)
    assert got == seen[10:40]


@pytest.mark.parametrize("query", ["after=abc", "before=-5", "after=99999999999999999999999", "cursor=garbage"])
def test_bad_page_cursors_are_400(member, query):
    tid = thread_id(start_thread(member, "off-topic", "Cursor", "x y z"))
    path = f"/c/off-topic?{query}" if query.startswith("cursor") else f"/t/{tid}?{query}"
    assert member.client.get(path).status_code == 400


def test_anonymous_alias_is_stable_per_thread_and_hides_the_name(member, new_member, db_path):
    tid = thread_id(start_thread(member, "disclosure", "Telling my mum", "I told her today.", anonymous=True))
    other = new_member("listener")
    reply(other, tid, "Well done, that takes courage.")
    reply(member, tid, "Thank you, it went better than I feared.", anonymous=True)
    third = new_member("third-one")
    reply(third, tid, "Sending you a hug.", anonymous=True)
    html = page_text(other.client.get(f"/t/{tid}"))
    assert html.count("Anonymous 1") >= 2 and "Anonymous 2" in html
    assert "willow" not in html and "third-one" not in html
    assert "listener" in html
    tid2 = thread_id(start_thread(third, "disclosure", "Another", "Another thread.", anonymous=True))
    assert "Anonymous 1" in page_text(other.client.get(f"/t/{tid2}"))
    # The category list doesn't give the opener away either.
    listing = page_text(other.client.get("/c/disclosure"))
    assert "willow" not in listing and "third-one" not in listing


def test_only_admins_reveal_anonymous_writers_with_a_reason(app, member, admin, peer, db_path):
    tid = thread_id(start_thread(member, "disclosure", "Secret", "Anonymous words.", anonymous=True))
    pid = re.search(r'id="p(\d+)"', admin.client.get(f"/t/{tid}").get_data(as_text=True)).group(1)
    assert peer.client.get(f"/p/{pid}/reveal").status_code == 403
    r = post_button(admin, f"/p/{pid}/reveal", f"/p/{pid}/reveal", {"reason": ""})
    assert r.status_code == 400 and "Please give a reason" in page_text(r)
    r = post_button(admin, f"/p/{pid}/reveal", f"/p/{pid}/reveal", {"reason": "Threat reported to safeguarding lead"})
    assert r.status_code == 200 and "written by willow" in plain(r)
    with connect(db_path) as con:
        action, detail = con.execute("SELECT action, detail FROM audit_entry WHERE action='post.reveal_author'").fetchone()
    assert json.loads(detail)["reason"] == "Threat reported to safeguarding lead"


def test_reactions_toggle_and_count(member, new_member):
    tid = thread_id(start_thread(member, "wellbeing", "Good news", "My viral load is undetectable!"))
    page = f"/t/{tid}"
    pid = re.search(r'id="p(\d+)"', member.client.get(page).get_data(as_text=True)).group(1)
    a, b = new_member("cheer-a"), new_member("cheer-b")
    post_button(a, page, f"/p/{pid}/react", {"kind": "hug"})
    post_button(b, page, f"/p/{pid}/react", {"kind": "hug"})
    post_button(b, page, f"/p/{pid}/react", {"kind": "thank_you"})
    html = a.client.get(page).get_data(as_text=True)
    assert re.search(r'value="hug" class="reaction on" aria-pressed="true">Hug <span class="count">2</span>', html)
    post_button(a, page, f"/p/{pid}/react", {"kind": "hug"})  # take it back
    html = a.client.get(page).get_data(as_text=True)
    assert re.search(r'value="hug" class="reaction" aria-pressed="false">Hug <span class="count">1</span>', html)
    r = post_button(a, page, f"/p/{pid}/react", {"kind": "angry"})
    assert r.status_code == 400


def test_bookmarks_and_follow(member, new_member):
    tid = thread_id(start_thread(member, "treatment", "Worth keeping", "Useful list of clinics."))
    page = f"/t/{tid}"
    pid = re.search(r'id="p(\d+)"', member.client.get(page).get_data(as_text=True)).group(1)
    fan = new_member("bookmarker")
    post_button(fan, page, f"/p/{pid}/bookmark")
    assert "Worth keeping" in page_text(fan.client.get("/bookmarks"))
    post_button(fan, page, f"/p/{pid}/bookmark")
    assert "Worth keeping" not in page_text(fan.client.get("/bookmarks"))
    post_button(fan, page, f"/t/{tid}/follow", {"follow": "1"})
    reply(member, tid, "Added two more clinics.")
    notes = page_text(fan.client.get("/notifications"))
    assert "willow replied in “Worth keeping”" in notes


def test_the_thread_page_badge_counts_unread_notifications(member, new_member):
    """The thread page reads the badge's count with its own queries (not the menu's query): the
    same number, on the page where it changes too."""
    tid = thread_id(start_thread(member, "off-topic", "Badges", "Counting."))
    friend = new_member("Blue Heron")
    reply(friend, tid, "First.")
    other = thread_id(start_thread(friend, "off-topic", "Elsewhere", "Hello @willow"))
    html = member.client.get(f"/t/{tid}").get_data(as_text=True)
    assert re.search(r'Notifications <span class="badge">2<', html)
    assert re.search(r'Notifications <span class="badge">2<', member.client.get(f"/t/{other}").get_data(as_text=True))
    assert 'class="badge"' not in friend.client.get(f"/t/{tid}").get_data(as_text=True)  # theirs, not the page's
    post_button(member, "/notifications", "/notifications/read")
    assert 'class="badge"' not in member.client.get(f"/t/{tid}").get_data(as_text=True)
    assert 'class="badge"' not in member.client.get("/c/off-topic").get_data(as_text=True)


def test_notifications_for_replies_mentions_and_badge(member, new_member):
    tid = thread_id(start_thread(member, "off-topic", "Music", "What are you listening to?"))
    friend = new_member("Blue Heron")
    r = reply(friend, tid, "Lots of jazz. @willow have you heard the new album? @nobody-here", anonymous=True)
    assert r.status_code == 303
    html = member.client.get("/").get_data(as_text=True)
    assert re.search(r'Notifications <span class="badge">1<', html)  # reply + mention = one note
    notes = page_text(member.client.get("/notifications"))
    assert "Anonymous 1 replied in “Music”" in notes and "Blue Heron" not in notes
    post_button(member, "/notifications", "/notifications/read")
    assert 'class="badge"' not in member.client.get("/").get_data(as_text=True)
    third = new_member("third-voice")
    reply(third, tid, "Ping @Blue_Heron and @BLUE-HERON")  # not their name: no mention
    reply(third, tid, "Ping @willow")
    assert "third-voice replied" in page_text(member.client.get("/notifications"))


def test_edit_keeps_history_for_moderators_and_shows_edited(member, peer, new_member):
    tid = thread_id(start_thread(member, "treatment", "Typo", "Frist version"))
    page = member.client.get(f"/t/{tid}").get_data(as_text=True)
    pid = re.search(r'id="p(\d+)"', page).group(1)
    html = member.client.get(f"/p/{pid}/edit").get_data(as_text=True)
    r = member.client.post(f"/p/{pid}/edit", data={"csrf_token": csrf_token(html), "body": "First version",
                                                   "content_warning": ""})
    assert r.status_code == 303
    reader = new_member("reader-two")
    view = page_text(reader.client.get(f"/t/{tid}"))
    assert "First version" in view and "(edited)" in view and "Frist" not in view
    assert reader.client.get(f"/p/{pid}/history").status_code == 403
    assert "Frist version" in page_text(peer.client.get(f"/p/{pid}/history"))
    assert reader.client.get(f"/p/{pid}/edit").status_code == 403


def test_author_deletes_their_post(member, new_member, db_path):
    tid = thread_id(start_thread(member, "treatment", "Keep", "Opening words"))
    other = new_member("replier")
    pid = post_id(reply(other, tid, "Something I regret saying"))
    r = post_button(other, f"/t/{tid}", f"/p/{pid}/delete")
    assert r.status_code == 303
    assert "Something I regret" not in page_text(member.client.get(f"/t/{tid}"))
    assert "This post was deleted." in page_text(member.client.get(f"/t/{tid}"))
    with connect(db_path) as con:
        assert con.execute("SELECT body_md FROM post WHERE id=?", (pid,)).fetchone()[0] == ""
    assert post_button(member, f"/t/{tid}", f"/p/{pid}/delete").status_code == 403
    # Deleting the only post of a thread removes the thread.
    tid2 = thread_id(start_thread(member, "treatment", "Oops", "Posted in the wrong place"))
    pid2 = re.search(r'id="p(\d+)"', member.client.get(f"/t/{tid2}").get_data(as_text=True)).group(1)
    post_button(member, f"/t/{tid2}", f"/p/{pid2}/delete")
    assert member.client.get(f"/t/{tid2}").status_code == 404


def test_moderators_lock_pin_hide_move_with_reasons(member, peer, new_member, db_path):
    tid = thread_id(start_thread(member, "off-topic", "Heated", "Let's talk."))
    other = new_member("bystander")
    page = f"/t/{tid}"
    assert post_button(other, page, f"/t/{tid}/moderate", {"action": "lock", "reason": "x"}).status_code == 403
    r = post_button(peer, page, f"/t/{tid}/moderate", {"action": "lock", "reason": "Cooling down"})
    assert r.status_code == 303
    refused = reply(other, tid, "one more thing")
    assert refused.status_code in (400, 403) and "This thread is locked" in page_text(refused)
    assert "This thread is locked" in page_text(other.client.get(page))
    r = post_button(peer, page, f"/t/{tid}/moderate", {"action": "pin", "reason": ""})
    assert r.status_code == 400
    post_button(peer, page, f"/t/{tid}/moderate", {"action": "pin", "reason": "Useful for everyone"})
    start_thread(other, "off-topic", "Newer thread", "I am newer")
    listing = page_text(other.client.get("/c/off-topic"))
    assert listing.index("Heated") < listing.index("Newer thread")
    with connect(db_path) as con:
        cat = con.execute("SELECT id FROM category WHERE slug='wellbeing'").fetchone()[0]
    post_button(peer, page, f"/t/{tid}/move", {"category": cat, "reason": "Better fit"})
    assert "Mental health and wellbeing" in page_text(other.client.get(page))
    post_button(peer, page, f"/t/{tid}/moderate", {"action": "hide", "reason": "Under review"})
    assert other.client.get(page).status_code == 404
    assert peer.client.get(page).status_code == 200
    notes = page_text(member.client.get("/notifications"))
    assert "locked your thread “Heated”: Cooling down" in notes and "moved your thread" in notes
    with connect(db_path) as con:
        actions = [a for (a,) in con.execute("SELECT action FROM audit_entry ORDER BY id")]
    assert [a for a in actions if a.startswith("thread.")] == ["thread.lock", "thread.pin", "thread.move", "thread.hide"]


def test_moderators_hide_posts_and_the_author_is_told(member, peer, new_member):
    tid = thread_id(start_thread(member, "off-topic", "Mixed", "fine start"))
    other = new_member("rude-one")
    pid = post_id(reply(other, tid, "something unkind"))
    page = peer.client.get(f"/p/{pid}/moderate?action=hide").get_data(as_text=True)
    r = peer.client.post(f"/p/{pid}/moderate?action=hide", data={"csrf_token": csrf_token(page),
                                                                "reason": "Unkind to another member"})
    assert r.status_code == 303
    assert "something unkind" not in page_text(member.client.get(f"/t/{tid}"))
    assert "Hidden by the moderators." in page_text(member.client.get(f"/t/{tid}"))
    assert "hid your post in “Mixed”: Unkind to another member" in page_text(other.client.get("/notifications"))
    assert member.client.get(f"/p/{pid}/moderate?action=hide").status_code == 403


def test_archived_category_is_read_only(admin, member, db_path):
    start_thread(member, "advocacy", "Old campaign", "Still worth reading.")
    with connect(db_path) as con:
        cid = con.execute("SELECT id FROM category WHERE slug='advocacy'").fetchone()[0]
    r = post_button(admin, f"/admin/categories/{cid}", f"/admin/categories/{cid}", {"archive": "1"})
    assert r.status_code == 302
    assert 'href="/c/advocacy"' not in member.client.get("/").get_data(as_text=True)
    assert "Old campaign" in page_text(member.client.get("/c/advocacy"))
    r = start_thread(member, "advocacy", "New one", "Can I?")
    assert r.status_code in (400, 403) and "archived" in page_text(r)


def test_admin_manages_categories(admin, member):
    r = post_button(admin, "/admin/categories", "/admin/categories", {
        "new-name": "Hepatitis C", "new-slug": "hep-c", "new-description": "Treatment and cure.",
        "new-position": "5"})
    assert r.status_code == 302
    assert 'href="/c/hep-c"' in member.client.get("/").get_data(as_text=True)
    r = post_button(admin, "/admin/categories", "/admin/categories", {
        "new-name": "Dup", "new-slug": "hep-c", "new-position": "1"})
    assert r.status_code == 400 and "already uses that address" in page_text(r)
    r = post_button(admin, "/admin/categories", "/admin/categories", {"new-name": "Bad", "new-slug": "Bad Slug!"})
    assert r.status_code == 400 and "lower-case letters" in page_text(r)
    assert member.client.get("/admin/categories").status_code == 403


def test_unread_counts_and_new_markers(member, new_member):
    reader = new_member("catch-up")
    tid = thread_id(start_thread(member, "treatment", "Fresh news", "Something new."))
    assert "Treatment and side effects 1 unread" in plain(reader.client.get("/"))
    reader.client.get(f"/t/{tid}")
    assert "1 unread" not in page_text(reader.client.get("/"))
    reply(member, tid, "An update.")
    assert "1 unread" in page_text(reader.client.get("/"))
    html = reader.client.get(f"/t/{tid}").get_data(as_text=True)
    assert 'class="tag new">new<' in html


def test_export_and_delete_include_forum_posts(app, member, new_member, db_path):
    tid = thread_id(start_thread(member, "treatment", "Mine", "My own words", anonymous=True))
    other = new_member("keeps-talking")
    reply(other, tid, "A reply from someone else")
    data = json.loads(member.post_form("/account", "/account/export", {}, prefix="export").get_data(as_text=True))
    assert data["forum"]["posts"][0]["body"] == "My own words"
    assert data["forum"]["posts"][0]["anonymous"] is True
    member.post_form("/account", "/account/delete", {"delete-content": "remove",
                                                     "delete-passphrase": PASSPHRASE, "delete-confirm": "y"},
                     prefix="delete")
    page = page_text(other.client.get(f"/t/{tid}"))
    assert "My own words" not in page and "A reply from someone else" in page
    with connect(db_path) as con:
        assert con.execute("SELECT count(*) FROM post WHERE body_md='My own words'").fetchone()[0] == 0


def test_delete_account_keeping_posts_shows_deleted_member(member, new_member):
    tid = thread_id(start_thread(member, "treatment", "Legacy", "Words worth keeping"))
    member.post_form("/account", "/account/delete", {"delete-content": "keep",
                                                     "delete-passphrase": PASSPHRASE, "delete-confirm": "y"},
                     prefix="delete")
    page = page_text(new_member("later-reader").client.get(f"/t/{tid}"))
    assert "Words worth keeping" in page and "deleted member" in page and "willow" not in page


def test_reply_form_under_a_thread_is_fresh_on_every_view(member):
    # The empty reply form is rendered once per language (app/web/forums.py, _reply_fields) and
    # its token and submission key filled in per page: each view must get its own key.
    tid = thread_id(start_thread(member, "off-topic", "Fresh keys", "one"))
    first = member.client.get(f"/t/{tid}").get_data(as_text=True)
    second = member.client.get(f"/t/{tid}", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    third = member.client.get(f"/t/{tid}").get_data(as_text=True)
    assert len({form_key(first), form_key(second), form_key(third)}) == 3
    assert "SLOT" not in first + second + third
    assert csrf_token(first) and 'name="body"' in first and 'name="body"' in second
    assert reply(member, tid, "posted with the form's own key").status_code == 303
