"""The services directory: who may add, edit, approve and remove entries; browsing with filters
and search (plain GET links); validation of every field; the audit trail; the support panel."""

from __future__ import annotations

import json
import re
from tests.db import connect
from datetime import date, timedelta

import pytest

from tests.conftest import grant, page_text, plain
from tests.forum_helpers import post_button, start_thread


def audit_rows(db_path, prefix="service."):
    with connect(db_path) as con:
        return [(a, json.loads(d)) for a, d in con.execute(
            "SELECT action, detail FROM audit_entry WHERE action LIKE ? ORDER BY id", (prefix + "%",))]


def service_fields(**overrides) -> dict:
    fields = {"name": "Riverside Sexual Health Clinic", "kinds": ["testing", "prevention"],
              "description": "Walk-in HIV tests, PEP and PrEP.", "phone": "01632 960123",
              "url": "https://riverside.example.org/clinic", "address": "1 Example Street\nRiverside",
              "hours": "Mon–Fri 9:00–17:00", "area": "Riverside and the valley", "region": "North",
              "languages": "English, Français", "cost": "Free", "is_confidential": "y",
              "last_checked": date.today().isoformat()}
    fields.update(overrides)
    return {k: v for k, v in fields.items() if v is not None}


def add_service(m, **overrides):
    """Submit the real "Add a service" form."""
    return post_button(m, "/services/new", "/services/new", service_fields(**overrides))


def service_id(response) -> int:
    return int(re.search(r"/services/(\d+)", response.headers["Location"]).group(1))


def approved(admin, **overrides) -> int:
    r = add_service(admin, **overrides)
    assert r.status_code == 303, page_text(r)
    return service_id(r)


def names(response) -> list[str]:
    return re.findall(r'<h2 class="service-name" id="s\d+-name"><a href="/services/\d+">([^<]+)</a>',
                      response.get_data(as_text=True))


# ---------------------------------------------------------------- permissions and approval

def test_the_directory_is_in_the_main_navigation_and_readable_without_an_account(client, admin):
    approved(admin)
    r = client.get("/")
    assert 'href="/services"' in r.get_data(as_text=True)
    r = client.get("/services")
    assert r.status_code == 200 and "Set-Cookie" not in r.headers  # no session for a reader
    assert names(r) == ["Riverside Sexual Health Clinic"]
    text = plain(r)
    assert "01632 960123" in text and "Mon–Fri 9:00–17:00" in text and "English, Français" in text
    assert "Confidential." in text and "Free" in text


@pytest.mark.parametrize("path", ["/services/new", "/services/review"])
def test_members_cannot_add_or_review(client, member, path):
    assert client.get(path).status_code == 302  # signed out: to the sign-in page
    assert member.client.get(path).status_code == 403
    r = member.client.post(path, data={"name": "x"})
    assert r.status_code in (400, 403, 405)


def test_a_member_posting_the_form_anyway_is_refused(app, member, peer, db_path):
    r = post_button(peer, "/services/new", "/services/new", service_fields())  # a peer may
    assert r.status_code == 303
    token_page = member.client.get("/services").get_data(as_text=True)
    assert "/services/new" not in token_page
    r = post_button(member, "/account", "/services/new", service_fields(name="Sneaky entry"))
    assert r.status_code == 403
    with connect(db_path) as con:
        assert [n for (n,) in con.execute("SELECT name FROM service")] == ["Riverside Sexual Health Clinic"]


def test_a_peers_entry_waits_for_an_admin(app, peer, member, admin, db_path):
    r = add_service(peer)
    assert r.status_code == 303
    sid = service_id(r)
    shown = plain(peer.client.get(f"/services/{sid}"))
    assert "waiting for approval" in shown and "An admin will approve it" in shown  # the flash
    # Members see nothing of it yet, not even by its number.
    assert names(member.client.get("/services")) == []
    assert member.client.get(f"/services/{sid}").status_code == 404
    # A peer can't approve; an admin can, from the review page.
    assert post_button(peer, f"/services/{sid}", f"/services/{sid}/approve").status_code == 403
    review = admin.client.get("/services/review")
    assert "Riverside Sexual Health Clinic" in plain(review)
    r = post_button(admin, "/services/review", f"/services/{sid}/approve", {"next": "review"})
    assert r.status_code == 303 and r.headers["Location"].endswith("/services/review")
    assert names(member.client.get("/services")) == ["Riverside Sexual Health Clinic"]
    assert [a for a, _d in audit_rows(db_path)] == ["service.created", "service.approved"]
    assert audit_rows(db_path)[0][1]["status"] == "pending"
    # Approving twice is a clear 400, not a 500.
    assert post_button(admin, f"/services/{sid}", f"/services/{sid}/approve").status_code == 400


