"""The account page: recovery, new codes, discreet mode, export, deletion."""

from __future__ import annotations

import json
import re

from tests.db import connect
import pytest

from tests.conftest import PASSPHRASE, Member, page_text

NEW = "lantern by the harbour"


def recover(client, pseudonym, code, new=NEW, confirm=None):
    m = Member(client, pseudonym, new)
    return m.post_form("/recover", "/recover", {
        "pseudonym": pseudonym, "code": code, "passphrase": new, "confirm": confirm or new})


def test_recover_with_a_code_once(app, member):
    member.logout()
    code = member.codes[3]
    r = recover(member.client, member.pseudonym, code.upper().replace("-", " "))  # forgiving format
    assert r.status_code == 302
    assert member.is_signed_in()
    member.logout()
    assert member.login(NEW).status_code == 302
    member.logout()
    r = recover(member.client, member.pseudonym, code, new="another fresh phrase")
    assert r.status_code == 400
    assert "don't match" in page_text(r)


def test_recover_shows_codes_left(app, member):
    member.logout()
    r = recover(member.client, member.pseudonym, member.codes[0])
    r = member.client.get(r.headers["Location"])
    assert "you have 7 left" in page_text(r)
    assert "<strong>7</strong> unused recovery codes" in r.get_data(as_text=True)


def test_recover_ends_other_sessions(app, member):
    other = Member(app.test_client(), member.pseudonym, PASSPHRASE)
    other.login()
    stranger = app.test_client()
    assert recover(stranger, member.pseudonym, member.codes[0]).status_code == 302
    assert not member.is_signed_in()
    assert not other.is_signed_in()


@pytest.mark.parametrize("who, code", [("willow", "aaaa-bbbb-cccc"), ("nobody-at-all", "aaaa-bbbb-cccc"),
                                       ("willow", ""), ("willow", "x" * 200)])
def test_bad_recovery_attempts_say_the_same(app, member, who, code):
    r = recover(app.test_client(), who, code)
    assert r.status_code == 400
    text = page_text(r)
    assert ("That pseudonym and recovery code don't match" in text
            or "Please enter one of your recovery codes" in text)


def test_recover_refuses_a_weak_new_passphrase(app, member):
    r = recover(app.test_client(), member.pseudonym, member.codes[0], new="password1234")
    assert r.status_code == 400 and "common passwords" in page_text(r)
    # The code was not spent on a failed attempt.
    assert recover(app.test_client(), member.pseudonym, member.codes[0]).status_code == 302


def test_new_recovery_codes_replace_the_old(app, member):
    r = member.post_form("/account", "/account/recovery-codes", {"codes-current": PASSPHRASE}, prefix="codes")
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == "no-store"
    fresh = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", r.get_data(as_text=True))
    assert len(fresh) == 8 and not set(fresh) & set(member.codes)
    member.logout()
    assert recover(member.client, member.pseudonym, member.codes[0]).status_code == 400
    assert recover(member.client, member.pseudonym, fresh[0]).status_code == 302


def test_new_recovery_codes_need_the_passphrase(member):
    r = member.post_form("/account", "/account/recovery-codes", {"codes-current": "wrong wrong wrong"},
                         prefix="codes")
    assert r.status_code == 400 and "isn't right" in page_text(r)


def test_change_passphrase_errors(member):
    cases = [
        ({"pw-current": "wrong wrong wrong", "pw-new": NEW, "pw-confirm": NEW}, "isn't right"),
        ({"pw-current": PASSPHRASE, "pw-new": "short", "pw-confirm": "short"}, "at least 12"),
        ({"pw-current": PASSPHRASE, "pw-new": NEW, "pw-confirm": NEW + "x"}, "don't match"),
        ({"pw-current": PASSPHRASE, "pw-new": PASSPHRASE, "pw-confirm": PASSPHRASE}, "same as the current"),
    ]
    for data, message in cases:
        r = member.post_form("/account", "/account/passphrase", data, prefix="pw")
        assert r.status_code == 400 and message in page_text(r), message


