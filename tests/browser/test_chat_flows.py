"""Live rooms in a real browser: a facilitator and a member chat, the facilitator mutes the
member, and the member sees why."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import wait_until
from tests.browser.test_flows import sign_in, sign_up

pytestmark = pytest.mark.browser


def test_facilitator_mutes_a_member_who_sees_why(new_page, live_server, make_admin, check_a11y):
    facilitator_name = "Browser Facilitator"
    passphrase = make_admin(facilitator_name)  # admins can facilitate every room
    fac, mem = new_page(), new_page()
    sign_in(fac, facilitator_name, passphrase)
    sign_up(mem, "Browser Chatter")

    fac.goto("/rooms")
    fac.page.get_by_role("link", name="Drop-in room").click()
    wait_until(fac.page, "document.getElementById('chat-status').textContent.indexOf('Connected') === 0")
    mem.goto("/rooms/1")
    wait_until(mem.page, "document.getElementById('chat-status').textContent.indexOf('Connected') === 0")
    check_a11y(mem, "room")

    mem.page.get_by_label("Your message").fill("Hello, first time here <b>hi</b>")
    mem.page.get_by_role("button", name="Send").click()
    line = fac.page.locator(".chat-line", has_text="Hello, first time here <b>hi</b>")
    expect(line).to_be_visible()
    expect(line.locator(".who")).to_have_text("Browser Chatter")
    expect(mem.page.locator("#chat-members")).to_contain_text(facilitator_name)

    fac.page.get_by_label("Your message").fill("Welcome! Glad you're here.")
    fac.page.keyboard.press("Enter")
    expect(mem.page.locator(".chat-line", has_text="Welcome! Glad you're here.")).to_be_visible()

    fac.page.get_by_label("Member (name as shown)").fill("Browser Chatter")
    fac.page.get_by_label("Reason (shown to them)").fill("Let's keep it calm for a minute")
    fac.page.get_by_label("Mute for (minutes)").fill("3")
    fac.page.get_by_role("button", name="Mute", exact=True).click()

    expect(mem.page.locator("#chat-error")).to_contain_text("A facilitator muted you for 3 minutes")
    expect(mem.page.locator("#chat-error")).to_contain_text("Let's keep it calm for a minute")
    expect(mem.page.locator(".chat-line.system", has_text="muted Browser Chatter")).to_be_visible()
    mem.page.get_by_label("Your message").fill("why?")
    mem.page.get_by_role("button", name="Send").click()
    expect(mem.page.locator("#chat-error")).to_contain_text("You're muted in this room until")
    check_a11y(fac, "room-facilitator")


def test_chat_shows_reconnecting(new_page, live_server):
    p = new_page()
    sign_up(p, "Flaky Network")
    p.goto("/rooms/1")
    wait_until(p.page, "document.getElementById('chat-status').textContent.indexOf('Connected') === 0")
    p.page.evaluate("() => window.io && true")
    p.context.set_offline(True)
    expect(p.page.locator("#chat-status")).to_contain_text("Reconnecting", timeout=30_000)
    p.context.set_offline(False)
    expect(p.page.locator("#chat-status")).to_contain_text("Connected", timeout=30_000)


def test_room_fits_a_phone(new_page, check_a11y):
    p = new_page(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    sign_up(p, "Phone Chatter")
    p.goto("/rooms/1")
    wait_until(p.page, "document.getElementById('chat-status').textContent.indexOf('Connected') === 0")
    overflow = p.page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    expect(p.page.get_by_role("link", name="Quick exit")).to_be_visible()
    check_a11y(p, "room-phone")


def test_an_anonymous_member_reads_their_alias_in_their_language(new_page, live_server, make_admin):
    """ "Anonymous 1" travels as it is stored; a page in French shows "Anonyme 1"."""
    facilitator_name = "Alias Facilitator"
    passphrase = make_admin(facilitator_name)
    fac, mem = new_page(), new_page()
    sign_in(fac, facilitator_name, passphrase)
    sign_up(mem, "Alias Reader")
    connected = "document.getElementById('chat-status').classList.contains('ok')"

    fac.goto("/rooms/2")  # the demo's facilitated session: ground rules, then the facilitator opens it
    # joined first (the member list shows them): a click before the join would reach the server
    # before the facilitator is in the room
    wait_until(fac.page, "document.getElementById('chat-count').textContent !== '0'")
    fac.page.get_by_role("button", name="Open session").click()
    wait_until(fac.page, connected)
    mem.goto("/rooms/2")
    mem.page.get_by_label("Join as Anonymous").check()
    mem.page.get_by_role("button", name="I accept the ground rules").click()
    mem.page.set_extra_http_headers({"Accept-Language": "fr"})
    mem.goto("/rooms/2")
    expect(mem.page.locator("html")).to_have_attribute("lang", "fr")
    wait_until(mem.page, connected)

    mem.page.locator("#chat-input").fill("Bonjour à tous")
    mem.page.locator("#chat-send").click()
    expect(fac.page.locator(".chat-line", has_text="Bonjour à tous").locator(".who")).to_have_text("Anonymous 1")
    expect(mem.page.locator(".chat-line", has_text="Bonjour à tous").locator(".who")).to_have_text("Anonyme 1")
    expect(mem.page.locator("#chat-members")).to_contain_text("Anonyme 1")
    expect(fac.page.locator("#chat-members")).to_contain_text("Anonymous 1")
