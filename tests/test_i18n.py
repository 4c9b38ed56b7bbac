"""Languages: every page in every shipped language, the language picker, dates and numbers per
language, and "language not assessed" for posts the English-only detector can't read.

The untranslated-string check uses a pseudo-language made inside the test session (never
shipped): a catalog where every translation is its English message id wrapped in ⟦…⟧. Every
route in app.url_map is visited as a visitor, a member, a peer supporter, a facilitator and an
admin; any visible text (or title, placeholder, aria-label, confirmation text, script string)
outside the markers that isn't people's own content (pseudonyms, titles, posts, names the
admins gave things, audit event names, the English-only detector's reasons) is a string that
doesn't go through gettext.
"""

from __future__ import annotations

from html import unescape
import json
import re

from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from app import i18n
from tests.db import connect
from tests.conftest import PASSPHRASE, csrf_token, grant, page_text
from tests.forum_helpers import post_button, reply, start_thread, thread_id

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "app" / "translations"
PSEUDO = "en_001"  # a locale Babel knows (English dates), used only as the pseudo-language here
OPEN, CLOSE = "⟦", "⟧"

FRENCH_POST = ("Je me sens très seul depuis le diagnostic et je ne sais plus quoi faire, "
               "est-ce que quelqu'un a vécu ça ?")


# ---------------------------------------------------------------- the pseudo-language

@pytest.fixture(scope="session")
def pseudo_dir(tmp_path_factory) -> Path:
    """messages.pot compiled as a catalog whose every translation is ⟦msgid⟧."""
    with open(TRANSLATIONS / "messages.pot", "rb") as f:
        template = read_po(f)
    catalog = Catalog(locale=PSEUDO, domain="messages")
    for message in template:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            string = tuple(OPEN + part + CLOSE for part in message.id)
        else:
            string = OPEN + message.id + CLOSE
        catalog.add(message.id, string, flags=message.flags)
    out = tmp_path_factory.mktemp("pseudo") / PSEUDO / "LC_MESSAGES"
    out.mkdir(parents=True)
    with open(out / "messages.mo", "wb") as f:
        write_mo(f, catalog)
    return out.parent.parent


@pytest.fixture
def pseudo_app(make_app, pseudo_dir, monkeypatch):
    monkeypatch.setitem(i18n.LANGUAGES, PSEUDO, "Pseudo")
    return make_app(BABEL_TRANSLATION_DIRECTORIES=f"{TRANSLATIONS};{pseudo_dir}")