def test_discreet_mode_changes_title_and_icon(member):
    assert "<title>Your account · Kindred</title>" in member.client.get("/account").get_data(as_text=True)
    r = member.post_form("/account", "/account/settings", {"settings-discreet_mode": "y"}, prefix="settings")
    assert r.status_code == 302
    html = member.client.get("/account").get_data(as_text=True)
    assert "<title>Notes</title>" in html
    assert "notes.svg" in html and "kindred.svg" not in html
    member.post_form("/account", "/account/settings", {}, prefix="settings")
    assert "<title>Notes</title>" not in member.client.get("/account").get_data(as_text=True)


def test_export_is_json_of_what_the_member_gave(member):
    r = member.post_form("/account", "/account/export", {}, prefix="export")
    assert r.status_code == 200
    assert r.mimetype == "application/json"
    assert "attachment" in r.headers["Content-Disposition"]
    assert r.headers["Cache-Control"] == "no-store"
    data = json.loads(r.get_data(as_text=True))
    assert data["format"] == "kindred-export/1"
    assert data["account"]["pseudonym"] == "willow"
    assert data["account"]["unused_recovery_codes"] == 8
    text = json.dumps(data)
    assert "argon2" not in text and "hash" not in text


def test_export_needs_post_and_csrf(member):
    assert member.client.get("/account/export").status_code == 405
    assert member.client.post("/account/export").status_code == 400


def test_export_includes_registered_sections(app, member):
    from app.services import member_data

    member_data.register("test_notes", lambda m: [f"note by {m.id}"], lambda m, choice: None)
    try:
        data = json.loads(member.post_form("/account", "/account/export", {}, prefix="export").get_data(as_text=True))
        assert data["test_notes"][0].startswith("note by ")
    finally:
        member_data._exporters.pop("test_notes")
        member_data._erasers.pop("test_notes")


@pytest.mark.parametrize("choice", ["remove", "keep"])
def test_delete_account(app, member, db_path, choice):
    seen = []
    from app.services import member_data

    member_data.register("test_content", lambda m: [], lambda m, c: seen.append(c))
    try:
        r = member.post_form("/account", "/account/delete", {
            "delete-content": choice, "delete-passphrase": PASSPHRASE, "delete-confirm": "y"}, prefix="delete")
    finally:
        member_data._exporters.pop("test_content")
        member_data._erasers.pop("test_content")
    assert r.status_code == 302
    assert seen == [choice]
    assert not member.is_signed_in()
    with connect(db_path) as con:
        assert con.execute("SELECT count(*) FROM member").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM recovery_code").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM auth_session").fetchone()[0] == 0
        (action, detail) = con.execute("SELECT action, detail FROM audit_entry ORDER BY id DESC").fetchone()
    assert action == "account.deleted" and json.loads(detail)["content"] == choice
    assert member.login().status_code == 400
    # The name is free again.
    Member(app.test_client(), member.pseudonym, "a different phrase here").register()


@pytest.mark.parametrize("data, message", [
    ({"delete-passphrase": PASSPHRASE, "delete-confirm": "y"}, "choose what happens"),
    ({"delete-content": "remove", "delete-passphrase": PASSPHRASE}, "tick the box"),
    ({"delete-content": "remove", "delete-passphrase": "wrong wrong", "delete-confirm": "y"}, "isn't right"),
    ({"delete-content": "everything", "delete-passphrase": PASSPHRASE, "delete-confirm": "y"}, "Not a valid choice"),
])
def test_delete_account_refusals_keep_the_account(member, data, message):
    r = member.post_form("/account", "/account/delete", data, prefix="delete")
    assert r.status_code == 400
    assert message.lower() in page_text(r).lower()
    assert member.is_signed_in()


def test_account_pages_need_sign_in(client):
    for path in ("/account",):
        r = client.get(path)
        assert r.status_code == 302 and "/login" in r.headers["Location"]
    for path in ("/account/passphrase", "/account/recovery-codes", "/account/settings",
                 "/account/export", "/account/delete", "/logout/everywhere"):
        r = client.post(path)
        assert r.status_code in (302, 400), path
