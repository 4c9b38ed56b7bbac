"""A micro-cache of public pages for readers who are not signed in.

The forum's busiest pages (the category list, a category, a thread) are read mostly by people
who are not signed in, and for them every worker would build the same HTML many times a second.
For ANON_PAGE_CACHE_SECONDS (2 in production) a worker keeps the page it built for a path and
language and serves it again to the next anonymous reader. Signed-in members never get a cached
page (theirs carry forms, tokens, their own state), nor does any response that sets a cookie or
is not a plain 200. Any successful write handled by this worker empties its cache at once, so
what someone removes disappears from anonymous pages within the TTL on other workers and at
once on this one. Nothing personal is kept: the pages are what every anonymous reader sees.
"""

from __future__ import annotations

import time
from functools import wraps

from flask import Flask, current_app, make_response, request

MAX_ENTRIES = 2000


def _store() -> dict:
    return current_app.extensions.setdefault("kindred_microcache", {})


def anonymous_pages(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        ttl = current_app.config.get("ANON_PAGE_CACHE_SECONDS", 0)
        if not ttl or request.method != "GET":
            return view(*args, **kwargs)
        from flask_babel import get_locale

        from app.services import sessions

        if sessions.current_member() is not None:
            return view(*args, **kwargs)
        key = (request.full_path, str(get_locale()))
        store, now = _store(), time.monotonic()
        hit = store.get(key)
        if hit is not None and hit[0] > now:
            return make_response(hit[1])
        response = make_response(view(*args, **kwargs))
        if (response.status_code == 200 and response.mimetype == "text/html"
                and "Set-Cookie" not in response.headers and not response.direct_passthrough):
            if len(store) >= MAX_ENTRIES:
                store.clear()
            store[key] = (now + ttl, response.get_data())
        return response

    return wrapper


def register(app: Flask) -> None:
    @app.after_request
    def _forget_after_writes(response):
        if request.method not in ("GET", "HEAD", "OPTIONS") and response.status_code < 400:
            app.extensions.get("kindred_microcache", {}).clear()
        return response
