"""Sign in, sign out, sessions that the server can end, timeouts, throttling."""

from __future__ import annotations

import statistics
import time
from datetime import timedelta

from tests.db import ago, connect
from tests.conftest import PASSPHRASE, Member, csrf_token, page_text


def test_sign_in_and_out(member):
    member.logout()
    assert not member.is_signed_in()
    r = member.login()
    assert r.status_code == 302
    assert member.is_signed_in()


def test_sign_in_returns_to_next_but_never_off_site(app, member):
    member.logout()
    r = member.post_form("/login", "/login?next=/account", {
        "pseudonym": member.pseudonym, "passphrase": member.passphrase})
    assert r.headers["Location"] == "/account"
    member.logout()
    for evil in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        r = member.post_form("/login", f"/login?next={evil}", {
            "pseudonym": member.pseudonym, "passphrase": member.passphrase})
        assert r.headers["Location"] == "/", evil
        member.logout()


def test_wrong_passphrase_and_unknown_name_say_the_same(app, member):
    member.logout()
    wrong = page_text(member.login("not the right passphrase"))
    stranger = Member(app.test_client(), "nobody-here", PASSPHRASE)
    unknown = page_text(stranger.login())
    msg = "That pseudonym and passphrase don't match an account."
    assert msg in wrong and msg in unknown


def test_sign_in_time_is_the_same_for_unknown_names(make_app):
    """With production argon2 parameters, a missing pseudonym costs a full hash too."""
    from config import Config

    app = make_app(ARGON2_MEMORY_KIB=Config.ARGON2_MEMORY_KIB, ARGON2_TIME_COST=Config.ARGON2_TIME_COST,
                   RATELIMIT_ENABLED=False)
    real = Member(app.test_client(), "timing-real", PASSPHRASE)
    real.register()
    real.logout()
    ghost = Member(app.test_client(), "timing-ghost", PASSPHRASE)

    def timed(m: Member) -> float:
        token = csrf_token(m.client.get("/login").get_data(as_text=True))
        t0 = time.perf_counter()
        r = m.client.post("/login", data={"csrf_token": token, "pseudonym": m.pseudonym,
                                          "passphrase": "definitely wrong one"})
        elapsed = time.perf_counter() - t0
        assert r.status_code == 400
        return elapsed

    known = statistics.median(timed(real) for _ in range(7))
    unknown = statistics.median(timed(ghost) for _ in range(7))
    # Both pay for one argon2id verification (tens of ms); without the dummy hash the
    # unknown name would answer in well under a millisecond.
    assert 0.5 < unknown / known < 2.0, (known, unknown)


def test_new_session_id_at_sign_in(app, member, db_path):
    member.logout()
    before = member.client.get_cookie("kindred_session")
    member.login()
    after = member.client.get_cookie("kindred_session")
    assert after is not None and (before is None or before.value != after.value)
    with connect(db_path) as con:
        assert con.execute("SELECT count(*) FROM auth_session").fetchone()[0] == 1


def test_session_cookie_flags(client):
    r = client.get("/login")
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_signed_in_pages_are_not_cached(member, client):
    assert member.client.get("/").headers["Cache-Control"] == "no-store"
    assert member.client.get("/account").headers["Cache-Control"] == "no-store"
    assert client.get("/").headers["Cache-Control"] != "no-store"


def test_sign_out_needs_post(member):
    assert member.client.get("/logout").status_code == 405
    assert member.is_signed_in()


def test_sign_out_with_a_stolen_cookie_copy_is_over_too(app, member):
    copy = app.test_client()
    copy.set_cookie("kindred_session", member.client.get_cookie("kindred_session").value)
    assert copy.get("/account").status_code == 200
    member.logout()
    assert copy.get("/account").status_code == 302  # the server forgot that session


def test_sign_out_everywhere_ends_every_session(app, member):
    other = Member(app.test_client(), member.pseudonym, member.passphrase)
    other.login()
    assert other.is_signed_in()
    r = member.post_form("/account", "/logout/everywhere", {})
    assert r.status_code == 302
    assert not member.is_signed_in()
    assert not other.is_signed_in()


