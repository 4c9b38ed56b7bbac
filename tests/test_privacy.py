"""No client address, user agent, pseudonym or passphrase reaches the database or the log."""

from __future__ import annotations

import logging
import time

from tests.db import connect, raw_contents
from tests.conftest import PASSPHRASE, csrf_token

ADDRESS = "203.0.113.77"
AGENT = "SentinelBrowser/9.9 (unique-agent-string)"


def test_nothing_identifying_is_stored_or_logged(make_app, db_path, caplog):
    caplog.set_level(logging.DEBUG)
    app = make_app(LOGIN_LIMIT_PER_PSEUDONYM="3 per minute")
    client = app.test_client()
    env = {"REMOTE_ADDR": ADDRESS, "HTTP_USER_AGENT": AGENT}
    page = client.get("/register", environ_base=env).get_data(as_text=True)
    r = client.post("/register", environ_base=env, data={
        "csrf_token": csrf_token(page), "pseudonym": "Sentinel Name", "passphrase": PASSPHRASE, "confirm": PASSPHRASE})
    assert r.status_code == 200
    client.get("/account", environ_base=env)
    client.get("/missing", environ_base=env)
    client.post("/logout", environ_base=env, data={"csrf_token": csrf_token(client.get("/", environ_base=env).get_data(as_text=True))})
    token = csrf_token(client.get("/login", environ_base=env).get_data(as_text=True))
    statuses = [client.post("/login", environ_base=env, data={
        "csrf_token": token, "pseudonym": "Sentinel Name", "passphrase": "wrong passphrase x"}).status_code
        for _ in range(4)]
    assert statuses[-1] == 429  # rate limiting happened (and may have logged its key)

    logged = caplog.text
    for secret in (ADDRESS, AGENT, "Sentinel Name", "sentinel name", PASSPHRASE, "wrong passphrase x"):
        assert secret not in logged, secret
    raw = raw_contents(db_path)
    assert b"sentinel" in raw.lower()  # we are reading the right database
    for secret in (ADDRESS, AGENT, PASSPHRASE):
        assert secret.encode() not in raw, secret


def test_rate_limit_keys_are_salted_hashes(app):
    from app.services import ratelimit

    with app.test_request_context("/", environ_base={"REMOTE_ADDR": ADDRESS}):
        key = ratelimit.client_key()
        assert ADDRESS not in key and key.startswith("addr:") and len(key) == 5 + 32
        assert ratelimit.client_key() == key  # stable while the salt lives
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "203.0.113.78"}):
        assert ratelimit.client_key() != key


def test_salt_rotates(make_app):
    app = make_app(RATELIMIT_SALT_ROTATE_SECONDS=1)
    from app.services import ratelimit

    with app.test_request_context("/", environ_base={"REMOTE_ADDR": ADDRESS}):
        before = ratelimit.client_key()
        time.sleep(1.3)
        assert ratelimit.client_key() != before


def test_models_have_no_identity_columns(app):
    from app.extensions import db

    forbidden = ("email", "mail", "phone", "ip", "address", "agent", "real_name", "first_name", "last_name")
    # The services directory lists organisations' public phone numbers and street addresses
    # (clinics, helplines), never a member's: those two columns, and only there, are expected.
    public_listing = {("service", "phone"), ("service", "address")}
    for table in db.metadata.tables.values():
        for column in table.columns:
            if (table.name, column.name) in public_listing:
                continue
            assert column.name not in forbidden and not column.name.endswith("_ip"), (table.name, column.name)
