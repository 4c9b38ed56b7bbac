#!/usr/bin/env python3
"""Prepare a production stack's database for bench/prod: bench members signed in, chat rooms,
forum replies, and the list of forum pages anonymous readers will fetch.

    set -a; . DIR/kindred.env; set +a
    .venv/bin/python bench/prod/make_members.py --count 500 --rooms 4 --out WORKDIR

Runs in one process against the stack's PostgreSQL (DATABASE_URL from DIR/kindred.env), with the
app's own services, as bench/chat/make_users.py does for SQLite: accounts with
`accounts.register`, sign-in through the real `/login` view (GET for the CSRF token, POST the
form) with Flask's test client over https://localhost, so each cookie is a real production
session (`__Host-kindred`, a row in auth_session). Only in this process: argon2 at 1 MiB / 1 pass
and rate limits off; the servers under test never hash during the run.

Writes to --out: `cookies.txt` (one `Cookie:` value per member, in order), `rooms.json` (the
standing room ids, the Drop-in room first) and `urls.txt` (forum paths that answer 200 to an
anonymous reader: `/`, categories, threads). Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Category, Room, Thread  # noqa: E402
from app.services import accounts, forums  # noqa: E402

PASSPHRASE = "prod bench passphrase 5519"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--count", type=int, required=True, help="members to create and sign in")
    p.add_argument("--rooms", type=int, default=4, help="standing rooms to use (the Drop-in room + more)")
    p.add_argument("--replies", type=int, default=40, help="replies added to each of the first 3 demo threads")
    p.add_argument("--out", required=True, help="directory for cookies.txt, rooms.json, urls.txt")
    p.add_argument("--prefix", default="prodbench")
    a = p.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)

    app = create_app(overrides={"ARGON2_MEMORY_KIB": 1024, "ARGON2_TIME_COST": 1, "ARGON2_PARALLELISM": 1,
                                "RATELIMIT_ENABLED": False, "SOCKETIO_ASYNC_MODE": "threading"})
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    t0 = time.perf_counter()
    timings = {}
    with app.app_context():
        rooms = list(db.session.scalars(db.select(Room).where(Room.kind == "standing").order_by(Room.id)))
        if not rooms:
            raise SystemExit("no standing room: start the stack with KINDRED_SEED_DEMO=1")
        for i in range(len(rooms), a.rooms):  # more standing rooms, as an admin would make them
            db.session.add(Room(kind="standing", name=f"Bench room {i + 1}", description="bench/prod"))
        db.session.commit()
        room_ids = list(db.session.scalars(db.select(Room.id).where(Room.kind == "standing")
                                           .order_by(Room.id).limit(a.rooms)))
        names = [f"{a.prefix}-{i:04d}" for i in range(a.count)]
        for name in names:
            if accounts.find_by_pseudonym(name) is None:
                accounts.register(name, PASSPHRASE, PASSPHRASE)
        timings["register_s"] = round(time.perf_counter() - t0, 1)
        # Forum content beyond the demo's: replies to the first threads, so a thread page carries
        # a page of posts. Best effort (a posting rule may refuse a new account's post).
        replies, refused = 0, {}
        threads = list(db.session.scalars(db.select(Thread).order_by(Thread.id).limit(3)))
        for t_i, thread in enumerate(threads):
            for k in range(a.replies):
                author = accounts.find_by_pseudonym(names[(t_i * a.replies + k) % len(names)])
                try:
                    forums.post_reply(author, thread, f"Bench reply {k + 1} to this thread. " * 6)
                    replies += 1
                except Exception as err:  # noqa: BLE001 - recorded, not fatal
                    db.session.rollback()
                    refused[type(err).__name__] = refused.get(type(err).__name__, 0) + 1
        cats = [c.slug for c in db.session.scalars(db.select(Category).order_by(Category.position))]
        thread_ids = list(db.session.scalars(db.select(Thread.id).order_by(Thread.id)))
        db.session.remove()
    t1 = time.perf_counter()
    lines = []
    for name in names:
        client = app.test_client()
        page = client.get("/login", base_url="https://localhost")
        m = CSRF_RE.search(page.get_data(as_text=True))
        if not m:
            raise SystemExit("no csrf_token on /login")
        resp = client.post("/login", base_url="https://localhost", headers={"Referer": "https://localhost/login"},
                           data={"pseudonym": name, "passphrase": PASSPHRASE, "csrf_token": m[1] or m[2]})
        cookie = client.get_cookie(cookie_name, domain="localhost")
        if resp.status_code != 302 or cookie is None:
            raise SystemExit(f"sign-in failed for {name}: HTTP {resp.status_code}")
        lines.append(f"{cookie_name}={cookie.value}")
    timings["sign_in_s"] = round(time.perf_counter() - t1, 1)
    (out / "cookies.txt").write_text("\n".join(lines) + "\n")
    (out / "rooms.json").write_text(json.dumps(room_ids))
    # The pages an anonymous reader can open (200, no sign-in): what the forum readers fetch.
    anon = app.test_client()
    urls = []
    for path in ["/"] + [f"/c/{s}" for s in cats] + [f"/t/{t}" for t in thread_ids]:
        r = anon.get(path, base_url="https://localhost")
        if r.status_code == 200:
            urls.append(path)
    (out / "urls.txt").write_text("\n".join(urls) + "\n")
    print(json.dumps({"members": a.count, "cookie_name": cookie_name, "rooms": room_ids, "replies": replies,
                      "replies_refused": refused, "urls": len(urls), **timings,
                      "seconds": round(time.perf_counter() - t0, 1)}), flush=True)


if __name__ == "__main__":
    main()
