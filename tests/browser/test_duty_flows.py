"""Crisis routing in real browsers: a member writes a level 3 post; a peer on duty sees the
alert, claims it, opens a private chat with the writer, and records the outcome."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import wait_until
from tests.browser.test_flows import sign_up
from tests.browser.test_forum_flows import write_thread

pytestmark = pytest.mark.browser


def test_level_3_post_reaches_a_peer_who_claims_reaches_out_and_closes(new_page, grant_role, check_a11y):
    peer, writer = new_page(), new_page()
    sign_up(peer, "Duty Peer")
    grant_role("Duty Peer", "peer_supporter")
    peer.goto("/duty")
    peer.page.get_by_role("button", name="Go on duty").click()
    expect(peer.page.locator("#duty-state")).to_contain_text("You're on duty")
    wait_until(peer.page, "document.getElementById('duty-state').textContent.indexOf('Alerts will appear') > 0")
    check_a11y(peer, "duty")

    sign_up(writer, "Writer In Crisis")
    write_thread(writer, "wellbeing", "I can't do this", "I have the rope ready and tonight is the night.")
    expect(writer.page.get_by_role("region", name="We're glad you wrote this down")).to_be_visible()

    banner = peer.page.locator(".alert-banner").first
    expect(banner).to_be_visible(timeout=10_000)
    expect(banner).to_contain_text("Level 3")
    expect(banner).to_contain_text("rope ready")
    assert "Writer In Crisis" not in banner.inner_text()
    banner.get_by_role("button", name="Claim").click()
    peer.page.wait_for_url(re.compile(r"/queue/\d+$"))
    expect(peer.page.get_by_text("claimed by Duty Peer")).to_be_visible()
    check_a11y(peer, "queue-item")

    peer.page.get_by_role("button", name="Reach out privately").click()
    peer.page.wait_for_url(re.compile(r"/rooms/\d+$"))
    room_url = peer.page.url
    wait_until(peer.page, "document.getElementById('chat-status').textContent.indexOf('Connected') === 0")
    peer.page.get_by_label("Your message").fill("Hi, I'm a peer supporter. I read your post. How are you right now?")
    peer.page.get_by_role("button", name="Send").click()

    writer.goto("/notifications")
    expect(writer.page.get_by_text("A peer supporter would like to check in with you, privately.")).to_be_visible()
    writer.goto("/rooms")
    writer.page.get_by_role("link", name="A peer supporter would like to check in with you").click()
    assert writer.page.url == room_url
    expect(writer.page.locator(".chat-line", has_text="How are you right now?")).to_be_visible()
    writer.page.get_by_label("Your message").fill("Thank you for checking. I'm scared.")
    writer.page.get_by_role("button", name="Send").click()
    line = peer.page.locator(".chat-line", has_text="I'm scared.")
    expect(line).to_be_visible()
    expect(line.locator(".who")).to_have_text("Anonymous 1")  # the peer never needs the pseudonym

    peer.page.go_back()
    peer.page.wait_for_url(re.compile(r"/queue/\d+$"))
    peer.page.get_by_label("Reached and supported").check()
    peer.page.get_by_label("Private note (optional)").fill("Talked in private chat; made a plan for tonight.")
    peer.page.get_by_role("button", name="Close").click()
    expect(peer.page.get_by_role("heading", name="Take a moment")).to_be_visible()
    check_a11y(peer, "debrief")


def test_queue_shows_claims_by_others_live(new_page, grant_role):
    watcher, claimer, writer = new_page(), new_page(), new_page()
    sign_up(watcher, "Queue Watcher")
    sign_up(claimer, "Queue Claimer")
    for name in ("Queue Watcher", "Queue Claimer"):
        grant_role(name, "peer_supporter")
    for p in (watcher, claimer):
        p.goto("/duty")
        p.page.get_by_role("button", name="Go on duty").click()
    sign_up(writer, "Queue Writer")
    write_thread(writer, "wellbeing", "Goodbye", "Goodbye everyone, I have the pills saved and tonight is the night.")
    watcher.goto("/queue")
    item = watcher.page.locator(".queue li").first
    expect(item).to_contain_text("unclaimed")
    claimer.goto("/queue")
    claimer.page.locator(".queue li a").first.click()
    claimer.page.get_by_role("button", name="Claim").click()
    expect(item).to_contain_text("claimed by Queue Claimer", timeout=10_000)