def test_an_admins_entry_is_approved_at_once(admin, member, db_path):
    sid = approved(admin)
    assert member.client.get(f"/services/{sid}").status_code == 200
    assert audit_rows(db_path) == [("service.created", {"service_id": sid, "name": "Riverside Sexual Health Clinic",
                                                        "status": "approved"})]


def test_facilitators_edit_and_every_change_is_audited(app, admin, facilitator, member, db_path):
    sid = approved(admin)
    page = facilitator.client.get(f"/services/{sid}/edit")
    assert page.status_code == 200 and "01632 960123" in page_text(page)
    r = post_button(facilitator, f"/services/{sid}/edit", f"/services/{sid}/edit",
                    service_fields(phone="01632 960999", kinds=["testing"], languages="English"))
    assert r.status_code == 303
    html = page_text(member.client.get(f"/services/{sid}"))
    assert "01632 960999" in html and "Français" not in html
    assert '<span class="tag kind">HIV and STI testing</span>' in html
    assert '<span class="tag kind">PEP and PrEP</span>' not in html
    action, detail = audit_rows(db_path)[-1]
    assert action == "service.updated" and sorted(detail["fields"]) == ["kinds", "languages", "phone"]
    # Saving without a change records nothing.
    post_button(facilitator, f"/services/{sid}/edit", f"/services/{sid}/edit",
                service_fields(phone="01632 960999", kinds=["testing"], languages="English"))
    assert len(audit_rows(db_path)) == 2
    assert member.client.get(f"/services/{sid}/edit").status_code == 403


def test_only_admins_remove_and_removed_entries_disappear(admin, peer, member, db_path):
    sid = approved(admin)
    assert post_button(peer, f"/services/{sid}", f"/services/{sid}/remove").status_code == 403
    assert post_button(member, f"/services/{sid}", f"/services/{sid}/remove").status_code == 403
    assert post_button(admin, f"/services/{sid}", f"/services/{sid}/remove").status_code == 303
    assert names(member.client.get("/services")) == []
    assert member.client.get(f"/services/{sid}").status_code == 404
    assert peer.client.get(f"/services/{sid}").status_code == 404
    assert peer.client.get(f"/services/{sid}/edit").status_code == 404
    assert "Restore" in plain(admin.client.get("/services/review"))
    assert post_button(admin, f"/services/{sid}", f"/services/{sid}/restore").status_code == 303
    assert names(member.client.get("/services")) == ["Riverside Sexual Health Clinic"]
    assert [a for a, _d in audit_rows(db_path)] == ["service.created", "service.removed", "service.restored"]


def test_action_buttons_need_their_csrf_token(admin):
    sid = approved(admin)
    r = admin.client.post(f"/services/{sid}/remove", data={})
    assert r.status_code == 400 and "expired" in page_text(r)
    assert admin.client.post(f"/services/{sid}/frobnicate", data={}).status_code in (404, 405)


# ---------------------------------------------------------------- "last checked"

def test_entries_not_checked_for_a_year_are_marked_until_someone_checks(admin, peer, member, db_path):
    old = (date.today() - timedelta(days=400)).isoformat()
    sid = approved(admin, last_checked=old)
    fresh = approved(admin, name="Valley Counselling", kinds=["counselling"])
    r = member.client.get("/services")
    html = r.get_data(as_text=True)
    stale_block = html[html.index(f'id="s{sid}"'):]
    stale_block = stale_block[:stale_block.index("</article>")]
    fresh_block = html[html.index(f'id="s{fresh}"'):]
    fresh_block = fresh_block[:fresh_block.index("</article>")]
    assert "not checked for over a year" in stale_block and "not checked for over a year" not in fresh_block
    assert post_button(peer, f"/services/{sid}", f"/services/{sid}/checked").status_code == 303
    assert "not checked for over a year" not in plain(member.client.get(f"/services/{sid}"))
    assert date.today().isoformat() in plain(member.client.get(f"/services/{sid}"))
    assert audit_rows(db_path)[-1][0] == "service.checked"


# ---------------------------------------------------------------- browsing: filters and search

@pytest.fixture
def listing(admin):
    approved(admin)  # testing + prevention, North, English/Français
    approved(admin, name="Harbour Housing Advice", kinds=["housing", "benefits_legal"], region="South",
             languages="English, Português", description="Help with rent, benefits and tenancy problems.",
             area="The harbour district")
    approved(admin, name="Night Line (example)", kinds=["crisis"], region="", languages="English",
             description="Someone to talk to, all night.", url="", phone="01632 960555", area="Online, everywhere")
    return admin


