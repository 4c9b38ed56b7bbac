#!/usr/bin/env python3
"""Generate a large Kindred community in a fresh SQLite database, for the forum benchmark.

    .venv/bin/python bench/forum/generate.py --db bench/results/db/big.sqlite3 \
        --members 50000 --threads 100000 --posts 1000000 [--seed 1] [--big-thread-posts 10000]

The schema comes from the project's real migrations (`flask db upgrade` in a subprocess), so the
database is exactly what Kindred runs on. Rows are then bulk-loaded with plain sqlite3
(`executemany`, big transactions, synchronous=OFF, secondary indexes dropped during the load and
rebuilt after). Columns this script does not know about (added by later migrations) get NULL if
nullable, else their server default, else 0 / '' / a timestamp by declared type.

Shape:
- members: `bench000001`... (one precomputed argon2id hash shared by all; nobody signs in);
  post authorship is skewed (a few prolific members, a long tail).
- the 11 community categories (or the ones the migrations created, if any).
- thread 1 is the "big thread": exactly --big-thread-posts posts, started first, so it exists
  with the same shape at every scale and its pages can be compared across databases.
- every other thread has an opening post; the rest of the posts are spread over threads with
  log-normal weights (most threads short, some a few thousand posts long).
- post ids follow one global timeline (threads interleave, as on a real forum); created_at
  ascends with id within each thread; ~3% of posts are "Anonymous N" with thread_alias rows.
- post_fts (FTS5, rowid = post id, title = thread title, body = body_md) when the table exists.

Writes PATH.json beside the database: the counts, the big thread's id and some of its post ids
(for keyset `?after=` URLs), the category slugs, and timings. Deterministic for a given seed.
"""

from __future__ import annotations

import argparse
import bisect
import html
import itertools
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repository root (bench/forum/generate.py)

CATEGORIES = [  # slug, name, description
    ("welcome", "Welcome and introductions", "New here? Say hello, in as much or as little detail as you like."),
    ("newly-diagnosed", "Newly diagnosed", "The first weeks and months: questions, fears, first appointments."),
    ("living-with-hiv", "Living with HIV", "Everyday life, long-term health, getting older with HIV."),
    ("hepatitis-c", "Hepatitis C", "Testing, treatment, cure, and life after."),
    ("treatment", "Treatment and side effects", "Medication, routines, side effects, talking to your clinic."),
    ("mental-health", "Mental health and wellbeing", "Low days, anxiety, sleep, what helps."),
    ("disclosure", "Disclosure", "Telling partners, family, friends or nobody: your call."),
    ("relationships", "Relationships and dating", "Love, sex, dating, U=U, mixed-status couples."),
    ("family", "Family, pregnancy and parenting", "Pregnancy, children, family life."),
    ("work-rights", "Work, money and rights", "Work, benefits, insurance, travel, discrimination."),
    ("off-topic", "Off topic", "Anything else: hobbies, pets, good news."),
]

WORDS = (
    "support peer clinic results today week feel better talk group meds doctor thanks listening "
    "story hope viral load undetectable appointment nurse pharmacy sleep tired anxious family "
    "partner friend work tablet routine morning evening bloods test counsellor waiting news "
    "honest scared relieved proud months years again first time really helped maybe tomorrow "
    "small steps kind words &amp <angle> brackets \"quotes\" it's okay not alone here"
).split()

EPOCH_END = datetime(2026, 11, 1)
SPAN = timedelta(days=3 * 365)
EPOCH_START = EPOCH_END - SPAN


def log(msg: str) -> None:
    print(msg, flush=True)


def migrate(db_path: Path) -> float:
    """Create the schema with the project's own migrations (Flask-Migrate / Alembic)."""
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="kindred-bench-instance-") as instance:
        env = {**os.environ, "KINDRED_ENV": "test", "DATABASE_URL": f"sqlite:///{db_path}",
               "KINDRED_INSTANCE": instance}
        env.pop("SECRET_KEY", None)
        subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
                       cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, timeout=300)
    return time.perf_counter() - t0


def shared_passphrase_hash() -> str:
    """One real argon2id hash (Kindred's own parameters), reused by every bench account."""
    sys.path.insert(0, str(ROOT))
    try:
        from argon2 import PasswordHasher

        from config import Config

        return PasswordHasher(memory_cost=Config.ARGON2_MEMORY_KIB, time_cost=Config.ARGON2_TIME_COST,
                              parallelism=Config.ARGON2_PARALLELISM).hash("bench passphrase not for use")
    except ImportError:  # not in the project's venv: a syntactically valid placeholder
        return "$argon2id$v=19$m=19456,t=2,p=1$YmVuY2hzYWx0YmVuY2g$" + "A" * 43