class _Text(HTMLParser):
    """Visible text nodes and the human-facing attributes of a page."""

    ATTRIBUTES = ("title", "placeholder", "aria-label", "alt", "data-confirm")
    SKIP = {"style", "time", "code", "pre", "textarea"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.stack: list[str] = []
        self.script: list[str] | None = None
        self.skipping = 0
        self.json_blocks: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in self.ATTRIBUTES:
            if attrs.get(name):
                self.texts.append(attrs[name])
        if attrs.get("data-i18n"):  # the words page scripts show (app/web/js_i18n.py)
            self.json_blocks.append(attrs["data-i18n"])
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.texts.append(attrs["value"])
        if tag == "script":
            self.script = [] if attrs.get("type") == "application/json" else None
            self.skipping += 1
        elif tag in self.SKIP:
            self.skipping += 1
        if tag not in ("br", "input", "meta", "link", "img", "hr"):
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag == "script":
            if self.script is not None:
                self.json_blocks.append("".join(self.script))
            self.script = None
            self.skipping -= 1
        elif tag in self.SKIP:
            self.skipping -= 1
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()

    def handle_data(self, data):
        if self.script is not None:
            self.script.append(data)
        elif not self.skipping and data.strip():
            self.texts.append(data)


def _strip_marked(text: str) -> str:
    """Remove every ⟦…⟧ (innermost first: markers nest when a translation holds another)."""
    previous = None
    while previous != text:
        previous = text
        text = re.sub(re.escape(OPEN) + "[^" + OPEN + CLOSE + "]*" + re.escape(CLOSE), " ", text)
    return text


def _people_content(db_path: Path) -> list[str]:
    """What people wrote or named (shown as written, in whatever language they wrote it)."""
    queries = [
        "SELECT pseudonym FROM member", "SELECT name FROM category", "SELECT description FROM category",
        "SELECT title FROM thread", "SELECT body_md FROM post", "SELECT content_warning FROM post",
        "SELECT name FROM room", "SELECT description FROM room", "SELECT ground_rules FROM room",
        "SELECT name FROM support_resource", "SELECT description FROM support_resource",
        "SELECT contact FROM support_resource", "SELECT hours FROM support_resource",
        "SELECT url FROM support_resource", "SELECT excerpt FROM flag", "SELECT report_note FROM flag",
        "SELECT body FROM flag_note", "SELECT action FROM audit_entry", "SELECT detail FROM audit_entry",
        "SELECT reasons FROM flag", "SELECT coping FROM safety_plan", "SELECT value FROM site_setting",
        # Services directory entries: what the organisations are called and say about themselves.
        "SELECT name FROM service", "SELECT description FROM service", "SELECT phone FROM service",
        "SELECT url FROM service", "SELECT address FROM service", "SELECT hours FROM service",
        "SELECT area FROM service", "SELECT region FROM service", "SELECT cost FROM service",
        "SELECT name FROM service_language", "SELECT service_card FROM post", "SELECT card FROM chat_message",
    ]
    found: set[str] = set()
    with connect(db_path) as con:
        for q in queries:
            try:
                rows = con.execute(q).fetchall()
            except Exception:  # a table this build does not have
                continue
            for (value,) in rows:
                if not value:
                    continue
                value = str(value)
                if value.startswith(("[", "{")):
                    try:
                        parsed = json.loads(value)
                    except ValueError:
                        parsed = None
                    if isinstance(parsed, list):
                        found.update(str(v) for v in parsed)
                        continue
                    if isinstance(parsed, dict):
                        found.update(str(k) for k in parsed)
                        found.update(str(v) for v in parsed.values())
                        continue
                found.add(value)
                found.update(line.strip() for line in value.splitlines() if line.strip())
                found.update(re.findall(r"[^\W_]+", value))
    return sorted(found, key=len, reverse=True)


# Words that are the same in every language here: the brand, the time zone, file formats.
# Language names are written in their own language in the picker.
_ALLOWED = re.compile(r"\b(?:Kindred|UTC|JSON|Markdown|Stanley-Brown|Esc|English|Français|Pseudo)\b")


def untranslated(html: str, people: list[str]) -> list[str]:
    parser = _Text()
    parser.feed(html)
    # Text nodes joined with a separator markers may span (a translation can hold <kbd>, <a>...).
    texts = ["\x00".join(parser.texts)]
    for block in parser.json_blocks:
        data = json.loads(block)
        system = data.pop("system", {}) if isinstance(data, dict) else {}
        texts.extend(str(v) for v in data.values())
        texts.extend(str(v) for v in system.values())
    values = [re.escape(v) for v in people if len(v) >= 2]
    people_re = re.compile(r"(?<!\w)(?:" + "|".join(values) + r")(?!\w)") if values else None
    bad = []
    for text in texts:
        for piece in _strip_marked(text).split("\x00"):
            rest = _ALLOWED.sub(" ", piece)
            if people_re is not None:
                rest = people_re.sub(" ", rest)
            if re.search(r"[^\W\d_]{2,}", rest):
                bad.append(" ".join(piece.split()))
    return bad


# ---------------------------------------------------------------- a site with one of everything

@pytest.fixture
def busy_site(pseudo_app, db_path):
    """Members of every role, and something on every kind of page."""
    from tests.conftest import Member

    app = pseudo_app
    from app.services import demo

    with app.app_context():
        demo.seed_categories()
        demo.seed_directory()

    def member(name, role=None):
        m = Member(app.test_client(), name, PASSPHRASE)
        m.register()
        if role:
            grant(app, m, role)
        return m

    people = {"member": member("willow"), "peer": member("kind-peer", "peer"),
              "facilitator": member("group-facilitator", "facilitator"), "admin": member("river-admin", "admin")}
    writer, peer, admin = people["member"], people["peer"], people["admin"]
    r = start_thread(writer, "treatment", "Switching regimens", "Has anyone switched recently?")
    tid = thread_id(r)
    reply(peer, tid, "Yes, last year. It went fine.", anonymous=True)
    reply(writer, tid, "I want to end my life tonight, I can't go on.", content_warning="suicide")
    reply(writer, tid, FRENCH_POST)
    reply(writer, tid, "I am going to hurt him when I see him, he deserves it.")
    post_button(writer, f"/t/{tid}", f"/t/{tid}/follow", {"follow": "1"})
    with connect(db_path) as con:
        first_post = con.execute("SELECT id FROM post ORDER BY id LIMIT 1").fetchone()[0]
        anon_post = con.execute("SELECT id FROM post WHERE alias_number IS NOT NULL").fetchone()[0]
    writer.post_form(f"/p/{anon_post}/report", f"/p/{anon_post}/report", {"reason": "harassment", "note": "rude"})
    post_button(writer, f"/t/{tid}", f"/p/{anon_post}/bookmark")
    # An edit (history), a moderation (notification), a group request.
    page = writer.client.get(f"/p/{first_post}/edit").get_data(as_text=True)
    writer.client.post(f"/p/{first_post}/edit", data={"csrf_token": csrf_token(page), "body": "Has anyone switched?",
                                                      "content_warning": "", "send": "1",
                                                      "submission_key": "k"})
    peer.post_form(f"/t/{tid}", f"/t/{tid}/moderate", {"action": "pin", "reason": "Useful thread"})
    with connect(db_path) as con:
        group = con.execute("SELECT slug FROM category WHERE is_group").fetchone()[0]
    post_button(writer, f"/c/{group}", f"/c/{group}/join")
    # Rooms: a standing room, a session, a peer request.
    from app.extensions import db
    from app.models import Room, RoomFacilitator
    from app.models.base import utcnow
    from app.services import accounts
    from datetime import timedelta

    with app.app_context():
        db.session.add(Room(kind="standing", name="Drop-in room", description="Say hello"))
        start = utcnow() + timedelta(hours=2)
        s = Room(kind="session", name="Evening circle", description="A group", ground_rules="Be kind.",
                 starts_at=start, ends_at=start + timedelta(hours=1), capacity=12)
        db.session.add(s)
        db.session.flush()
        db.session.add(RoomFacilitator(room_id=s.id, member_id=accounts.find_by_pseudonym("group-facilitator").id))
        db.session.commit()
    post_button(writer, "/support/talk", "/support/talk")
    writer.post_form("/safety-plan", "/safety-plan", {"coping": "Walk by the river"})
    for m in people.values():
        m.client.get("/privacy")  # shows (and so clears) the English flash messages of the set-up
    return app, people, db_path


def _fill(rule, values: dict) -> str | None:
    try:
        return rule.build({name: values[name] for name in rule.arguments})[1] if rule.arguments else rule.rule
    except KeyError:
        return None


def _route_values(db_path: Path) -> dict:
    with connect(db_path) as con:
        one = lambda q: con.execute(q).fetchone()[0]  # noqa: E731
        return {
            "thread_id": one("SELECT id FROM thread"), "post_id": one("SELECT min(id) FROM post"),
            "slug": one("SELECT slug FROM category WHERE is_group"),
            "category_id": one("SELECT id FROM category"), "flag_id": one("SELECT max(id) FROM flag"),
            "room_id": one("SELECT id FROM room WHERE kind = 'session'"),
            "request_id": one("SELECT id FROM peer_request"), "member_id": one("SELECT id FROM member"),
            "resource_id": one("SELECT id FROM support_resource"), "action": "hide", "role": "peer",
            "service_id": one("SELECT min(id) FROM service"),
        }


def _get_pages(app, db_path) -> list[str]:
    values = _route_values(db_path)
    pages, missing = [], []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static" or rule.rule.startswith("/socket.io"):
            continue
        url = _fill(rule, values)
        if url is None:
            missing.append(rule.rule)
        else:
            pages.append(url)
    assert not missing, f"give these routes' parameters a value in _route_values: {missing}"
    post_id = values["post_id"]
    pages += [f"/p/{post_id}/worried", "/search?q=switched", "/login?ended=1", "/no-such-page",
              "/queue?state=all", f"/p/{post_id}/moderate?action=release", "/c/treatment", "/c/treatment/new",
              f"/p/{post_id}/moderate?action=delete", f"/support/talk/{values['request_id']}/outcome"]
    return pages


def test_every_page_is_translated_for_every_role(busy_site):
    app, people, db_path = busy_site
    content = _people_content(db_path)
    visitor = app.test_client()
    clients = {"visitor": visitor, **{role: m.client for role, m in people.items()}}
    pages = _get_pages(app, db_path)
    problems, seen = [], 0
    for role, client in clients.items():
        for url in pages:
            r = client.get(url, headers={"Accept-Language": PSEUDO.replace("_", "-")})
            if r.status_code in (301, 302, 303) or "text/html" not in r.content_type:
                continue
            seen += 1
            assert r.status_code < 500, f"{role} {url}: {r.status_code}"
            html = r.get_data(as_text=True)
            assert '<html lang="en-001">' in html, url
            problems += [f"{role} {url}: {text}" for text in untranslated(html, content)]
    assert seen > 100
    assert not sorted(set(problems)), "\n".join(sorted(set(problems)))


def test_untranslated_check_catches_plain_english():
    assert untranslated("<p>Hello there</p>", []) == ["Hello there"]
    assert untranslated("<p>⟦Hello there⟧ <time>3 Jan</time> 12</p>", []) == []
    assert untranslated('<button title="Close it">⟦x⟧</button>', []) == ["Close it"]
    assert untranslated("<p>⟦By %(name)s⟧ willow</p>".replace("%(name)s", "willow"), ["willow"]) == []


# ---------------------------------------------------------------- the shipped catalogs

def _catalog(lang: str):
    with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f)


