"""Roles: the create-admin command, the admin pages, and the audit log."""

from __future__ import annotations

import json
import re

from tests.db import connect
import pytest

from tests.conftest import Member, page_text


def member_id(app, name):
    from app.services import accounts

    with app.app_context():
        return accounts.find_by_pseudonym(name).id


def audit_rows(db_path):
    with connect(db_path) as con:
        return [(a, s, json.loads(d)) for a, s, d in
                con.execute("SELECT action, subject_id, detail FROM audit_entry ORDER BY id")]


def test_create_admin_command_creates_an_account(app, runner, db_path):
    result = runner.invoke(args=["kindred", "create-admin", "Harbour Keeper"])
    assert result.exit_code == 0, result.output
    passphrase = re.search(r"Passphrase \(shown once.*\): (\S+)", result.output).group(1)
    codes = re.findall(r"^  ([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})$", result.output, re.M)
    assert len(codes) == 8
    m = Member(app.test_client(), "Harbour Keeper", passphrase)
    assert m.login().status_code == 302
    assert m.client.get("/admin").status_code == 200
    assert ("role.granted", member_id(app, "Harbour Keeper"), {"role": "admin", "via": "command line"}) in audit_rows(db_path)


def test_create_admin_promotes_an_existing_member(app, runner, member, db_path):
    assert member.client.get("/admin").status_code == 403
    result = runner.invoke(args=["kindred", "create-admin", "WILLOW"])
    assert result.exit_code == 0 and "is now an admin" in result.output
    assert member.client.get("/admin").status_code == 200
    assert runner.invoke(args=["kindred", "create-admin", "willow"]).output.strip().endswith("already an admin.")


def test_create_admin_with_passphrase_from_stdin(app, runner):
    result = runner.invoke(args=["kindred", "create-admin", "Stdin Admin", "--passphrase-stdin"],
                           input="a passphrase from stdin\n")
    assert result.exit_code == 0, result.output
    assert "Passphrase (shown once" not in result.output
    assert Member(app.test_client(), "Stdin Admin", "a passphrase from stdin").login().status_code == 302


def test_create_admin_refuses_a_bad_name(runner):
    result = runner.invoke(args=["kindred", "create-admin", "me@example.org"])
    assert result.exit_code != 0 and "e-mail address" in result.output


@pytest.mark.parametrize("path", ["/admin", "/admin/members", "/admin/audit", "/admin/settings"])
def test_admin_pages_are_for_admins(app, client, member, admin, path):
    r = client.get(path)
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    r = member.client.get(path)
    assert r.status_code == 403 and "Only admins can do that" in page_text(r)
    assert admin.client.get(path).status_code == 200


def test_grant_and_revoke_are_audited(app, admin, member, db_path):
    mid = member_id(app, member.pseudonym)
    page = f"/admin/members/{mid}"
    r = admin.post_form(page, f"{page}/roles", {"grant-role": "peer"}, prefix="grant")
    assert r.status_code == 302
    assert "Peer supporter" in page_text(admin.client.get(page))
    admin.post_form(page, f"{page}/roles", {"grant-role": "facilitator"}, prefix="grant")
    r = admin.post_form(page, f"{page}/roles/peer/revoke", {}, prefix="revoke")
    assert r.status_code == 302
    rows = [(a, s, d) for a, s, d in audit_rows(db_path) if a.startswith("role.")]
    assert rows == [("role.granted", mid, {"role": "peer"}), ("role.granted", mid, {"role": "facilitator"}),
                    ("role.revoked", mid, {"role": "peer"})]
    log = page_text(admin.client.get("/admin/audit"))
    assert "role.granted" in log and "role.revoked" in log and "river-admin" in log
    # The member sees the role on their own account page.
    assert "facilitator" in page_text(member.client.get("/account"))


def test_granting_twice_is_harmless(app, admin, member, db_path):
    mid = member_id(app, member.pseudonym)
    page = f"/admin/members/{mid}"
    admin.post_form(page, f"{page}/roles", {"grant-role": "peer"}, prefix="grant")
    r = admin.post_form(page, f"{page}/roles", {"grant-role": "peer"}, prefix="grant")
    assert r.status_code == 302
    assert sum(1 for a, _, _ in audit_rows(db_path) if a == "role.granted") == 1


