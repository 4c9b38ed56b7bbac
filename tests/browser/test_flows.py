"""What a newcomer does in a real browser: join, keep the codes, sign out, sign in, leave fast.
axe-core runs on every page visited; off-site requests and CSP errors fail the test."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import NEUTRAL, wait_until

pytestmark = pytest.mark.browser
PASSPHRASE = "river stone quiet lantern"


def sign_up(p, name: str):
    p.goto("/register")
    p.page.get_by_label("Pseudonym").fill(name)
    p.page.get_by_label("Passphrase", exact=True).fill(PASSPHRASE)
    p.page.get_by_label("Passphrase again").fill(PASSPHRASE)
    p.page.get_by_role("button", name="Join").click()
    expect(p.page.get_by_role("heading", name="Save these recovery codes now")).to_be_visible()


def sign_in(p, name: str, passphrase: str = PASSPHRASE):
    p.goto("/login")
    p.page.get_by_label("Pseudonym").fill(name)
    p.page.get_by_label("Passphrase").fill(passphrase)
    p.page.get_by_role("button", name="Sign in").click()


def test_newcomer_joins_signs_out_and_back_in(page, check_a11y):
    p = page
    p.goto("/")
    check_a11y(p, "home")
    p.page.get_by_role("link", name="Join with a pseudonym").click()
    check_a11y(p, "register")
    # A mistake first: the form explains it and keeps nothing.
    p.page.get_by_label("Pseudonym").fill("me@example.org")
    p.page.get_by_label("Passphrase", exact=True).fill(PASSPHRASE)
    p.page.get_by_label("Passphrase again").fill(PASSPHRASE)
    p.page.get_by_role("button", name="Join").click()
    expect(p.page.get_by_text("looks like an e-mail address")).to_be_visible()
    check_a11y(p, "register-error")

    sign_up(p, "Browser Newcomer")
    codes = p.page.locator("#recovery-codes code").all_inner_texts()
    assert len(codes) == 8 and all(re.fullmatch(r"[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}", c) for c in codes)
    check_a11y(p, "codes")
    p.page.get_by_role("link", name="I've saved them, continue").click()
    expect(p.page.get_by_role("heading", name="Hello, Browser Newcomer")).to_be_visible()

    p.page.get_by_role("button", name="Sign out").click()
    expect(p.page.get_by_text("You're signed out.")).to_be_visible()

    sign_in(p, "Browser Newcomer", "not the passphrase")
    expect(p.page.get_by_text("don't match an account")).to_be_visible()
    check_a11y(p, "login-error")
    sign_in(p, "browser newcomer")  # names are not case-sensitive
    expect(p.page.get_by_text("Welcome back. You're signed in.")).to_be_visible()
    p.page.get_by_role("link", name="Account").click()
    check_a11y(p, "account")


def test_recovery_code_in_the_browser(page, check_a11y):
    p = page
    sign_up(p, "Browser Recoverer")
    code = p.page.locator("#recovery-codes code").first.inner_text()
    p.page.get_by_role("link", name="I've saved them, continue").click()
    p.page.get_by_role("button", name="Sign out").click()
    p.goto("/recover")
    check_a11y(p, "recover")
    p.page.get_by_label("Pseudonym").fill("Browser Recoverer")
    p.page.get_by_label("Recovery code").fill(code)
    p.page.get_by_label("New passphrase", exact=True).fill("a new lantern passphrase")
    p.page.get_by_label("New passphrase again").fill("a new lantern passphrase")
    p.page.get_by_role("button", name="Set new passphrase").click()
    expect(p.page.get_by_text("you have 7 left")).to_be_visible()


def test_quick_exit_button_replaces_the_page(page):
    p = page
    p.goto("/privacy")
    p.goto("/")
    before = p.page.evaluate("history.length")
    p.page.get_by_role("link", name="Quick exit").click()
    p.page.wait_for_url(NEUTRAL)
    assert p.page.evaluate("history.length") == before  # replaced, not added
    p.page.go_back()
    assert p.page.url.endswith("/privacy")  # the page being read is gone from history


def test_escape_twice_leaves(page):
    p = page
    p.goto("/privacy")
    p.page.keyboard.press("Escape")
    p.page.wait_for_timeout(200)
    assert "/privacy" in p.page.url  # once is not enough (Esc closes menus and dialogs)
    p.page.keyboard.press("Escape")
    p.page.wait_for_url(NEUTRAL)


def test_escape_twice_leaves_while_typing(page):
    p = page
    p.goto("/login")
    p.page.get_by_label("Pseudonym").fill("half typed")
    p.page.get_by_label("Pseudonym").press("Escape")
    p.page.get_by_label("Pseudonym").press("Escape")
    p.page.wait_for_url(NEUTRAL)


def test_quick_exit_is_reachable_by_keyboard(page):
    p = page
    p.goto("/")
    for _ in range(8):
        p.page.keyboard.press("Tab")
        if p.page.evaluate("document.activeElement.id") == "quick-exit":
            break
    assert p.page.evaluate("document.activeElement.id") == "quick-exit"
    p.page.keyboard.press("Enter")
    p.page.wait_for_url(NEUTRAL)


def test_signing_out_everywhere_ends_the_other_tab_at_once(new_page):
    first, second = new_page(), new_page()
    sign_up(first, "Two Browsers")
    sign_in(second, "Two Browsers")
    second.goto("/account")
    wait_until(second.page, "window.kindredSocket && window.kindredSocket.connected")
    first.goto("/account")
    first.page.get_by_role("button", name="Sign out everywhere").click()
    # The second browser is told over its socket and leaves the signed-in page by itself.
    second.page.wait_for_url(re.compile(r"/login\?ended=1$"), timeout=10_000)
    expect(second.page.get_by_text("Your session ended")).to_be_visible()


def test_discreet_mode_title(page):
    p = page
    sign_up(p, "Discreet One")
    p.goto("/account")
    p.page.get_by_label("Discreet mode").check()
    p.page.get_by_role("button", name="Save settings").click()
    expect(p.page).to_have_title("Notes")
    assert "Kindred" not in p.page.locator("header").inner_text()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_admin_pages_are_accessible(new_page, make_admin, check_a11y, scheme):
    name = f"Browser Admin {scheme}"
    passphrase = make_admin(name)
    p = new_page(color_scheme=scheme)
    sign_in(p, name, passphrase)
    for path in ("/admin", "/admin/members", "/admin/audit", "/admin/settings", "/account", "/", "/privacy"):
        p.goto(path)
        check_a11y(p, f"{scheme}{path.replace('/', '-')}")
    p.goto("/admin/members?q=" + name.split()[0])
    p.page.get_by_role("link", name=name).click()
    p.page.wait_for_url(re.compile(r"/admin/members/\d+$"))
    check_a11y(p, f"{scheme}-member")
    p.page.get_by_label("Peer supporter").check()
    p.page.get_by_role("button", name="Grant role").click()
    expect(p.page.get_by_text("is now a peer supporter")).to_be_visible()


@pytest.mark.parametrize("path", ["/", "/register", "/login", "/privacy", "/recover"])
def test_fits_a_360px_phone(new_page, check_a11y, path):
    p = new_page(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    p.goto(path)
    overflow = p.page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{path} scrolls sideways by {overflow}px"
    expect(p.page.get_by_role("link", name="Quick exit")).to_be_visible()
    check_a11y(p, f"phone{path.replace('/', '-')}")
