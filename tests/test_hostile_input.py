"""Hostile input on every form: refused with a clear 4xx or accepted exactly, never a 500,
never reflected unescaped, never stored half-way. Payloads are read in place from
../shared/adversarial/ (XSS payloads and the Big List of Naughty Strings)."""

from __future__ import annotations


from tests.db import connect
import pytest

from tests.conftest import PASSPHRASE, SHARED, Member, csrf_token, page_text


def _lines(name: str) -> list[str]:
    path = SHARED / "adversarial" / name
    text = path.read_text(encoding="utf-8")
    # Split on \n only: the strings themselves contain U+2028 and other separators.
    return [line for line in text.split("\n") if line.strip() and not line.startswith("#")]


XSS = _lines("xss.txt")
BLNS = _lines("blns.txt")
ALL = XSS + BLNS


def test_corpus_is_there():
    assert len(XSS) >= 200 and len(BLNS) >= 500


def _not_reflected_raw(body: str, payload: str) -> bool:
    return "<" not in payload or payload not in body


def test_pseudonym_field_on_register(make_app, db_path):
    app = make_app(RATELIMIT_ENABLED=False)
    problems = []
    client = app.test_client()
    token = csrf_token(client.get("/register").get_data(as_text=True))
    for i, payload in enumerate(ALL):
        r = client.post("/register", data={"csrf_token": token, "pseudonym": payload,
                                           "passphrase": PASSPHRASE + " x", "confirm": PASSPHRASE + " x"})
        body = r.get_data(as_text=True)
        if r.status_code == 200:  # accepted: signed in as it; sign out for the next one
            client.post("/logout", data={"csrf_token": csrf_token(body)})
            token = csrf_token(client.get("/register").get_data(as_text=True))
        elif r.status_code != 400:
            problems.append((i, r.status_code))
        if not _not_reflected_raw(body, payload):
            problems.append((i, "reflected"))
    assert problems == []
    with connect(db_path) as con:
        names = [row[0] for row in con.execute("SELECT pseudonym FROM member")]
    for name in names:
        assert "<" not in name and "\x00" not in name


def test_passphrase_field_is_kept_exactly(make_app):
    """Any passphrase that is accepted must sign in again exactly as typed, byte for byte."""
    app = make_app(RATELIMIT_ENABLED=False)
    problems = []
    for i, payload in enumerate(ALL[::3]):
        client = app.test_client()
        m = Member(client, f"pp{i}", payload)
        r = m.post_form("/register", "/register", {"pseudonym": m.pseudonym, "passphrase": payload,
                                                    "confirm": payload})
        if r.status_code == 400:
            continue
        if r.status_code != 200:
            problems.append((i, "register", r.status_code))
            continue
        m.logout()
        if m.login(payload).status_code != 302:
            problems.append((i, "login"))
        m.logout()
        if len(payload) > 1 and m.login(payload[:-1]).status_code != 400:
            problems.append((i, "prefix accepted"))
    assert problems == []


@pytest.mark.parametrize("field", ["pseudonym", "passphrase"])
def test_login_fields(make_app, field):
    app = make_app(RATELIMIT_ENABLED=False)
    client = app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    problems = []
    for i, payload in enumerate(ALL):
        data = {"csrf_token": token, "pseudonym": "someone", "passphrase": "some passphrase"}
        data[field] = payload
        r = client.post("/login", data=data)
        if r.status_code != 400 or not _not_reflected_raw(r.get_data(as_text=True), payload):
            problems.append((i, r.status_code))
    assert problems == []


@pytest.mark.parametrize("field", ["pseudonym", "code", "passphrase"])
def test_recover_fields(make_app, member, field):
    app = make_app(RATELIMIT_ENABLED=False)
    client = app.test_client()
    token = csrf_token(client.get("/recover").get_data(as_text=True))
    problems = []
    for i, payload in enumerate(ALL[::2]):
        data = {"csrf_token": token, "pseudonym": "willow", "code": "aaaa-bbbb-cccc",
                "passphrase": "new passphrase here", "confirm": "new passphrase here"}
        data[field] = payload
        if field == "passphrase":
            data["confirm"] = payload
        r = client.post("/recover", data=data)
        if r.status_code != 400 or not _not_reflected_raw(r.get_data(as_text=True), payload):
            problems.append((i, r.status_code))
    assert problems == []
    assert member.is_signed_in()  # nothing happened to the real account