def test_bad_role_values(app, admin, member):
    mid = member_id(app, member.pseudonym)
    page = f"/admin/members/{mid}"
    r = admin.post_form(page, f"{page}/roles", {"grant-role": "emperor"}, prefix="grant")
    assert r.status_code == 400 and "Not a valid choice" in page_text(r)
    from tests.conftest import csrf_token

    token = csrf_token(admin.client.get(page).get_data(as_text=True), "grant")
    r = admin.client.post(f"{page}/roles/emperor/revoke", data={"revoke-csrf_token": token})
    assert r.status_code == 400 and "Choose one of" in page_text(r)
    assert admin.client.get("/admin/members/999999").status_code == 404


def test_members_cannot_grant_roles(app, member, new_member):
    other = new_member("other-one")
    mid = member_id(app, other.pseudonym)
    token_page = member.client.get("/account").get_data(as_text=True)
    from tests.conftest import csrf_token

    r = member.client.post(f"/admin/members/{mid}/roles",
                           data={"grant-csrf_token": csrf_token(token_page, "pw"), "grant-role": "admin"})
    assert r.status_code in (400, 403)
    assert member.client.get("/admin").status_code == 403


def test_last_admin_cannot_lose_the_role(app, admin):
    mid = member_id(app, admin.pseudonym)
    page = f"/admin/members/{mid}"
    r = admin.post_form(page, f"{page}/roles/admin/revoke", {}, prefix="revoke")
    assert r.status_code == 403 and "only admin account" in page_text(r)
    assert admin.client.get("/admin").status_code == 200


def test_member_search_and_filter(app, admin, new_member):
    new_member("Blue Heron")
    new_member("heron-two")
    new_member("Sparrow")
    r = admin.client.get("/admin/members?q=HERON")
    text = page_text(r)
    assert "Blue Heron" in text and "heron-two" in text and "Sparrow" not in text
    r = admin.client.get("/admin/members?role=admin")
    assert "river-admin" in page_text(r) and "Sparrow" not in page_text(r)
    assert admin.client.get("/admin/members?role=emperor").status_code == 400
    assert admin.client.get("/admin/members?q=" + "x" * 500).status_code == 400
    assert admin.client.get("/admin/members?q=%25_%5C").status_code == 200


def test_quick_exit_url_is_admin_configurable(app, admin, client):
    r = admin.post_form("/admin/settings", "/admin/settings", {"quick_exit_url": "https://weather.example/today"})
    assert r.status_code == 302
    assert 'data-quick-exit-url="https://weather.example/today"' in client.get("/").get_data(as_text=True)
    for bad in ("javascript:alert(1)", "not a url", "ftp://x.example", "https://"):
        r = admin.post_form("/admin/settings", "/admin/settings", {"quick_exit_url": bad})
        assert r.status_code == 400, bad
    assert 'data-quick-exit-url="https://weather.example/today"' in client.get("/").get_data(as_text=True)


def test_deleted_actor_shows_in_audit_log(app, admin, new_member, db_path):
    second = new_member("second-admin")
    sid = member_id(app, second.pseudonym)
    page = f"/admin/members/{sid}"
    admin.post_form(page, f"{page}/roles", {"grant-role": "admin"}, prefix="grant")
    r = admin.post_form("/account", "/account/delete", {
        "delete-content": "keep", "delete-passphrase": admin.passphrase, "delete-confirm": "y"}, prefix="delete")
    assert r.status_code == 302
    log = page_text(second.client.get("/admin/audit"))
    assert "role.granted" in log and "account.deleted" in log


def test_sole_admin_cannot_delete_their_account(admin):
    r = admin.post_form("/account", "/account/delete", {
        "delete-content": "keep", "delete-passphrase": admin.passphrase, "delete-confirm": "y"}, prefix="delete")
    assert r.status_code == 400 and "only admin account" in page_text(r)
    assert admin.is_signed_in()
