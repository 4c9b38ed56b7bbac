"""The forums in a real browser: write with Markdown and a content warning, reply as
Anonymous, react, report, and see a live "new reply" notice arrive."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import wait_until
from tests.browser.test_flows import sign_up

pytestmark = pytest.mark.browser


def write_thread(p, slug: str, title: str, body: str, warning: str = ""):
    p.goto(f"/c/{slug}")
    p.page.get_by_role("link", name="Start a thread").click()
    p.page.get_by_label("Title").fill(title)
    p.page.get_by_label("Your post").fill(body)
    if warning:
        p.page.get_by_label("Content warning (optional)").fill(warning)
    p.page.get_by_role("button", name="Post thread").click()


def test_thread_with_markdown_warning_anonymous_reply_reaction_report(new_page, check_a11y):
    writer, replier = new_page(), new_page()
    sign_up(writer, "Forum Writer")
    writer.goto("/")
    check_a11y(writer, "home-signed-in")
    writer.page.get_by_role("link", name="Treatment and side effects").click()
    check_a11y(writer, "category")
    writer.page.get_by_role("link", name="Start a thread").click()
    writer.page.get_by_label("Title").fill("Night sweats on my new meds")
    writer.page.get_by_label("Your post").fill("Week two on **new meds**.\n\n- sweats\n- vivid dreams\n\nAnyone else?")
    writer.page.get_by_label("Content warning (optional)").fill("body stuff")
    # Preview first: rendered by the server, nothing posted yet.
    writer.page.get_by_role("button", name="Preview").click()
    expect(writer.page.locator(".preview strong")).to_have_text("new meds")
    check_a11y(writer, "preview")
    writer.page.get_by_role("button", name="Post thread").click()
    expect(writer.page.get_by_role("heading", name="Night sweats on my new meds")).to_be_visible()
    thread_url = writer.page.url

    sign_up(replier, "Forum Replier")
    replier.page.goto(thread_url)
    # The content warning hides the post until the reader opens it.
    body = replier.page.locator("details.cw .post-body").first
    expect(body).to_be_hidden()
    replier.page.get_by_text("Content warning: body stuff").click()
    expect(body.locator("strong")).to_have_text("new meds")
    check_a11y(replier, "thread")
    replier.page.get_by_label("Your post").fill("Same here, it eased after a month.")
    replier.page.get_by_label("Post as Anonymous").check()
    replier.page.get_by_role("button", name="Post reply").click()
    expect(replier.page.get_by_text("Same here, it eased after a month.")).to_be_visible()
    expect(replier.page.locator("article.post .author").last).to_have_text("Anonymous 1")
    assert "Forum Replier" not in replier.page.locator("#posts").inner_text()

    replier.page.locator("article.post").first.get_by_role("button", name="Hug").click()
    expect(replier.page.locator("article.post").first.get_by_role("button", name="Hug 1")).to_have_attribute(
        "aria-pressed", "true")

    replier.page.locator("article.post").first.get_by_role("link", name="Report").click()
    check_a11y(replier, "report")
    replier.page.get_by_label("Harmful health misinformation").check()
    replier.page.get_by_role("button", name="Send report").click()
    expect(replier.page.get_by_text("The moderators will look at it")).to_be_visible()


def test_live_new_reply_notice(new_page):
    reader, writer = new_page(), new_page()
    sign_up(writer, "Live Writer")
    write_thread(writer, "off-topic", "Who is around tonight?", "Just saying hello.")
    thread_url = writer.page.url.split("#")[0]
    sign_up(reader, "Live Reader")
    reader.page.goto(thread_url)
    wait_until(reader.page, "window.kindredForumSocket && window.kindredForumSocket.connected")
    notice = reader.page.locator("#live-notice")
    expect(notice).to_be_hidden()
    writer.page.get_by_label("Your post").fill("Me! Making tea.")
    writer.page.get_by_role("button", name="Post reply").click()
    expect(notice).to_be_visible(timeout=10_000)
    expect(notice).to_contain_text("1 new reply")
    writer.page.get_by_label("Your post").fill("And biscuits.")
    writer.page.get_by_role("button", name="Post reply").click()
    expect(notice).to_contain_text("2 new replies", timeout=10_000)
    notice.get_by_role("link").click()
    expect(reader.page.get_by_text("And biscuits.")).to_be_visible()


def test_crisis_post_shows_the_writer_support(new_page, check_a11y):
    p = new_page()
    sign_up(p, "Support Seeker")
    write_thread(p, "wellbeing", "Tonight", "I have the pills in front of me and I want to die tonight.")
    panel = p.page.get_by_role("region", name="We're glad you wrote this down")
    expect(panel).to_be_visible()
    expect(panel).to_contain_text("Only you can see this")
    expect(panel).to_contain_text("Talk to a peer supporter")
    check_a11y(p, "support-panel")


def test_composer_warns_about_identifying_details(new_page):
    p = new_page()
    sign_up(p, "Careful Writer")
    p.goto("/c/disclosure/new")
    p.page.get_by_label("Your post").fill("My ex John Smith is HIV positive and lives at 12 Acacia Avenue")
    warning = p.page.locator("#identify-warning")
    expect(warning).to_be_visible(timeout=5_000)
    expect(warning).to_contain_text("street address")
    p.page.get_by_label("Your post").fill("Feeling nervous about telling someone.")
    expect(warning).to_be_hidden(timeout=5_000)


@pytest.mark.parametrize("path", ["/c/treatment", "/search?q=meds"])
def test_forum_pages_fit_a_phone(new_page, check_a11y, path):
    p = new_page(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    p.goto(path)
    overflow = p.page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    check_a11y(p, "phone" + re.sub(r"\W", "-", path))


def test_composer_offers_support_before_anything_is_sent(new_page):
    p = new_page()
    sign_up(p, "Draft Writer")
    p.goto("/c/wellbeing/new")
    panel = p.page.locator("#draft-support")
    expect(panel).to_be_hidden()
    p.page.get_by_label("Your post").fill("I want to die. I have the pills saved up for tonight.")
    expect(panel).to_be_visible(timeout=5_000)
    expect(panel.get_by_role("link", name="Talk to a peer supporter now")).to_be_visible()