def pseudonym_skeleton_fn():
    """Kindred's own skeleton function when importable, so bench names obey the real rule."""
    try:
        from app.services.pseudonyms import canonical, skeleton

        return lambda name: (canonical(name), skeleton(canonical(name)))
    except ImportError:
        return lambda name: (name.casefold(), name.casefold())


class Table:
    """Column-aware INSERT for one table: fills columns the script doesn't know about."""

    def __init__(self, conn: sqlite3.Connection, name: str, given: list[str]):
        self.name = name
        info = conn.execute(f"PRAGMA table_info({name})").fetchall()
        if not info:
            raise SystemExit(f"table {name!r} is missing: did the migrations change?")
        known = {row[1] for row in info}
        missing = [c for c in given if c not in known]
        if missing:
            raise SystemExit(f"{name}: columns {missing} are gone from the schema; update generate.py")
        self.extra: list[tuple[str, object]] = []
        for _cid, col, ctype, notnull, dflt, pk in info:
            if col in given or pk or not notnull or dflt is not None:
                continue
            self.extra.append((col, _filler(ctype)))
        cols = given + [c for c, _ in self.extra]
        self.extra_values = tuple(v for _, v in self.extra)
        self.sql = f"INSERT INTO {name} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        if self.extra:
            log(f"  {name}: filling unknown NOT NULL columns {[c for c, _ in self.extra]} with defaults")

    def insert(self, conn: sqlite3.Connection, rows) -> None:
        if self.extra_values:
            extra = self.extra_values
            rows = (tuple(r) + extra for r in rows)
        conn.executemany(self.sql, rows)


def _filler(ctype: str) -> object:
    t = ctype.upper()
    if "DATE" in t or "TIME" in t:
        return EPOCH_START.isoformat(" ")
    if any(k in t for k in ("INT", "BOOL", "NUM", "REAL", "FLOA", "DOUB", "DEC")):
        return 0
    if "JSON" in t:
        return "{}"
    return ""


