"""The services directory in a real browser: a newcomer on a phone finds it from the menu,
filters and searches it (plain GET forms, so it works without JavaScript too), opens an entry,
and prints it; a peer supporter shares an entry as a card in a live room."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import wait_until
from tests.browser.test_flows import sign_in, sign_up

pytestmark = pytest.mark.browser
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}


def no_sideways_scroll(p) -> None:
    overflow = p.page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0


def test_browsing_the_directory_on_a_phone(new_page, check_a11y):
    p = new_page(**PHONE)
    p.goto("/")
    p.page.get_by_role("navigation", name="Main").get_by_role("link", name="Services").click()
    expect(p.page.get_by_role("heading", name="Services directory", level=1)).to_be_visible()
    entries = p.page.locator("article.service")
    assert entries.count() >= 5
    expect(entries.first).to_contain_text("example entry")
    no_sideways_scroll(p)
    check_a11y(p, "directory-phone")

    # Filter by kind: a plain GET form, so the address can be shared.
    p.page.get_by_label("Helps with").select_option("housing")
    p.page.get_by_role("button", name="Find services").click()
    assert "kind=housing" in p.page.url
    expect(entries).to_have_count(1)
    expect(entries.first).to_contain_text("Open Door Housing and Benefits Advice (example)")
    expect(entries.first).to_contain_text("not checked for over a year")

    # Search, with a language filter.
    p.page.get_by_role("link", name="Clear filters").click()
    p.page.get_by_label("Search", exact=True).fill("counselling")
    p.page.get_by_label("Language").select_option("Português")
    p.page.get_by_role("button", name="Find services").click()
    expect(entries).to_have_count(1)
    expect(entries.first).to_contain_text("Harbour Counselling Service (example)")
    no_sideways_scroll(p)
    check_a11y(p, "directory-filtered-phone")

    # One entry: a tel: link, a plain web link that leaks no referrer.
    entries.first.get_by_role("link", name="Harbour Counselling Service (example)").click()
    expect(p.page.get_by_role("heading", name="Harbour Counselling Service (example)", level=1)).to_be_visible()
    expect(p.page.get_by_role("link", name="01632 960244")).to_have_attribute("href", "tel:01632960244")
    web = p.page.get_by_role("link", name="https://harbour-counselling.example.org/")
    expect(web).to_have_attribute("rel", "noopener noreferrer nofollow")
    no_sideways_scroll(p)
    check_a11y(p, "service-phone")

    # Printed: the entry, without the menu, the quick-exit button or the filters.
    p.goto("/services")
    p.page.emulate_media(media="print")
    expect(p.page.locator(".site-header")).to_be_hidden()
    expect(p.page.locator(".directory-filters")).to_be_hidden()
    expect(p.page.locator("article.service").first).to_be_visible()
    p.page.emulate_media(media="screen")


def test_the_directory_works_without_javascript(new_page):
    p = new_page(java_script_enabled=False, **PHONE)
    p.goto("/services")
    p.page.get_by_label("Region").select_option("Harbour")
    p.page.get_by_role("button", name="Find services").click()
    assert "region=Harbour" in p.page.url
    names = p.page.locator("article.service h2").all_inner_texts()
    assert sorted(names) == ["Harbour Counselling Service (example)", "Positive Voices Advocacy (example)"]


def test_a_peer_shares_a_service_card_in_a_room(new_page, live_server, check_a11y):
    peer, reader = new_page(), new_page(**PHONE)
    sign_in(peer, "demo-peer", live_server.demo_passphrase("demo-peer"))
    sign_up(reader, "Card Reader")
    for p in (peer, reader):
        p.goto("/rooms/1")
        wait_until(p.page, "document.getElementById('chat-status').textContent.indexOf('Connected') === 0")
    expect(reader.page.get_by_label("Share a service from the directory")).to_have_count(0)

    peer.page.get_by_role("button", name="Share a service").click()
    expect(peer.page.locator("#chat-error")).to_have_text("Choose a service to share.")
    peer.page.get_by_label("Share a service from the directory").select_option(label="Night Line (example)")
    peer.page.get_by_role("button", name="Share a service").click()

    card = reader.page.locator(".chat-line .service-card", has_text="Night Line (example)")
    expect(card).to_be_visible()
    expect(card).to_contain_text("01632 960999")
    expect(card).to_contain_text("Crisis lines")
    expect(card.get_by_role("link", name="Night Line (example)")).to_have_attribute("href", "/services/4")
    expect(peer.page.locator("#chat-error")).to_have_text("")
    no_sideways_scroll(reader)
    check_a11y(reader, "room-card-phone")
