"""The default Socket.IO namespace: authenticated on connect, re-checked on every event, and
ended at once when the session ends elsewhere."""

from __future__ import annotations

from tests.db import connect
import pytest

from app.extensions import socketio
from tests.conftest import Member


def socket_for(app, member: Member):
    return socketio.test_client(app, flask_test_client=member.client)


def test_signed_out_socket_is_refused(app, client):
    sock = socketio.test_client(app, flask_test_client=client)
    assert not sock.is_connected()


def test_signed_in_socket_connects_and_checks(app, member):
    sock = socket_for(app, member)
    assert sock.is_connected()
    assert sock.emit("session:check", callback=True) == {"ok": True, "pseudonym": "willow"}
    sock.disconnect()


def test_unknown_event_gets_an_error_ack(app, member):
    sock = socket_for(app, member)
    ack = sock.emit("drop:tables", {"x": 1}, callback=True)
    assert ack == {"ok": False, "error": "Kindred doesn't know that request."}
    assert sock.is_connected()


@pytest.mark.parametrize("payload", [None, 1, "x" * 10_000, {"deep": [[[[{}]]]]}, ["a", None]])
def test_odd_payloads_never_drop_the_socket(app, member, payload):
    sock = socket_for(app, member)
    ack = sock.emit("session:check", payload, callback=True)
    assert ack["ok"] is True
    assert sock.is_connected()


def test_sign_out_everywhere_ends_open_sockets(app, member):
    other = Member(app.test_client(), member.pseudonym, member.passphrase)
    other.login()
    mine, theirs = socket_for(app, member), socket_for(app, other)
    assert mine.is_connected() and theirs.is_connected()
    member.post_form("/account", "/logout/everywhere", {})
    assert not theirs.is_connected() and not mine.is_connected()
    # An event sent on a stale socket is refused too.
    stale = socketio.test_client(app, flask_test_client=other.client)
    assert not stale.is_connected()


def test_sign_out_ends_only_this_browsers_socket(app, member):
    other = Member(app.test_client(), member.pseudonym, member.passphrase)
    other.login()
    mine, theirs = socket_for(app, member), socket_for(app, other)
    member.logout()
    assert not mine.is_connected()
    assert theirs.is_connected()
    assert theirs.emit("session:check", callback=True)["ok"] is True


def test_suspension_ends_sockets(app, admin, member):
    from app.services import accounts

    sock = socket_for(app, member)
    with app.app_context():
        mid = accounts.find_by_pseudonym(member.pseudonym).id
    page = f"/admin/members/{mid}"
    admin.post_form(page, f"{page}/suspend", {"suspend-reason": "Abuse of other members"}, prefix="suspend")
    assert not sock.is_connected()


def test_every_event_rechecks_the_session(app, member, db_path):
    """Even if a socket were missed by the kick (another worker), its next event is refused."""
    import sqlite3

    sock = socket_for(app, member)
    with connect(db_path) as con:
        con.execute("DELETE FROM auth_session")
    ack = sock.emit("session:check", callback=True)
    assert ack == {"ok": False, "error": "Your session has ended. Please sign in again."}
