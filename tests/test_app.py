"""The app as a whole: health, headers, error pages, no third-party assets."""

from __future__ import annotations

import re

import pytest

from tests.conftest import ROOT, page_text

PUBLIC_PAGES = ["/", "/privacy", "/register", "/login", "/recover", "/healthz"]


def test_healthz_reports_database(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.is_json
    assert r.get_json()["status"] == "ok"
    assert r.get_json()["database"] == "ok"


@pytest.mark.parametrize("path", PUBLIC_PAGES + ["/no-such-page"])
def test_security_headers_on_every_response(client, path):
    r = client.get(path)
    csp = r.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp
    assert r.headers["Referrer-Policy"] == "same-origin"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert "camera=()" in r.headers["Permissions-Policy"]
    assert "Strict-Transport-Security" not in r.headers  # only in production, over TLS


def test_hsts_and_host_cookie_in_production(make_app):
    from config import ProductionConfig

    app = make_app(ProductionConfig, SECRET_KEY="x" * 64, SOCKETIO_ASYNC_MODE="threading")
    client = app.test_client()
    r = client.get("/login", base_url="https://kindred.example")
    assert r.headers["Strict-Transport-Security"].startswith("max-age=")
    cookie = r.headers["Set-Cookie"]
    assert cookie.startswith("__Host-kindred=")
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Domain=" not in cookie and "Path=/" in cookie


def test_production_refuses_to_start_without_secret_key(make_app, monkeypatch):
    from config import ProductionConfig

    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(SystemExit, match="SECRET_KEY"):
        make_app(ProductionConfig, SECRET_KEY=None)


@pytest.mark.parametrize("path", PUBLIC_PAGES[:-1])
def test_pages_have_no_inline_script_or_third_party_assets(client, path):
    html = client.get(path).get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script"
    assert not re.search(r"<[^>]+\son[a-z]+=", html), "inline event handler"
    assert not re.search(r"style=", html), "inline style would need unsafe-inline"
    for url in re.findall(r'(?:src|href)="([^"]+)"', html):
        # The quick-exit link is the only off-site address, and it is a link, not an asset.
        assert url.startswith("/") or url.startswith("#") or url == "https://www.bbc.co.uk/weather", url


def test_static_files_reference_nothing_remote():
    for path in (ROOT / "app" / "static").rglob("*"):
        if path.suffix in {".css", ".js"} and "vendor" not in path.parts:
            text = path.read_text()
            assert not re.search(r"url\(\s*['\"]?https?:", text), path
            assert "@import" not in text, path
            assert "fonts.googleapis" not in text and "cdn" not in text.lower(), path


def test_friendly_404_leaks_nothing(client):
    r = client.get("/no/such/page?secret=<script>alert(1)</script>")
    assert r.status_code == 404
    body = page_text(r)
    assert "We couldn't find that page" in body
    assert "<script>alert(1)" not in body and "secret" not in body


def test_friendly_405(client):
    r = client.get("/logout")
    assert r.status_code == 405
    assert "That doesn't work here" in page_text(r)


def test_friendly_500_has_no_traceback(app, caplog):
    @app.get("/__boom")
    def boom():
        raise RuntimeError("the secret internals: member willow wrote something")

    r = app.test_client().get("/__boom")
    assert r.status_code == 500
    body = page_text(r)
    assert "Something went wrong on our side" in body
    assert "Traceback" not in body and "secret internals" not in body
    assert "secret internals" not in caplog.text and "willow" not in caplog.text
    assert "RuntimeError" in caplog.text  # the type and a reference are logged, nothing else


def test_json_errors_when_asked(client):
    r = client.get("/no-such-page", headers={"Accept": "application/json"})
    assert r.status_code == 404
    assert r.get_json()["status"] == 404


def test_oversize_body_gets_413(client):
    r = client.post("/login", data={"pseudonym": "x" * (300 * 1024), "passphrase": "y"})
    assert r.status_code == 413
    assert "too much at once" in page_text(r)


def test_healthz_reports_unavailable_database(make_app, tmp_path):
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/missing-dir/db.sqlite3")
    r = app.test_client().get("/healthz")
    assert r.status_code == 503
    assert r.get_json()["status"] == "error"
