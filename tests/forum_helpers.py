"""Helpers for forum tests: drive the real forms like a browser."""

from __future__ import annotations

import re

from tests.conftest import Member, csrf_token

_KEY = re.compile(r'name="submission_key" type="hidden" value="([^"]+)"')


def form_key(html: str) -> str:
    """The compose form's submission key; a fresh one when the page shows no form (a locked
    thread), so tests can still try to post as a crafted request would."""
    import secrets

    m = _KEY.search(html)
    return m.group(1) if m else secrets.token_urlsafe(16)


def start_thread(m: Member, slug: str, title: str, body: str, anonymous: bool = False,
                 content_warning: str = "", **extra):
    html = m.client.get(f"/c/{slug}/new").get_data(as_text=True)
    data = {"csrf_token": csrf_token(html), "title": title, "body": body, "content_warning": content_warning,
            "submission_key": form_key(html), **extra}
    if anonymous:
        data["anonymous"] = "y"
    return m.client.post(f"/c/{slug}/new", data=data)


def thread_id(response) -> int:
    return int(re.search(r"/t/(\d+)", response.headers["Location"]).group(1))


def reply(m: Member, tid: int, body: str, anonymous: bool = False, content_warning: str = "", **extra):
    html = m.client.get(f"/t/{tid}").get_data(as_text=True)
    data = {"csrf_token": csrf_token(html), "body": body, "content_warning": content_warning,
            "submission_key": form_key(html), **extra}
    if anonymous:
        data["anonymous"] = "y"
    return m.client.post(f"/t/{tid}/reply", data=data)


def post_id(response) -> int:
    return int(re.search(r"#p(\d+)", response.headers["Location"]).group(1))


def post_button(m: Member, page: str, action: str, data: dict | None = None):
    html = m.client.get(page).get_data(as_text=True)
    return m.client.post(action, data={"csrf_token": csrf_token(html), **(data or {})})
