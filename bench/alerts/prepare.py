#!/usr/bin/env python3
"""Make the bench members in a migrated, seeded Kindred database and sign each one in.

    KINDRED_ENV=test SECRET_KEY=... KINDRED_INSTANCE=/tmp/i DATABASE_URL=sqlite:////tmp/x.sqlite3 \
        .venv/bin/python bench/alerts/prepare.py --chatters 200 --peers 20 --out DIR

Accounts: `accounts.register` (the real service; KINDRED_ENV=test gives its cheap argon2, 1 MiB /
1 pass), peers granted `peer_supporter` with `duty.grant_from_shell` (what `kindred grant` runs,
audited), one sender (a plain member). Each is signed in through the real `/login` view with
Flask's test client (the sign-in rate limit is off in this process only), and its session cookie
goes to DIR/{chatters,peers,sender}.cookies, one `Cookie:` header value per line. The server must
run with the same SECRET_KEY. Prints one JSON line.
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
from app.services import accounts, duty  # noqa: E402

PASSPHRASE = "alerts bench passphrase 4417"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--chatters", type=int, default=200)
    p.add_argument("--peers", type=int, default=20)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    if not (0 <= a.chatters <= 2000 and 1 <= a.peers <= 200):
        raise SystemExit("--chatters 0-2000, --peers 1-200")

    app = create_app(overrides={"RATELIMIT_ENABLED": False, "SOCKETIO_ASYNC_MODE": "threading"})
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    groups = {"chatters": [f"alerts-chat-{i:04d}" for i in range(a.chatters)],
              "peers": [f"alerts-peer-{i:03d}" for i in range(a.peers)],
              "sender": ["alerts-sender"]}
    t0 = time.perf_counter()
    with app.app_context():
        room = db.session.scalar(db.select(Room).where(Room.name == "Drop-in room", Room.kind == "standing"))
        if room is None:
            raise SystemExit("no standing 'Drop-in room': run `flask --app wsgi kindred seed-demo` first")
        room_id = room.id
        for names in groups.values():
            for name in names:
                if accounts.find_by_pseudonym(name) is None:
                    accounts.register(name, PASSPHRASE, PASSPHRASE)
        for name in groups["peers"]:
            duty.grant_from_shell(name, "peer_supporter")
        db.session.remove()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    for group, names in groups.items():
        lines = []
        for name in names:
            client = app.test_client()
            page = client.get("/login")
            m = CSRF_RE.search(page.get_data(as_text=True))
            if not m:
                raise SystemExit("no csrf_token on /login")
            resp = client.post("/login", data={"pseudonym": name, "passphrase": PASSPHRASE,
                                               "csrf_token": m[1] or m[2]})
            cookie = client.get_cookie(cookie_name)
            if resp.status_code != 302 or cookie is None:
                raise SystemExit(f"sign-in failed for {name}: HTTP {resp.status_code}")
            lines.append(f"{cookie_name}={cookie.value}")
        (out / f"{group}.cookies").write_text("".join(x + "\n" for x in lines))
    with app.app_context():  # fold the WAL into the main file so a plain copy of it is complete
        db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        db.session.remove()
        db.engine.dispose()
    print(json.dumps({"chatters": a.chatters, "peers": a.peers, "room": room_id, "cookie_name": cookie_name,
                      "seconds": round(time.perf_counter() - t0, 1)}), flush=True)


if __name__ == "__main__":
    main()
