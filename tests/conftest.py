"""Shared fixtures. Tests speak HTTP (and Socket.IO) to a real app on a real SQLite database
built by the real migrations; argon2 runs for real at low cost (TestConfig)."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import pytest

from app import create_app
from config import TestConfig

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"

pytest_plugins = ["tests.fixtures.live"]


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory) -> Path:
    """One database migrated with `alembic upgrade head`; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    from flask_migrate import upgrade

    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        from app.extensions import db

        db.engine.dispose()
    return path


@pytest.fixture
def db_path(tmp_path, migrated_db) -> Path:
    path = tmp_path / "kindred.sqlite3"
    shutil.copy(migrated_db, path)
    return path


@pytest.fixture
def make_app(db_path):
    """Build an app on this test's database, with optional config overrides."""
    built = []

    def _make(config=TestConfig, **overrides):
        overrides.setdefault("SQLALCHEMY_DATABASE_URI", f"sqlite:///{db_path}")
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