_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%")


@pytest.mark.parametrize("lang", [code for code in i18n.LANGUAGES if code != "en"])
def test_catalog_is_complete_and_placeholders_match(lang):
    with open(TRANSLATIONS / "messages.pot", "rb") as f:
        template = {m.id for m in read_po(f) if m.id}
    catalog = _catalog(lang)
    ids = {m.id for m in catalog if m.id}
    assert template <= ids, f"missing from {lang}: {sorted(map(str, template - ids))[:10]} (make extract-messages)"
    for m in catalog:
        if not m.id:
            continue
        assert "fuzzy" not in m.flags, m.id
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        ids_ = m.id if isinstance(m.id, tuple) else (m.id,)
        assert all(s.strip() for s in strings), f"empty translation for {m.id!r}"
        wanted = set(_PLACEHOLDER.findall(" ".join(ids_)))
        for s in strings:
            assert set(_PLACEHOLDER.findall(s)) == wanted or (
                isinstance(m.id, tuple) and set(_PLACEHOLDER.findall(s)) <= wanted), (m.id, s)
            assert s.count("<") == ids_[0].count("<"), f"markup differs: {m.id!r} -> {s!r}"


def test_pages_render_in_french(app, client, member):
    r = client.get("/", headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"})
    html = page_text(r)
    assert '<html lang="fr">' in html
    assert "Forums" in html and "Se connecter" in html and "Sortie rapide" in html
    assert "Set-Cookie" not in r.headers  # a visitor's language costs no cookie
    page = page_text(member.client.get("/account", headers={"Accept-Language": "fr"}))
    assert "Votre compte" in page and "Langue" in page


# ---------------------------------------------------------------- the language picker

def _choose(member, language: str):
    return member.post_form("/account", "/account/settings", {"settings-language": language}, prefix="settings")


def test_member_picks_french_and_pages_follow(app, member, db_path):
    r = _choose(member, "fr")
    assert r.status_code == 302
    page = page_text(member.client.get("/account", headers={"Accept-Language": "en"}))
    assert '<html lang="fr">' in page and "Paramètres enregistrés." in page
    assert re.search(r'<option selected value="fr">Français</option>', page)
    assert "Se déconnecter" in page_text(member.client.get("/"))
    with connect(db_path) as con:
        assert con.execute("SELECT language FROM member WHERE pseudonym = 'willow'").fetchone() == ("fr",)
    export = member.post_form("/account", "/account/export", {}, prefix="export")
    assert json.loads(export.get_data(as_text=True))["account"]["language"] == "fr"
    # Back to "as my browser says".
    assert _choose(member, "").status_code == 302
    assert '<html lang="en">' in page_text(member.client.get("/", headers={"Accept-Language": "en"}))


def test_anonymous_visitor_gets_accept_language_only(client):
    assert '<html lang="fr">' in page_text(client.get("/login", headers={"Accept-Language": "fr-CA, en;q=0.5"}))
    assert "<h1>Se connecter</h1>" in page_text(client.get("/login", headers={"Accept-Language": "fr"}))
    assert '<html lang="en">' in page_text(client.get("/login", headers={"Accept-Language": "tlh, de;q=0.8"}))
    assert '<html lang="en">' in page_text(client.get("/login"))
    assert '<html lang="fr">' in page_text(client.get("/login", headers={"Accept-Language": "de;q=0.9, fr-BE;q=0.8, en;q=0.7"}))
    assert '<html lang="en">' in page_text(client.get("/login", headers={"Accept-Language": "en-GB, fr;q=0.5"}))


@pytest.mark.parametrize("value", ["xx", "en_001", "fr<script>", "e" * 300])
def test_unknown_language_is_refused_with_a_clear_message(member, db_path, value):
    r = _choose(member, value)
    assert r.status_code == 400
    assert "Please choose one of the languages offered." in page_text(r)
    with connect(db_path) as con:
        assert con.execute("SELECT language FROM member WHERE pseudonym = 'willow'").fetchone() == (None,)


# ---------------------------------------------------------------- dates and numbers

def test_dates_and_numbers_follow_the_language(app):
    from datetime import datetime

    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert i18n.when_text(datetime(2026, 3, 4, 18, 5)) == "Mar 4, 2026, 18:05 UTC"
        assert i18n.number(12345) == "12,345"
        assert str(i18n.when(datetime(2026, 3, 4, 18, 5))).startswith('<time datetime="2026-03-04T18:05:00Z">')
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        assert i18n.when_text(datetime(2026, 3, 4, 18, 5)) == "4 mars 2026, 18:05 UTC"
        assert i18n.number(12345).replace("\u202f", " ").replace("\xa0", " ") == "12 345"


def test_thread_dates_in_french(member, categories):
    _choose(member, "fr")
    tid = thread_id(start_thread(member, "treatment", "Un fil", "Bonjour à toutes et à tous"))
    html = page_text(member.client.get(f"/t/{tid}"))
    assert re.search(r"<time datetime=\"[0-9T:-]+Z\">\d{1,2} \w+\.? \d{4}, \d\d:\d\d UTC</time>", html)
    assert "1 message" in html


# ---------------------------------------------------------------- language not assessed

def test_post_in_another_language_is_marked_not_assessed_never_nothing_of_concern(
        app, member, peer, categories, db_path):
    tid = thread_id(start_thread(member, "treatment", "Depuis le diagnostic", FRENCH_POST))
    with connect(db_path) as con:
        assert con.execute("SELECT language_not_assessed FROM post").fetchone() == (1,)
        assert con.execute("SELECT kind, level, language_not_assessed, state FROM flag").fetchall() == [
            ("unassessed", 0, 1, "open")]
        flag_id = con.execute("SELECT id FROM flag").fetchone()[0]
    # The writer is told the check reads English only, and can ask for support.
    page = page_text(member.client.get(f"/t/{tid}"))
    assert "reads English only" in page and 'href="/support"' in page
    support = page_text(member.client.get("/support"))
    assert "You're not on your own" in support and "Talk to a peer supporter now" in support
    # Peers see it in the queue, at the lowest priority, marked "language not assessed".
    queue = page_text(peer.client.get("/queue"))
    assert "language not assessed" in queue and "Level 0" in queue
    item = page_text(peer.client.get(f"/queue/{flag_id}"))
    assert "Language not assessed." in item and "nothing of concern" not in item.casefold()
    assert "language not assessed" in page_text(peer.client.get(f"/t/{tid}"))
    # Other members never see the mark.
    assert "language not assessed" not in page_text(member.client.get(f"/t/{tid}"))
    # A second post in the thread by the same writer has its own item; an edit reuses the open one.
    reply(member, tid, "Merci pour vos réponses, je me sens un peu mieux aujourd'hui.")
    with connect(db_path) as con:
        assert con.execute("SELECT count(*) FROM flag WHERE kind = 'unassessed'").fetchone() == (2,)


def test_english_and_short_posts_are_assessed_as_before(app, member, categories, db_path):
    start_thread(member, "treatment", "Hello", "Thanks everyone, my viral load is undetectable now!")
    reply(member, 1, "merci !")
    with connect(db_path) as con:
        assert con.execute("SELECT language_not_assessed FROM post").fetchall() == [(0,), (0,)]
        assert con.execute("SELECT count(*) FROM flag").fetchone() == (0,)


def test_language_heuristic():
    from moderation.language import looks_english

    assert looks_english("I feel so alone and I don't know what to do anymore")
    assert not looks_english(FRENCH_POST)
    assert not looks_english("Estou cansada de tomar os remédios todos os dias")
    assert not looks_english("Мне очень плохо сегодня, не знаю что делать")
    assert not looks_english("Nimechoka sana na sijui nifanye nini")
    for unclear in ["ok", "merci", "🙂" * 20, "https://example.org/fr/page", "PrEP TasP U=U CD4 ART", ""]:
        assert looks_english(unclear), unclear


def test_chat_system_lines_carry_their_message_id(app):
    from app.services import chat

    with app.test_request_context(headers={"Accept-Language": "fr"}):
        text = i18n.stored("The facilitator muted %(name)s for %(num)s minutes.", name="Anonymous 2", num=10)
        assert text == "The facilitator muted Anonymous 2 for 10 minutes."
        assert i18n.parse_stored(text) == ("The facilitator muted %(name)s for %(num)s minutes.",
                                           {"name": "Anonymous 2", "num": "10"})
        assert "Anonymous 2" in i18n.translate_stored(text) and "10" in i18n.translate_stored(text)
        assert i18n.translate_stored(text) != text
        assert i18n.translate_stored("Something a member wrote") == "Something a member wrote"
        assert "The facilitator opened the session. Welcome." in i18n.stored_catalog("chat")
        assert chat.PRIVATE_ROOM_NAME not in i18n.stored_catalog("chat")  # a room name, not a line
        assert i18n.translate_stored(chat.PRIVATE_ROOM_NAME) == "Conversation privée avec un pair-aidant"


# ---------------------------------------------------------------- anonymous aliases in chat

def test_chat_aliases_read_in_each_language_and_facilitators_can_use_either(app, member, facilitator,
                                                                             db_path):
    """An anonymous member is "Anonymous 1" on the wire and in the database; a French page script
    gets "Anonyme %(num)s" to show, and a facilitator reading in French can name "Anonyme 1"."""
    from tests.test_chat import NS, _opened, accept, join, lines, make_room, sock

    room = make_room(app, facilitator_name="group-facilitator", kind="session", name="Sharing circle",
                     ground_rules="Be kind.")
    accept(member, room, anonymous=True)
    assert _choose(facilitator, "fr").status_code == 302
    page = facilitator.client.get(f"/rooms/{room}").get_data(as_text=True)
    strings = json.loads(unescape(re.search(r'id="chat" [^>]*data-i18n="([^"]*)"', page).group(1)))
    assert strings["anonymous_n"] == "Anonyme %(num)s"
    f = _opened(app, facilitator, room)
    m = sock(app, member)
    assert join(m, room)["you"] == "Anonymous 1"
    ack = f.emit("member:mute", {"room": room, "member": "Anonyme 1", "minutes": 5, "reason": "Pause"},
                 namespace=NS, callback=True)
    assert ack == {"ok": True}
    assert "The facilitator muted Anonymous 1 for 5 minutes." in [x["body"] for x in lines(f) if x["kind"] == "system"]
    with connect(db_path) as con:
        assert con.execute("SELECT muted_until IS NOT NULL FROM room_participant WHERE alias_number = 1").fetchone() == (1,)
    refused = f.emit("member:mute", {"room": room, "member": "Anonyme 9", "minutes": 5, "reason": "Pause"},
                     namespace=NS, callback=True)
    assert refused["ok"] is False


@pytest.mark.parametrize("name", ["Anonyme 3", "anonyme", "ANONYME_12", "Anonymous7"])
def test_nobody_can_take_an_alias_in_any_shipped_language(client, name):
    from tests.test_register import post_register

    r = post_register(client, name)
    assert r.status_code == 400
    assert "kept for the site" in page_text(r)