@pytest.mark.parametrize("query, expected", [
    ("", ["Harbour Housing Advice", "Night Line (example)", "Riverside Sexual Health Clinic"]),
    ("?kind=housing", ["Harbour Housing Advice"]),
    ("?kind=prevention", ["Riverside Sexual Health Clinic"]),
    ("?kind=advocacy", []),
    ("?region=South", ["Harbour Housing Advice"]),
    ("?language=portugu%C3%AAs", ["Harbour Housing Advice"]),
    ("?language=English&kind=crisis", ["Night Line (example)"]),
    ("?q=RENT", ["Harbour Housing Advice"]),
    ("?q=harbour+district", ["Harbour Housing Advice"]),
    ("?q=valley", ["Riverside Sexual Health Clinic"]),
    ("?q=north", ["Riverside Sexual Health Clinic"]),
    ("?q=100%25", []),
    ("?q=_", []),
    ("?q=clinic&region=South", []),
])
def test_filters_are_plain_links(listing, client, query, expected):
    r = client.get("/services" + query)
    assert r.status_code == 200
    assert names(r) == expected


def test_the_filter_form_offers_what_is_in_the_directory(listing, client):
    html = page_text(client.get("/services?kind=housing"))
    assert '<option value="housing" selected>Housing</option>' in html
    assert '<option value="South">South</option>' in html and '<option value="North">North</option>' in html
    assert '<option value="Português">Português</option>' in html
    assert 'method="get"' in html and "csrf_token" not in html


@pytest.mark.parametrize("query, message", [
    ("?kind=teleportation", "no such kind of service"),
    ("?q=" + "a" * 101, "too long"),
    ("?offset=many", "should be a number"),
    ("?offset=-5", "out of range"),
])
def test_bad_filters_get_a_clear_400(client, query, message):
    r = client.get("/services" + query)
    assert r.status_code == 400 and message in page_text(r)


def test_pages_of_results(app, admin, client):
    from app.services import directory

    from app.extensions import db
    from app.models import Service, ServiceKind

    with app.app_context():
        for i in range(directory.PAGE_SIZE + 3):
            db.session.add(Service(name=f"Clinic {i:03d}", status="approved", phone="01632 960000",
                                   kind_rows=[ServiceKind(kind="testing")]))
        db.session.commit()
    first = client.get("/services?kind=testing")
    assert len(names(first)) == directory.PAGE_SIZE
    more = re.search(r'href="(/services\?[^"]*offset=50[^"]*)"', first.get_data(as_text=True)).group(1)
    second = client.get(more.replace("&amp;", "&"))
    assert names(second) == ["Clinic 050", "Clinic 051", "Clinic 052"]


# ---------------------------------------------------------------- validation and escaping

@pytest.mark.parametrize("overrides, field_message", [
    ({"url": "javascript:alert(1)"}, "starting with https://"),
    ({"url": "data:text/html,<b>x</b>"}, "starting with https://"),
    ({"url": "https://user:pw@example.org/"}, "starting with https://"),
    ({"url": "example.org"}, "starting with https://"),
    ({"phone": "call Sam on 07700"}, "A phone number can only use"),
    ({"phone": "+"}, "A phone number can only use"),
    ({"kinds": []}, "at least one thing"),
    ({"kinds": ["testing", "wizardry"]}, "from the list"),
    ({"name": "x"}, "at least 2 characters"),
    ({"name": "a" * 121}, "at most 120"),
    ({"languages": "English, <script>"}, "as a word"),
    ({"last_checked": "31/12/2025"}, "like 2026-03-31"),
    ({"last_checked": (date.today() + timedelta(days=30)).isoformat()}, "can't be in the future"),
    ({"phone": "", "url": "", "address": ""}, "at least one way to reach"),
    ({"hours": "9-5\nor later"}, "control characters"),
    ({"region": "r" * 65}, "at most 64"),
])
def test_every_field_is_checked(admin, db_path, overrides, field_message):
    r = add_service(admin, **overrides)
    assert r.status_code == 400
    assert field_message in page_text(r)
    with connect(db_path) as con:
        assert con.execute("SELECT count(*) FROM service").fetchone()[0] == 0


def test_hostile_text_comes_out_inert(admin, member):
    sid = approved(admin, name='<script>alert("x")</script> Clinic', description='"><img src=x onerror=alert(1)>',
                   hours="‮24/7", region="<b>North</b>")
    for page in (f"/services/{sid}", "/services"):
        html = member.client.get(page).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html and "<b>North</b>" not in html
        assert "&lt;script&gt;" in html


