"""In-process cost of the forum pages (Flask test client, no HTTP): median ms per page.

    .venv/bin/python bench/forum/inproc.py --db COPY.sqlite3 [-n 300] [--profile thread-member]

Runs Kindred as run.sh does (production config, micro-cache off unless ANON_PAGE_CACHE_SECONDS is
set) against a generated database. Signs a member in for the "member" pages by adding a session
row, and (once) a thread_read marker: **use a copy of the benchmark database**, it is written to.
Pages: category (the big thread's), thread first page, thread at its middle post; each anonymous
and signed in, in English, plus the thread in French. Prints median and p90 per page.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("-n", type=int, default=300)
    ap.add_argument("--only", default="", help="comma-separated page names")
    ap.add_argument("--profile", default="", help="a page name: cProfile it instead of timing")
    args = ap.parse_args()

    os.environ.setdefault("KINDRED_ENV", "production")
    os.environ.setdefault("SECRET_KEY", "bench-not-secret")
    os.environ.setdefault("SOCKETIO_ASYNC_MODE", "threading")
    os.environ.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    os.environ.setdefault("KINDRED_BACKGROUND_JOBS", "0")
    os.environ.setdefault("ANON_PAGE_CACHE_SECONDS", "0")
    os.environ["DATABASE_URL"] = f"sqlite:///{Path(args.db).resolve()}"
    os.environ["KINDRED_INSTANCE"] = tempfile.mkdtemp(prefix="kindred-inproc-")
    sys.path.insert(0, str(ROOT))

    meta = json.loads(Path(args.db + ".json").read_text()) if Path(args.db + ".json").exists() else {}
    big = meta.get("big_thread", {})
    tid = big.get("id", 1)
    slug = big.get("category_slug", "welcome")
    middle = big.get("post_ids", {}).get("middle")

    from sqlalchemy import select, text

    from app import create_app
    from app.extensions import db
    from app.models import AuthSession, Member

    app = create_app()
    token = secrets.token_urlsafe(32)
    with app.app_context():
        # A member who wrote in the big thread (so some posts are theirs).
        author = db.session.execute(text("SELECT author_id FROM post WHERE thread_id = :t AND author_id IS NOT NULL "
                                         "ORDER BY id LIMIT 1 OFFSET 3"), {"t": tid}).scalar()
        member = db.session.get(Member, author)
        db.session.add(AuthSession(token_hash=hashlib.sha256(token.encode()).hexdigest(), member_id=member.id))
        db.session.commit()

    anon = app.test_client()
    me = app.test_client()
    me.set_cookie(app.config["SESSION_COOKIE_NAME"], "", domain="localhost")
    with me.session_transaction(base_url="https://localhost") as s:
        s["sid"] = token
        s["seen"] = int(time.time()) + 10**6  # never "touched" during the run
    pages = {
        "category-anon": (anon, f"/c/{slug}", {}),
        "category-member": (me, f"/c/{slug}", {}),
        "thread-anon": (anon, f"/t/{tid}", {}),
        "thread-member": (me, f"/t/{tid}", {}),
        "thread-anon-fr": (anon, f"/t/{tid}", {"Accept-Language": "fr"}),
        "deep-anon": (anon, f"/t/{tid}?after={middle}", {}),
    }
    if args.only:
        pages = {k: v for k, v in pages.items() if k in args.only.split(",")}

    def get(client, path, headers):
        r = client.get(path, headers=headers, base_url="https://localhost")
        assert r.status_code == 200, (path, r.status_code, r.get_data(as_text=True)[:500])
        return r

    for name, (client, path, headers) in pages.items():  # warm up (and mark read once)
        for _ in range(5):
            r = get(client, path, headers)
        if name.endswith("member"):
            assert b"Sign out" in r.data, "the member is not signed in"

    if args.profile:
        import cProfile
        import pstats

        client, path, headers = pages[args.profile]
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(args.n):
            get(client, path, headers)
        prof.disable()
        st = pstats.Stats(prof)
        st.sort_stats("tottime").print_stats(35)
        st.sort_stats("cumulative").print_stats(60)
        return 0

    results = {name: [] for name in pages}
    for _ in range(args.n):  # interleaved, so a busy moment hits every page alike
        for name, (client, path, headers) in pages.items():
            t0 = time.perf_counter()
            get(client, path, headers)
            results[name].append((time.perf_counter() - t0) * 1000)
    for name, times in results.items():
        times.sort()
        print(f"{name:18s} median {statistics.median(times):6.3f} ms   p90 {times[int(len(times) * 0.9)]:6.3f} ms"
              f"   bytes {len(get(*pages[name]).data)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
