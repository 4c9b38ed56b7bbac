"""Shared fixtures. Tests speak HTTP (and Socket.IO) to a real app on a real SQLite database
built by the real migrations; argon2 runs for real at low cost (TestConfig)."""

from __future__ import annotations

import html
import re
import secrets
from pathlib import Path

import pytest

from app import create_app
from config import TestConfig
from tests import db as testdb
from tests.db import connect  # noqa: F401  (tests import it from here too)

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"

pytest_plugins = ["tests.fixtures.live"]


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item (fixtures read `rep_call` to add diagnostics)."""
    report = yield
    setattr(item, "rep_" + report.when, report)
    return report


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory):
    """One database migrated with `alembic upgrade head`; each test gets a copy."""
    from flask_migrate import upgrade

    from app.extensions import db

    if testdb.ON_POSTGRES:
        template = testdb.create_pg_database()
    else:
        template = testdb.new_sqlite(tmp_path_factory.mktemp("template"))
    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": template.url})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        db.engine.dispose()
    yield template
    if testdb.ON_POSTGRES:
        testdb.drop_pg_database(template)


@pytest.fixture
def db_path(tmp_path, migrated_db) -> testdb.TestDB:
    """This test's own migrated database (a file copy on SQLite, a template clone on PostgreSQL)."""
    if testdb.ON_POSTGRES:
        database = testdb.create_pg_database(template=migrated_db.name)
        yield database
        testdb.drop_pg_database(database)
    else:
        yield testdb.new_sqlite(tmp_path, template=migrated_db.path)


def backend_overrides() -> dict:
    """What an in-process test app uses besides its database: on the PostgreSQL pass, Redis
    holds the rate-limit counters (under a prefix of this app's own, so tests don't share
    counts). The Socket.IO message queue stays off in-process: one process needs none, and the
    multi-worker path is tested against real gunicorn workers (tests/test_stack.py)."""
    if not testdb.REDIS_URL:
        return {}
    return {"REDIS_URL": testdb.REDIS_URL, "RATELIMIT_STORAGE_URI": testdb.REDIS_URL,
            "RATELIMIT_KEY_PREFIX": f"kt{secrets.token_hex(6)}", "SOCKETIO_MESSAGE_QUEUE": None}


@pytest.fixture
def make_app(db_path):
    """Build an app on this test's database, with optional config overrides."""
    built = []

    def _make(config=TestConfig, **overrides):
        overrides.setdefault("SQLALCHEMY_DATABASE_URI", db_path.url)
        # No background loop in-process: it would outlive the test (and its database); tests
        # run the jobs themselves with jobs.run_due (tests/test_workers.py).
        overrides.setdefault("BACKGROUND_JOBS", False)
        for key, value in backend_overrides().items():
            overrides.setdefault(key, value)
        if not db_path.is_sqlite:
            overrides.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_size": 5, "max_overflow": 10})
        app = create_app(config, overrides)
        built.append(app)
        return app

    yield _make
    from app.extensions import db

    for app in built:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


_TOKEN_RE = re.compile(r'name="(?P<name>(?:[\w-]+-)?csrf_token)" type="hidden" value="(?P<value>[^"]+)"')


def page_text(response) -> str:
    """The response body with HTML entities decoded (Jinja escapes apostrophes)."""
    return html.unescape(response.get_data(as_text=True))


def plain(response) -> str:
    """What a reader sees: tags removed, entities decoded, whitespace collapsed."""
    text = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(html.unescape(text).split())


def csrf_token(html: str, prefix: str = "") -> str:
    """The CSRF token of the form with this prefix, read from the page like a browser would."""
    name = f"{prefix}-csrf_token" if prefix else "csrf_token"
    for m in _TOKEN_RE.finditer(html):
        if m.group("name") == name:
            return m.group("value")
    raise AssertionError(f"no {name} on the page")


class Member:
    """Drives one browser-like test client through the real forms."""

    def __init__(self, client, pseudonym: str, passphrase: str):
        self.client = client
        self.pseudonym = pseudonym
        self.passphrase = passphrase
        self.codes: list[str] = []

    def post_form(self, page: str, action: str, data: dict, prefix: str = "", **kw):
        html = self.client.get(page).get_data(as_text=True)
        token = csrf_token(html, prefix)
        key = f"{prefix}-csrf_token" if prefix else "csrf_token"
        return self.client.post(action, data={key: token, **data}, **kw)

    def register(self):
        r = self.post_form("/register", "/register", {
            "pseudonym": self.pseudonym, "passphrase": self.passphrase, "confirm": self.passphrase})
        assert r.status_code == 200, r.get_data(as_text=True)
        self.codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", r.get_data(as_text=True))
        assert len(self.codes) == 8
        return r

    def login(self, passphrase: str | None = None, **kw):
        return self.post_form("/login", "/login", {
            "pseudonym": self.pseudonym, "passphrase": passphrase or self.passphrase}, **kw)

    def logout(self):
        return self.post_form("/", "/logout", {})

    def is_signed_in(self) -> bool:
        r = self.client.get("/account")
        return r.status_code == 200


PASSPHRASE = "river stone quiet lantern"


@pytest.fixture
def new_member(app):
    """Factory: a registered, signed-in member with their own client."""
    counter = iter(range(1, 10_000))

    def _new(pseudonym: str | None = None, passphrase: str = PASSPHRASE) -> Member:
        m = Member(app.test_client(), pseudonym or f"member{next(counter)}", passphrase)
        m.register()
        return m

    return _new


@pytest.fixture
def member(new_member) -> Member:
    return new_member("willow")


@pytest.fixture
def admin(app, new_member) -> Member:
    m = new_member("river-admin")
    from app.extensions import db
    from app.models import Role
    from app.services import accounts, roles

    with app.app_context():
        roles.add_role_row(accounts.find_by_pseudonym("river-admin"), Role.ADMIN)
        db.session.commit()
    return m


@pytest.fixture
def categories(app):
    """The community's categories, as `kindred seed-categories` makes them."""
    from app.services import demo

    with app.app_context():
        demo.seed_categories()


def grant(app, member: Member, role: str) -> None:
    from app.extensions import db
    from app.models import Role
    from app.services import accounts, roles

    with app.app_context():
        roles.add_role_row(accounts.find_by_pseudonym(member.pseudonym), Role(role))
        db.session.commit()


@pytest.fixture
def peer(app, new_member) -> Member:
    m = new_member("kind-peer")
    grant(app, m, "peer")
    return m


@pytest.fixture
def facilitator(app, new_member) -> Member:
    m = new_member("group-facilitator")
    grant(app, m, "facilitator")
    return m