def test_passphrase_change_ends_other_sessions(app, member):
    other = Member(app.test_client(), member.pseudonym, member.passphrase)
    other.login()
    r = member.post_form("/account", "/account/passphrase", {
        "pw-current": PASSPHRASE, "pw-new": "a brand new passphrase", "pw-confirm": "a brand new passphrase"},
        prefix="pw")
    assert r.status_code == 302
    assert member.is_signed_in()       # this browser got a fresh session
    assert not other.is_signed_in()    # the other one is gone
    member.logout()
    assert member.login(PASSPHRASE).status_code == 400
    assert member.login("a brand new passphrase").status_code == 302


def test_idle_timeout(make_app):
    app = make_app(SESSION_IDLE_TIMEOUT=timedelta(seconds=1))
    m = Member(app.test_client(), "idle-one", PASSPHRASE)
    m.register()
    assert m.is_signed_in()
    time.sleep(2.1)  # the cookie keeps whole seconds
    assert not m.is_signed_in()


def test_absolute_timeout(app, member, db_path):
    with connect(db_path) as con:
        con.execute("UPDATE auth_session SET created_at = ?", (ago(hours=13),))
    assert not member.is_signed_in()
    with connect(db_path) as con:
        assert con.execute("SELECT count(*) FROM auth_session").fetchone()[0] == 0


def test_rehash_on_sign_in_when_parameters_change(make_app, db_path):
    old = make_app()
    m = Member(old.test_client(), "rehash-me", PASSPHRASE)
    m.register()
    with connect(db_path) as con:
        (before,) = con.execute("SELECT passphrase_hash FROM member").fetchone()
    assert "$m=1024,t=1,p=1$" in before
    new = make_app(ARGON2_MEMORY_KIB=2048, ARGON2_TIME_COST=2)
    m2 = Member(new.test_client(), "rehash-me", PASSPHRASE)
    assert m2.login().status_code == 302
    with connect(db_path) as con:
        (after,) = con.execute("SELECT passphrase_hash FROM member").fetchone()
    assert "$m=2048,t=2,p=1$" in after
    m2.logout()
    assert m2.login().status_code == 302


def test_sign_in_is_throttled_per_pseudonym(app, member):
    member.logout()
    statuses = [member.login("wrong passphrase again").status_code for _ in range(10)]
    assert statuses == [400] * 10
    r = member.login()  # even the right passphrase waits now
    assert r.status_code == 429
    assert "Please slow down" in page_text(r)
    assert r.headers.get("Retry-After")


def test_throttle_per_name_is_not_fooled_by_case_or_width(app, member):
    member.logout()
    variants = ["Willow", "WILLOW", "ｗｉｌｌｏｗ", "willow ", " willow"]
    for i in range(10):
        m = Member(app.test_client(), variants[i % len(variants)], "wrong passphrase")
        assert m.login().status_code == 400
    assert Member(app.test_client(), "willow", PASSPHRASE).login().status_code == 429


def test_rate_limits_are_on_writes_only(app):
    """A GET or HEAD skips Flask-Limiter's check (app/__init__.py: _limit_writes_only): safe only
    while every limit is declared for POST alone and none is default or application-wide."""
    from app.extensions import limiter

    declared = [lim for group in limiter.limit_manager._decorated_limits.values() for lim in group]
    assert declared, "no limits found: the check below would prove nothing"
    for lim in declared:
        assert lim.methods and set(lim.methods) <= {"post"}, lim
    assert not any(app.config.get(k) for k in ("RATELIMIT_DEFAULT", "RATELIMIT_APPLICATION", "RATELIMIT_META"))
    assert limiter._check_request_limit not in app.before_request_funcs[None]


def test_sign_in_is_throttled_per_address(make_app):
    app = make_app(LOGIN_LIMIT_PER_ADDRESS="5 per minute")
    client = app.test_client()
    statuses = []
    for i in range(6):
        m = Member(client, f"someone{i}", PASSPHRASE)
        statuses.append(m.login().status_code)
    assert statuses[:5] == [400] * 5 and statuses[5] == 429
    # Another address is not affected.
    other = Member(app.test_client(), "someone9", PASSPHRASE)
    token = csrf_token(other.client.get("/login", environ_base={"REMOTE_ADDR": "192.0.2.9"}).get_data(as_text=True))
    r = other.client.post("/login", data={"csrf_token": token, "pseudonym": "x-y-z", "passphrase": "p" * 12},
                          environ_base={"REMOTE_ADDR": "192.0.2.9"})
    assert r.status_code == 400


