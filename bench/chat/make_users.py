#!/usr/bin/env python3
"""Create N bench members in Kindred's database and sign each one in; write their cookies.

    KINDRED_ENV=production SECRET_KEY=... DATABASE_URL=sqlite:////tmp/x.sqlite3 KINDRED_INSTANCE=/tmp/i \
        .venv/bin/python bench/chat/make_users.py --count 501 --cookies cookies.txt

Accounts are made with the real `accounts.register` and signed in through the real `/login`
view (GET for the CSRF token, POST the form, the session cookie from the response), in process
with Flask's test client over https://localhost so the production cookie (`__Host-kindred`,
Secure) is kept. Only two things differ from a real sign-in, both for speed and both confined to
this process: argon2 runs at 1 MiB / 1 pass (the server under test never hashes during the
benchmark), and the sign-in rate limit is off. Each line of the output is one `Cookie:` header
value, for ../shared/bench/chat_fanout.py --cookie-file. Prints one JSON line.
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

from sqlalchemy import text  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Room  # noqa: E402
from app.services import accounts  # noqa: E402

PASSPHRASE = "fan-out bench passphrase 7731"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--count", type=int, required=True, help="members to create (clients + 1 sender)")
    p.add_argument("--cookies", required=True, help="output: one Cookie header value per line")
    p.add_argument("--prefix", default="fanout")
    p.add_argument("--room-name", default="Drop-in room", help="print this standing room's id")
    a = p.parse_args()

    app = create_app(overrides={"ARGON2_MEMORY_KIB": 1024, "ARGON2_TIME_COST": 1, "ARGON2_PARALLELISM": 1,
                                "RATELIMIT_ENABLED": False, "SOCKETIO_ASYNC_MODE": "threading"})
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    t0 = time.perf_counter()
    lines = []
    with app.app_context():
        room = db.session.scalar(db.select(Room).where(Room.name == a.room_name, Room.kind == "standing"))
        if room is None:
            raise SystemExit(f"no standing room named {a.room_name!r}: run `flask kindred seed-demo` first")
        room_id = room.id
        names = [f"{a.prefix}-{i:04d}" for i in range(a.count)]
        for name in names:
            if accounts.find_by_pseudonym(name) is None:
                accounts.register(name, PASSPHRASE, PASSPHRASE)
        db.session.remove()
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
    Path(a.cookies).write_text("\n".join(lines) + "\n")
    with app.app_context():  # fold the WAL into the main file so a plain copy of it is complete
        db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        db.session.remove()
        db.engine.dispose()
    print(json.dumps({"members": a.count, "cookies": a.cookies, "cookie_name": cookie_name, "room": room_id,
                      "seconds": round(time.perf_counter() - t0, 1)}), flush=True)


if __name__ == "__main__":
    main()
