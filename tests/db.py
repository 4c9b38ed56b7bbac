"""The suite's databases, on either engine.

`make test` runs the suite twice: on SQLite (a migrated file copied per test) and on PostgreSQL
plus Redis (`KINDRED_TEST_DATABASE_URL` and `KINDRED_TEST_REDIS_URL`, servers started by
scripts/services.sh; a migrated template database cloned per test with CREATE DATABASE ...
TEMPLATE). Tests read and poke rows with `connect(db)`, plain DB-API with `?` placeholders on both.
"""

from __future__ import annotations

import itertools
import os
import shutil
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PG_URL = os.environ.get("KINDRED_TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("KINDRED_TEST_REDIS_URL", "") or None
ON_POSTGRES = PG_URL.startswith("postgresql")
_counter = itertools.count(1)


@dataclass
class TestDB:
    url: str                   # SQLAlchemy URL the app uses
    path: Path | None = None   # the SQLite file, when on SQLite
    name: str | None = None    # the PostgreSQL database, when on PostgreSQL

    @property
    def is_sqlite(self) -> bool:
        return self.path is not None

    # Old tests called sqlite3 with the path; keep `db.parent` meaning "this test's folder".
    @property
    def parent(self) -> Path:
        assert self.path is not None
        return self.path.parent


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _with_db(url: str, name: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + name


def _admin():
    import psycopg

    return psycopg.connect(_libpq(PG_URL), autocommit=True)


def create_pg_database(template: str | None = None) -> TestDB:
    name = f"kt_{os.getpid()}_{next(_counter)}"
    with _admin() as con:
        if template:
            con.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
        else:
            con.execute(f'CREATE DATABASE "{name}"')
    return TestDB(url=_with_db(PG_URL, name), name=name)


def drop_pg_database(db: TestDB) -> None:
    import time

    import psycopg

    for attempt in range(5):  # an autovacuum worker may be finishing in it
        try:
            with _admin() as con:
                con.execute(f'DROP DATABASE IF EXISTS "{db.name}" WITH (FORCE)')
            return
        except (psycopg.OperationalError, psycopg.errors.InsufficientPrivilege):
            if attempt == 4:
                raise
            time.sleep(0.5)


def new_sqlite(tmp: Path, template: Path | None = None) -> TestDB:
    path = tmp / "kindred.sqlite3"
    if template is not None:
        shutil.copy(template, path)
    return TestDB(url=f"sqlite:///{path}", path=path)


class _Cursor:
    def __init__(self, cur):
        self._cur = cur

    def fetchone(self):
        return self._cur.fetchone()

    def fetchall(self):
        return self._cur.fetchall()

    def __iter__(self):
        return iter(self._cur.fetchall())


class _PgConnection:
    def __init__(self, con):
        self._con = con

    def execute(self, sql: str, params=()):
        if params:
            sql = sql.replace("%", "%%").replace("?", "%s")
        cur = self._con.cursor()
        cur.execute(sql, tuple(params) if params else None)
        return _Cursor(cur) if cur.description is not None else cur


@contextmanager
def connect(db: TestDB):
    """A DB-API connection to this test's database; commits on leaving the block."""
    if db.is_sqlite:
        con = sqlite3.connect(db.path)
        try:
            with con:
                yield con
        finally:
            con.close()
        return
    import psycopg

    from psycopg.types.json import set_json_loads

    # Autocommit: each statement stands alone, as a test reading rows expects (and a failed
    # probe of a missing table doesn't poison the next statement).
    con = psycopg.connect(_libpq(db.url), autocommit=True)
    # JSON columns come back as text, as sqlite3 returns them: tests json.loads them either way.
    set_json_loads(lambda data: bytes(data).decode() if not isinstance(data, str) else data, con)
    try:
        with con:
            yield _PgConnection(con)
    finally:
        con.close()


def ago(**delta) -> str:
    """A UTC timestamp some time ago, as text both engines accept in a parameter."""
    from datetime import datetime, timedelta, timezone

    when = datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(**delta)
    return when.strftime("%Y-%m-%d %H:%M:%S.%f")


def pg_bin(tool: str) -> str:
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{tool}"))
    return str(found[-1]) if found else tool


def raw_contents(db: TestDB) -> bytes:
    """Everything the database holds, as bytes: the SQLite files (main, WAL, shared memory) and
    a SQL dump, or PostgreSQL's pg_dump. Privacy tests search it for what must never be stored."""
    if db.is_sqlite:
        raw = b"".join(p.read_bytes() for p in db.path.parent.glob(db.path.name + "*"))
        con = sqlite3.connect(db.path)
        try:
            return raw + "\n".join(con.iterdump()).encode()
        finally:
            con.close()
    import subprocess

    return subprocess.run([pg_bin("pg_dump"), "--no-owner", _libpq(db.url)], check=True,
                          capture_output=True).stdout