def test_suspension_ends_sessions_and_blocks_sign_in(app, admin, member):
    from app.services import accounts

    with app.app_context():
        target = accounts.find_by_pseudonym(member.pseudonym).id
    page = f"/admin/members/{target}"
    r = admin.post_form(page, f"{page}/suspend", {"suspend-reason": "Repeated threats in chat"}, prefix="suspend")
    assert r.status_code == 302
    assert not member.is_signed_in()
    r = member.login()
    assert r.status_code == 400 and "suspended" in page_text(r)
    admin.post_form(page, f"{page}/unsuspend", {}, prefix="unsuspend")
    assert member.login().status_code == 302


def test_the_signed_in_lookup_builds_what_the_orm_loads(app, admin, member):
    """sessions._load_session reads the session, member and roles as plain rows and makes the ORM
    objects itself: the same values as the ORM's own query, persistent, nothing pending, and no
    query when any of it is read."""
    import hashlib

    from flask import session as cookie
    from sqlalchemy import event, inspect

    from app.extensions import db
    from app.models import AuthSession
    from app.services import accounts, sessions

    with app.app_context():
        mid = accounts.find_by_pseudonym(member.pseudonym).id
    page = f"/admin/members/{mid}"
    for role in ("peer", "facilitator"):
        admin.post_form(page, f"{page}/roles", {"grant-role": role}, prefix="grant")
    token = "a-test-token"
    with app.app_context():
        db.session.add(AuthSession(token_hash=hashlib.sha256(token.encode()).hexdigest(), member_id=mid))
        db.session.commit()

    def columns(obj):
        return {a.key: getattr(obj, a.key) for a in inspect(type(obj)).column_attrs}

    with app.test_request_context("/"):
        cookie["sid"] = token
        theirs = db.session.execute(sessions._SESSION_BY_TOKEN, {"token_hash": sessions._token_hash(token)}
                                    ).unique().scalar_one()
        expected = (columns(theirs), columns(theirs.member),
                    sorted((columns(r)["id"], columns(r)["role"], columns(r)["granted_at"]) for r in theirs.member.roles))
        db.session.expunge_all()
        statements = []
        listener = lambda *args, **kw: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            row = sessions._row_for(cookie)
            assert len(statements) == 1  # the one lookup
            got = (columns(row), columns(row.member),
                   sorted((r.id, r.role, r.granted_at) for r in row.member.roles))
            assert got == expected
            assert [r.member for r in row.member.roles] == [row.member] * 2
            assert row.member.has_role("peer") and row.member.has_role("facilitator")
            assert not row.member.has_role("admin")
            assert len(statements) == 1  # reading all of it asked nothing more
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        for obj in (row, row.member, *row.member.roles):
            state = inspect(obj)
            assert state.persistent and not state.modified and not state.expired_attributes and not state.unloaded
        assert not db.session.dirty and not db.session.new
        # With objects already in the session (a socket handler, a page after sign-in), the ORM's
        # query is used, so the member is the one the session holds, never a second copy.
        assert sessions._row_for(cookie).member is db.session.get(type(row.member), mid)


def test_role_changes_and_suspension_apply_on_the_next_page(app, admin, member, categories):
    """Nothing about a signed-in session is kept between requests: a role granted or revoked
    changes the member's very next page, and a suspension ends it."""
    from tests.forum_helpers import start_thread, thread_id

    from app.services import accounts

    tid = thread_id(start_thread(member, "off-topic", "Roles on the next page", "Hello."))
    with app.app_context():
        mid = accounts.find_by_pseudonym(member.pseudonym).id
    page = f"/admin/members/{mid}"
    assert "Moderate this thread" not in page_text(member.client.get(f"/t/{tid}"))
    admin.post_form(page, f"{page}/roles", {"grant-role": "peer"}, prefix="grant")
    assert "Moderate this thread" in page_text(member.client.get(f"/t/{tid}"))
    admin.post_form(page, f"{page}/roles/peer/revoke", {}, prefix="revoke")
    assert "Moderate this thread" not in page_text(member.client.get(f"/t/{tid}"))
    assert 'data-signed-in="1"' in member.client.get(f"/t/{tid}").get_data(as_text=True)
    admin.post_form(page, f"{page}/suspend", {"suspend-reason": "Repeated threats in chat"}, prefix="suspend")
    assert 'data-signed-in="1"' not in member.client.get(f"/t/{tid}").get_data(as_text=True)