def test_account_forms(member):
    page = member.client.get("/account").get_data(as_text=True)
    forms = {
        "/account/passphrase": ("pw", ["pw-current", "pw-new", "pw-confirm"]),
        "/account/recovery-codes": ("codes", ["codes-current"]),
        "/account/settings": ("settings", ["settings-discreet_mode"]),
        "/account/delete": ("delete", ["delete-content", "delete-passphrase", "delete-confirm"]),
    }
    problems = []
    for action, (prefix, fields) in forms.items():
        token = csrf_token(page, prefix)
        for i, payload in enumerate(XSS[::2] + BLNS[::6]):
            for f in fields:
                data = {f"{prefix}-csrf_token": token, f: payload}
                r = member.client.post(action, data=data)
                if r.status_code >= 500 or not _not_reflected_raw(r.get_data(as_text=True), payload):
                    problems.append((action, f, i, r.status_code))
    assert problems == []
    assert member.is_signed_in()
    member.logout()
    assert member.login().status_code == 302  # the passphrase never changed


def test_admin_search_and_settings(admin):
    problems = []
    for i, payload in enumerate(ALL[::2]):
        r = admin.client.get("/admin/members", query_string={"q": payload})
        if r.status_code not in (200, 400) or not _not_reflected_raw(r.get_data(as_text=True), payload):
            problems.append(("search", i, r.status_code))
        r = admin.client.get("/admin/audit", query_string={"action": payload, "before": payload})
        if r.status_code not in (200, 400):
            problems.append(("audit", i, r.status_code))
    token = csrf_token(admin.client.get("/admin/settings").get_data(as_text=True))
    for i, payload in enumerate(XSS):
        r = admin.client.post("/admin/settings", data={"csrf_token": token, "quick_exit_url": payload})
        body = r.get_data(as_text=True)
        if r.status_code not in (302, 400) or not _not_reflected_raw(body, payload):
            problems.append(("settings", i, r.status_code))
    assert problems == []


def test_nul_bytes_and_controls_are_refused_clearly(client, db_path):
    token = csrf_token(client.get("/register").get_data(as_text=True))
    for bad in ("nul\x00name", "bell\x07name", "esc\x1b[31mred"):
        r = client.post("/register", data={"csrf_token": token, "pseudonym": bad,
                                           "passphrase": PASSPHRASE, "confirm": PASSPHRASE})
        assert r.status_code == 400
        assert "control characters" in page_text(r)
    with connect(db_path) as con:
        assert con.execute("SELECT count(*) FROM member").fetchone()[0] == 0


def test_invalid_utf8_is_refused_clearly(client, db_path):
    token = csrf_token(client.get("/register").get_data(as_text=True))
    body = f"csrf_token={token}&pseudonym=caf%C3%A9%FF%FE&passphrase=river+stone+quiet+lantern&confirm=river+stone+quiet+lantern"
    r = client.post("/register", data=body, content_type="application/x-www-form-urlencoded")
    assert r.status_code == 400
    assert "isn't valid UTF-8" in page_text(r)
    r = client.get("/admin/members?q=%FF")
    assert r.status_code == 400
    with connect(db_path) as con:
        assert con.execute("SELECT count(*) FROM member").fetchone()[0] == 0


def test_wrong_shapes(client, db_path):
    token = csrf_token(client.get("/register").get_data(as_text=True))
    # Missing fields, repeated fields, a JSON body, a multipart body.
    r = client.post("/register", data={"csrf_token": token})
    assert r.status_code == 400 and "Please choose a pseudonym" in page_text(r)
    from werkzeug.datastructures import MultiDict

    r = client.post("/register", data=MultiDict([("csrf_token", token), ("pseudonym", "a-name"), ("pseudonym", "b-name"),
                                                 ("passphrase", PASSPHRASE), ("confirm", PASSPHRASE)]))
    assert r.status_code in (200, 400)
    r = client.post("/login", json={"pseudonym": ["a"], "passphrase": {"x": 1}})
    assert r.status_code == 400
    r = client.post("/login", data={"csrf_token": token, "pseudonym": "x"}, content_type="multipart/form-data")
    assert r.status_code == 400 and "file uploads" in page_text(r)
    r = client.post("/register", data="&".join(f"f{i}=1" for i in range(5000)),
                    content_type="application/x-www-form-urlencoded")
    assert r.status_code == 400


def test_long_values_under_the_body_limit(client, db_path):
    token = csrf_token(client.get("/register").get_data(as_text=True))
    huge = "a" * 80_000
    r = client.post("/register", data={"csrf_token": token, "pseudonym": huge, "passphrase": huge, "confirm": huge})
    assert r.status_code == 400
    text = page_text(r)
    assert "at most 32" in text
    assert huge not in r.get_data(as_text=True)
    with connect(db_path) as con:
        assert con.execute("SELECT count(*) FROM member").fetchone()[0] == 0