def ts(dt: datetime) -> str:
    # SQLAlchemy's SQLite DateTime storage format.
    return dt.strftime("%Y-%m-%d %H:%M:%S.%f")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", required=True, type=Path)
    ap.add_argument("--members", type=int, required=True)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--posts", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--big-thread-posts", type=int, default=10_000)
    ap.add_argument("--anonymous-share", type=float, default=0.03)
    a = ap.parse_args(argv)
    if a.members < 1 or a.threads < 1 or a.big_thread_posts < 1:
        ap.error("--members, --threads and --big-thread-posts must be at least 1")
    if a.posts < a.big_thread_posts + (a.threads - 1):
        ap.error(f"--posts must be at least --big-thread-posts + threads - 1 "
                 f"({a.big_thread_posts + a.threads - 1}): every thread has an opening post")

    rnd = random.Random(a.seed)
    timings: dict[str, float] = {}
    t_all = time.perf_counter()
    db_path = a.db.resolve()
    db_path.parent.mkdir(parents=True, exist_ok=True)
    meta_path = db_path.with_name(db_path.name + ".json")
    for p in (db_path, Path(f"{db_path}-wal"), Path(f"{db_path}-shm"), meta_path):
        p.unlink(missing_ok=True)

    log(f"== migrations -> {db_path}")
    timings["migrate_s"] = migrate(db_path)
    head = None

    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-400000")  # 400 MB page cache during the load
    conn.execute("PRAGMA temp_store=MEMORY")
    conn.execute("PRAGMA foreign_keys=OFF")  # rows go in parent-first anyway; checked below
    try:
        head = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    except sqlite3.Error:
        pass
    has_fts = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE name = 'post_fts'").fetchone() is not None

    # Drop the secondary indexes of the big tables during the load; rebuilt (same SQL) at the end.
    big_tables = ("member", "thread", "post", "thread_alias")
    saved_indexes = conn.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({', '.join('?' * len(big_tables))})", big_tables).fetchall()
    for name, _sql in saved_indexes:
        conn.execute(f'DROP INDEX "{name}"')

    # ---- members
    t0 = time.perf_counter()
    pw_hash = shared_passphrase_hash()
    key_skel = pseudonym_skeleton_fn()
    members = Table(conn, "member", ["id", "pseudonym", "pseudonym_key", "pseudonym_skeleton",
                                     "passphrase_hash", "created_at", "discreet_mode"])

    def member_rows():
        for i in range(1, a.members + 1):
            name = f"bench{i:06d}"
            key, skel = key_skel(name)
            joined = EPOCH_START - timedelta(days=30) + timedelta(seconds=rnd.randrange(int(SPAN.total_seconds())))
            yield (i, name, key, skel, pw_hash, ts(joined), 0)

    conn.execute("BEGIN")
    members.insert(conn, member_rows())
    conn.execute("COMMIT")
    timings["members_s"] = time.perf_counter() - t0
    log(f"  members: {a.members:,} in {timings['members_s']:.1f}s")

    # ---- categories: the ones the migrations made, else the 11 community categories
    cats = conn.execute("SELECT id, slug FROM category ORDER BY position, id").fetchall()
    if not cats:
        ctable = Table(conn, "category", ["id", "slug", "name", "description", "position",
                                          "is_group", "created_at"])
        conn.execute("BEGIN")
        ctable.insert(conn, ((i, slug, name, desc, i, 0, ts(EPOCH_START - timedelta(days=60)))
                             for i, (slug, name, desc) in enumerate(CATEGORIES, start=1)))
        conn.execute("COMMIT")
        cats = conn.execute("SELECT id, slug FROM category ORDER BY position, id").fetchall()
    cat_ids = [c[0] for c in cats]

    # ---- the timeline: thread starts, post counts, post times, then global ordering by time
    t0 = time.perf_counter()
    span_s = SPAN.total_seconds()
    # Thread 1 (the big thread) starts first; the others start uniformly over the span.
    starts = [0.0] + sorted(rnd.random() * span_s * 0.98 for _ in range(a.threads - 1))
    counts = [1] * a.threads
    counts[0] = a.big_thread_posts
    spare = a.posts - a.big_thread_posts - (a.threads - 1)
    if a.threads > 1 and spare > 0:
        weights = [rnd.lognormvariate(0.0, 1.5) for _ in range(a.threads - 1)]
        cum = list(itertools.accumulate(weights))
        total = cum[-1]
        for _ in range(spare):
            counts[1 + bisect.bisect_left(cum, rnd.random() * total)] += 1
    elif spare > 0:
        counts[0] += spare
    # One (time, thread index) per post: the opening post at the thread's start, replies after it.
    events: list[tuple[float, int]] = []
    for t, (start, n) in enumerate(zip(starts, counts)):
        events.append((start, t))
        room = span_s - start
        # Replies cluster early in a thread's life (activity decays), capped at the span's end.
        events.extend((start + min(room, rnd.expovariate(1.0) * room / 4) * (1 - 1e-9) + 1e-6, t)
                      for _ in range(n - 1))
    events.sort()
    timings["timeline_s"] = time.perf_counter() - t0
    log(f"  timeline: {len(events):,} posts over {a.threads:,} threads in {timings['timeline_s']:.1f}s "
        f"(longest other thread: {max(counts[1:], default=0):,} posts)")

    # Authors: skewed (a tenth of the members write most posts).
    aw = list(itertools.accumulate(rnd.paretovariate(1.16) for _ in range(a.members)))
    aw_total = aw[-1]

    def author() -> int:
        return 1 + min(a.members - 1, bisect.bisect_left(aw, rnd.random() * aw_total))

    titles = []
    for t in range(a.threads):
        words = " ".join(rnd.choices(WORDS, k=rnd.randint(3, 9)))
        titles.append(("Big thread: " if t == 0 else "") + words[:1].upper() + words[1:])
    thread_author = [author() for _ in range(a.threads)]
    thread_cat = [cat_ids[0]] + [rnd.choice(cat_ids) for _ in range(a.threads - 1)]

    bodies = []
    for _ in range(4096):
        paras = [" ".join(rnd.choices(WORDS, k=rnd.randint(8, 60))) for _ in range(rnd.choice((1, 1, 1, 2, 3)))]
        md = "\n\n".join(paras)
        bodies.append((md, "".join(f"<p>{html.escape(p, quote=False)}</p>\n" for p in paras)))

    # ---- posts (and thread bookkeeping) in one pass, in big transactions
    t0 = time.perf_counter()
    posts = Table(conn, "post", ["id", "thread_id", "author_id", "alias_number", "body_md",
                                 "body_html", "created_at"])
    fts_sql = "INSERT INTO post_fts (rowid, title, body) VALUES (?, ?, ?)"
    last_post_id = [0] * a.threads
    last_post_at = [0.0] * a.threads
    seen = [0] * a.threads
    alias_of: dict[tuple[int, int], int] = {}
    alias_count = [0] * a.threads
    big_ids: list[int] = []
    batch, fts_batch = [], []
    BATCH = 100_000
    fts_s = 0.0

    def flush():
        nonlocal fts_s
        conn.execute("BEGIN")
        posts.insert(conn, batch)
        if has_fts:
            tf = time.perf_counter()
            conn.executemany(fts_sql, fts_batch)
            fts_s += time.perf_counter() - tf
        conn.execute("COMMIT")
        batch.clear()
        fts_batch.clear()

    for pid, (when, t) in enumerate(events, start=1):
        who = thread_author[t] if seen[t] == 0 else author()
        seen[t] += 1
        alias = None
        if seen[t] > 1 and rnd.random() < a.anonymous_share:
            alias = alias_of.get((t, who))
            if alias is None:
                alias_count[t] += 1
                alias = alias_of[(t, who)] = alias_count[t]
        md, body_html = bodies[rnd.randrange(len(bodies))]
        batch.append((pid, t + 1, who, alias, md, body_html, ts(EPOCH_START + timedelta(seconds=when))))
        if has_fts:
            fts_batch.append((pid, titles[t], md))
        last_post_id[t] = pid
        last_post_at[t] = when
        if t == 0:
            big_ids.append(pid)
        if len(batch) >= BATCH:
            flush()
            log(f"    posts: {pid:,} ({time.perf_counter() - t0:.0f}s)")
    if batch:
        flush()
    timings["posts_s"] = time.perf_counter() - t0
    timings["fts_s"] = fts_s
    log(f"  posts: {len(events):,} in {timings['posts_s']:.1f}s (FTS share {fts_s:.1f}s)")

    # ---- threads (after posts: they carry last_post_id / post_count)
    t0 = time.perf_counter()
    threads = Table(conn, "thread", ["id", "category_id", "title", "author_id", "created_at",
                                     "last_post_at", "last_post_id", "post_count", "pinned",
                                     "locked", "alias_count"])
    pinned = set(rnd.sample(range(1, a.threads), min(2 * len(cat_ids), a.threads - 1)))
    conn.execute("BEGIN")
    threads.insert(conn, (
        (t + 1, thread_cat[t], titles[t], thread_author[t], ts(EPOCH_START + timedelta(seconds=starts[t])),
         ts(EPOCH_START + timedelta(seconds=last_post_at[t])), last_post_id[t], counts[t],
         1 if t in pinned else 0, 0, alias_count[t])
        for t in range(a.threads)))
    aliases = Table(conn, "thread_alias", ["thread_id", "member_id", "number"])
    aliases.insert(conn, ((t + 1, who, n) for (t, who), n in sorted(alias_of.items(), key=lambda kv: (kv[0][0], kv[1]))))
    conn.execute("COMMIT")
    timings["threads_s"] = time.perf_counter() - t0
    log(f"  threads: {a.threads:,} and {len(alias_of):,} aliases in {timings['threads_s']:.1f}s")

    # ---- indexes back, statistics, checkpoint
    t0 = time.perf_counter()
    for _name, sql in saved_indexes:
        conn.execute(sql)
    timings["indexes_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    conn.execute("ANALYZE")
    if has_fts:
        conn.execute("INSERT INTO post_fts (post_fts) VALUES ('optimize')")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    timings["analyze_optimize_s"] = time.perf_counter() - t0
    bad_fk = conn.execute("PRAGMA foreign_key_check").fetchmany(5)
    if bad_fk:
        raise SystemExit(f"foreign key violations after load: {bad_fk}")
    conn.close()
    timings["total_s"] = time.perf_counter() - t_all

    big = {"id": 1, "category_id": thread_cat[0], "posts": counts[0],
           "post_ids": {"first": big_ids[0], "p30": big_ids[min(29, len(big_ids) - 1)],
                        "middle": big_ids[len(big_ids) // 2], "last": big_ids[-1]}}
    slug_by_id = dict(cats)
    meta = {
        "complete": True, "db": str(db_path), "alembic_head": head, "seed": a.seed,
        "members": a.members, "threads": a.threads, "posts": len(events), "fts": has_fts,
        "categories": [{"id": c, "slug": s, "threads": thread_cat.count(c)} for c, s in cats],
        "big_thread": {**big, "category_slug": slug_by_id[thread_cat[0]]},
        "longest_other_thread_posts": max(counts[1:], default=0),
        "anonymous_posts_aliases": len(alias_of),
        "db_bytes": db_path.stat().st_size,
        "timings": {k: round(v, 2) for k, v in timings.items()},
    }
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    log(f"== done in {timings['total_s']:.1f}s: {db_path} ({meta['db_bytes'] / 1e6:.0f} MB), {meta_path.name}")
    log("   timings: " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
