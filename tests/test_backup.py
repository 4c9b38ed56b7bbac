"""Backups: scripts/backup.sh and scripts/restore.sh (the commands docs/deployment.md gives)
round-trip a live database, and the restored copy serves the same forum, search included."""

from __future__ import annotations

import subprocess

import pytest

from tests.conftest import ROOT
from tests.db import ON_POSTGRES, connect, create_pg_database, drop_pg_database
from tests.forum_helpers import reply, start_thread, thread_id

pytestmark = pytest.mark.skipif(not ON_POSTGRES, reason="pg_dump/pg_restore: the PostgreSQL pass")

TABLES = ("member", "thread", "post", "post_search", "audit_entry", "flag", "alembic_version")


def counts(db) -> dict:
    with connect(db) as con:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


def test_backup_and_restore_round_trip(make_app, db_path, member, categories, tmp_path):
    tid = thread_id(start_thread(member, "treatment", "Backed up thread", "Zidovudine memories worth keeping"))
    reply(member, tid, "I want to die tonight, I have the pills ready")  # a flag, too
    before = counts(db_path)
    assert before["post"] == 2 and before["flag"] >= 1

    dump = tmp_path / "kindred.dump"
    subprocess.run([str(ROOT / "scripts/backup.sh"), db_path.url, str(dump)], check=True, capture_output=True)
    assert dump.stat().st_size > 0 and oct(dump.stat().st_mode)[-3:] == "600"
    restored = create_pg_database()
    try:
        subprocess.run([str(ROOT / "scripts/restore.sh"), str(dump), restored.url], check=True, capture_output=True)
        assert counts(restored) == before
        app = make_app(SQLALCHEMY_DATABASE_URI=restored.url)
        with app.app_context():
            from app.extensions import db
            from app.services import search

            hits, _ = search.search(None, "zidovudine")
            assert [h.thread_title for h in hits] == ["Backed up thread"]
            db.session.remove()
            db.engine.dispose()
        page = app.test_client().get(f"/t/{tid}")
        assert page.status_code == 200 and "Zidovudine memories" in page.get_data(as_text=True)
    finally:
        drop_pg_database(restored)
