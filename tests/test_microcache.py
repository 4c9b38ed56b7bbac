"""The micro-cache of public pages for readers who are not signed in (app/web/microcache.py)."""

from __future__ import annotations

import time

from tests.conftest import Member, PASSPHRASE
from tests.db import connect
from tests.forum_helpers import reply, start_thread, thread_id


def test_anonymous_readers_share_a_page_for_a_moment_and_members_never_do(make_app, db_path, categories):
    app = make_app(ANON_PAGE_CACHE_SECONDS=1)
    writer = Member(app.test_client(), "writer", PASSPHRASE)
    writer.register()
    tid = thread_id(start_thread(writer, "treatment", "Cached thread", "The first words"))
    reader = app.test_client()
    first = reader.get(f"/t/{tid}")
    assert first.status_code == 200 and "The first words" in first.get_data(as_text=True)
    assert "Set-Cookie" not in first.headers
    with connect(db_path) as con:  # a change this worker didn't make (another worker's, say)
        con.execute("UPDATE post SET body_html = '<p>Changed elsewhere</p>'")
    again = reader.get(f"/t/{tid}")
    assert "The first words" in again.get_data(as_text=True)          # served from the cache
    assert again.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]
    assert "Changed elsewhere" in writer.client.get(f"/t/{tid}").get_data(as_text=True)  # members: fresh
    time.sleep(1.1)
    assert "Changed elsewhere" in reader.get(f"/t/{tid}").get_data(as_text=True)   # the TTL passed


def test_a_write_on_this_worker_empties_the_cache_at_once(make_app, categories):
    app = make_app(ANON_PAGE_CACHE_SECONDS=60)
    writer = Member(app.test_client(), "writer", PASSPHRASE)
    writer.register()
    tid = thread_id(start_thread(writer, "treatment", "Cached thread", "The first words"))
    reader = app.test_client()
    assert "A later reply" not in reader.get(f"/t/{tid}").get_data(as_text=True)
    assert reply(writer, tid, "A later reply").status_code == 303
    assert "A later reply" in reader.get(f"/t/{tid}").get_data(as_text=True)


def test_each_language_gets_its_own_page(make_app, categories):
    app = make_app(ANON_PAGE_CACHE_SECONDS=60)
    reader = app.test_client()
    english = reader.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    french = reader.get("/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert '<html lang="en"' in english and '<html lang="fr"' in french
