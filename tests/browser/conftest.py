"""Playwright (sync API) driving Debian's Chromium against the live server."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

ROOT = Path(__file__).resolve().parents[2]
NEUTRAL = "https://www.bbc.co.uk/weather"
ARTIFACTS = ROOT / "test-artifacts"


def chromium_path() -> str:
    path = os.environ.get("KINDRED_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.fail("Chromium is missing: run `make test` (it installs Debian's chromium as root) "
                    "or set KINDRED_CHROMIUM.", pytrace=False)
    return path


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=chromium_path(),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield b
        b.close()


class Page:
    """A page plus what the tests watch on it: off-site requests, CSP errors, axe results."""

    def __init__(self, context, base_url: str):
        self.context = context
        self.base = base_url
        self.offsite: list[str] = []
        self.console_errors: list[str] = []
        self.page = context.new_page()
        self.page.on("console", self._console)
        context.route("**/*", self._route)

    def _console(self, msg):
        if msg.type == "error":
            self.console_errors.append(msg.text)

    def _route(self, route):
        url = route.request.url
        if url.startswith(self.base) or url.startswith(self.base.replace("http", "ws")):
            route.continue_()
        elif url.startswith(NEUTRAL):
            # The quick-exit target: answer locally (this machine has no internet).
            route.fulfill(status=200, content_type="text/html",
                          body="<!doctype html><title>Weather</title><p>Sunny spells.")
        else:
            self.offsite.append(url)
            route.abort()

    def goto(self, path: str):
        return self.page.goto(self.base + path)


@pytest.fixture
def new_page(browser, live_server):
    contexts = []

    def _new(**options) -> Page:
        ctx = browser.new_context(**options)
        contexts.append(ctx)
        return Page(ctx, live_server.url)

    yield _new
    for ctx in contexts:
        ctx.close()


@pytest.fixture
def page(new_page) -> Page:
    return new_page()


_axe = Axe()


@pytest.fixture
def check_a11y(request):
    """Run axe-core on the page; fail on serious or critical violations."""

    def _check(p: Page, label: str):
        p.page.wait_for_load_state("load")  # never judge a half-loaded page (no stylesheet yet)
        results = _axe.run(p.page)
        bad = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
        if bad:
            ARTIFACTS.mkdir(exist_ok=True)
            p.page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{label}.png"), full_page=True)
        assert not bad, "\n".join(
            f"{label}: {v['id']} ({v['impact']}): {v['help']} -> "
            + "; ".join(n["target"][0] for n in v["nodes"][:3]) for v in bad)
        assert p.offsite == [], p.offsite
        csp = [e for e in p.console_errors if "Content Security Policy" in e]
        assert csp == [], csp

    return _check


@pytest.fixture(scope="session")
def make_admin(live_server):
    """Create an admin through the real command, against the live server's database."""

    def _make(name: str) -> str:
        env = live_server.cli_env()
        out = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "kindred", "create-admin", name],
                             cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout
        return out.split("change it after signing in): ", 1)[1].split()[0]

    return _make


def wait_until(page, expression: str, timeout: float = 10.0) -> None:
    """Poll a JS expression with page.evaluate (page.wait_for_function would need unsafe-eval,
    which Kindred's CSP rightly refuses)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if page.evaluate(f"() => !!({expression})"):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"timed out waiting for {expression}")


@pytest.fixture(scope="session")
def grant_role(live_server):
    """`kindred grant NAME ROLE` against the live server's database."""

    def _grant(name: str, role: str) -> None:
        env = live_server.cli_env()
        subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "kindred", "grant", name, role],
                       cwd=ROOT, env=env, check=True, capture_output=True)

    return _grant