def test_web_addresses_are_plain_links_that_leak_nothing(admin, member):
    sid = approved(admin)
    html = member.client.get(f"/services/{sid}").get_data(as_text=True)
    assert ('<a href="https://riverside.example.org/clinic" rel="noopener noreferrer nofollow">'
            "https://riverside.example.org/clinic</a>") in html
    assert 'href="tel:01632960123"' in html


# ---------------------------------------------------------------- the support panel

def panel(html: str) -> str:
    m = re.search(r'<section class="card support-panel" aria-labelledby="support-h".*?</section>', html, re.S)
    return m.group(0) if m else ""


def test_support_panel_lists_crisis_lines_then_the_kinds_the_admin_picks(app, categories, admin, member, db_path):
    approved(admin, name="Valley Counselling", kinds=["counselling"])
    approved(admin, name="Harbour Housing Advice", kinds=["housing"])
    approved(admin, name="Night Line (example)", kinds=["crisis"])
    r = start_thread(member, "wellbeing", "Rough week", "I feel so hopeless and alone lately, nothing helps.")
    text = panel(page_text(member.client.get(r.headers["Location"])))
    # Default kinds: crisis lines and counselling. Crisis lines (support resources) come first.
    assert text.index("Example crisis line") < text.index("Night Line (example)") < text.index("Valley Counselling")
    assert "Harbour Housing Advice" not in text

    page = admin.client.get("/admin/resources")
    assert 'name="kinds" value="counselling" checked' in page_text(page)
    assert post_button(member, "/account", "/admin/resources/panel-kinds", {"kinds": ["housing"]}).status_code == 403
    r2 = post_button(admin, "/admin/resources", "/admin/resources/panel-kinds", {"kinds": ["housing"]})
    assert r2.status_code == 302
    assert post_button(admin, "/admin/resources", "/admin/resources/panel-kinds",
                       {"kinds": ["nonsense"]}).status_code == 400
    r = start_thread(member, "wellbeing", "Still rough", "I feel so hopeless and alone, nothing helps at all.")
    text = panel(page_text(member.client.get(r.headers["Location"])))
    assert "Harbour Housing Advice" in text and "Valley Counselling" not in text
    assert text.index("Example crisis line") < text.index("Harbour Housing Advice")
    assert audit_rows(db_path, "settings.") == [("settings.support_panel_kinds", {"kinds": ["housing"]})]


def test_the_room_support_box_and_the_ended_talk_page_list_the_same_services(app, categories, admin, member):
    """A flagged chat line opens the room's support box (client side, from the page): it holds the
    crisis lines and then the directory's panel kinds, like the panel after a flagged post."""
    from tests.test_chat import make_room

    approved(admin, name="Valley Counselling", kinds=["counselling"])
    approved(admin, name="Harbour Housing Advice", kinds=["housing"])
    room = make_room(app)
    html = page_text(member.client.get(f"/rooms/{room}"))
    box = re.search(r'<div class="support-panel card" id="chat-support".*?</div>', html, re.S).group(0)
    assert box.index("Example crisis line") < box.index("Valley Counselling")
    assert "Harbour Housing Advice" not in box
    assert "More services in the directory" in box

    r = post_button(member, "/support/talk", "/support/talk")
    status_url = r.headers["Location"]
    req_id = int(status_url.rstrip("/").rsplit("/", 1)[1])
    assert "Valley Counselling" not in page_text(member.client.get(status_url))  # still waiting
    post_button(member, status_url, f"/support/talk/{req_id}/end")
    ended = page_text(member.client.get(status_url))
    assert "This conversation has ended" in ended
    assert ended.index("Example crisis line") < ended.index("Valley Counselling")


# ---------------------------------------------------------------- demo data

def test_demo_entries_are_marked_and_use_no_real_numbers(app, runner, client, db_path):
    result = runner.invoke(args=["kindred", "seed-demo"])
    assert result.exit_code == 0, result.output
    r = client.get("/services")
    html = page_text(r)
    assert len(names(r)) == 5 and all("(example)" in n for n in names(r))
    assert html.count('<span class="tag">example entry</span>') == 5
    with connect(db_path) as con:
        rows = con.execute("SELECT phone, url, is_example, status FROM service").fetchall()
    for phone, url, is_example, status in rows:
        assert is_example == 1 and status == "approved"
        # Ofcom's drama range only; example.org addresses only.
        assert phone == "" or re.fullmatch(r"01632 960\d{3}", phone)
        assert url is None or re.fullmatch(r"https://[a-z-]+\.example\.org/", url)
    # Seeding again adds nothing.
    assert runner.invoke(args=["kindred", "seed-demo"]).exit_code == 0
    with connect(db_path) as con:
        assert con.execute("SELECT count(*) FROM service").fetchone()[0] == 5
