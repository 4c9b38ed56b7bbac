"""Several workers: background jobs run once per period across processes, and the sockets of a
worker that died are swept. Runs on both engines (on PostgreSQL the lock is an advisory lock
held on its own connection)."""

from __future__ import annotations

import threading
import uuid

import pytest

from app.extensions import socketio
from tests.db import REDIS_URL, ago, connect
from tests.test_chat import NS, join, make_room, sock


def test_each_job_runs_once_per_period_across_workers(make_app, db_path):
    from app.services import jobs

    first, second = make_app(), make_app()  # two processes' worth of app, one database
    assert sorted(jobs.run_due(first)) == ["escalation", "purge", "sweep"]
    assert jobs.run_due(second) == []        # the other worker finds them done
    assert jobs.run_due(first) == []
    with connect(db_path) as con:            # ten seconds later the 10-second jobs are due again
        con.execute("UPDATE job_run SET last_run_at = ? WHERE name IN ('escalation', 'sweep')",
                    (ago(seconds=11),))
    assert sorted(jobs.run_due(second)) == ["escalation", "sweep"]
    with connect(db_path) as con:
        workers = {w for (w,) in con.execute("SELECT worker_id FROM job_run")}
        assert len(workers) == 1  # in one process both apps share the worker id
        assert con.execute("SELECT count(*) FROM worker").fetchone()[0] == 1


def test_only_one_holder_of_a_job_lock_at_a_time(make_app):
    from app.services import workers

    app = make_app()
    inside, release, results = threading.Event(), threading.Event(), []

    def holder():
        with app.app_context(), workers.exclusive("test-lock") as got:
            results.append(("holder", got))
            inside.set()
            release.wait(10)

    t = threading.Thread(target=holder)
    t.start()
    assert inside.wait(10)
    with app.app_context(), workers.exclusive("test-lock") as got:
        results.append(("other", got))
    release.set()
    t.join(10)
    with app.app_context(), workers.exclusive("test-lock") as got:
        results.append(("after", got))
    assert results == [("holder", True), ("other", False), ("after", True)]


def test_sockets_of_a_dead_worker_are_swept_and_rooms_hear_it(app, member, new_member, db_path):
    from app.services import jobs

    room = make_room(app)
    watcher = new_member("watcher")
    w = sock(app, watcher)
    assert join(w, room)["ok"]
    s = sock(app, member)
    assert join(s, room)["ok"]
    with connect(db_path) as con:
        assert con.execute("SELECT count(*) FROM room_presence").fetchone()[0] == 2
        # willow's socket was held by a worker that was killed a minute ago
        con.execute("INSERT INTO worker (id, started_at, seen_at) VALUES ('dead-1', ?, ?)",
                    (ago(minutes=5), ago(minutes=1)))
        con.execute("UPDATE room_presence SET worker_id = 'dead-1' WHERE member_id = "
                    "(SELECT id FROM member WHERE pseudonym = 'willow')")
    w.get_received(NS)
    assert "sweep" in jobs.run_due(app)
    with connect(db_path) as con:
        left = [row for (row,) in con.execute("SELECT m.pseudonym FROM room_presence p "
                                              "JOIN member m ON m.id = p.member_id")]
        assert left == ["watcher"]
        assert con.execute("SELECT count(*) FROM worker WHERE id = 'dead-1'").fetchone()[0] == 0
    events = [e["args"][0] for e in w.get_received(NS) if e["name"] == "room:presence"]
    assert events and events[-1]["count"] == 1 and events[-1]["left"]["name"] == "willow"
    s.disconnect(NS)
    w.disconnect(NS)


def test_a_peer_whose_worker_died_starts_the_grace_period(app, peer, db_path):
    from app.services import jobs

    duty = socketio.test_client(app, namespace="/duty", flask_test_client=peer.client)
    assert duty.emit("duty:on", {}, namespace="/duty", callback=True)["ok"]
    with connect(db_path) as con:
        assert con.execute("SELECT sockets FROM duty_status").fetchone()[0] == 1
        con.execute("INSERT INTO worker (id, started_at, seen_at) VALUES ('dead-2', ?, ?)",
                    (ago(minutes=5), ago(minutes=1)))
        con.execute("UPDATE duty_socket SET worker_id = 'dead-2'")
    jobs.run_due(app)
    with connect(db_path) as con:
        sockets, on_since = con.execute("SELECT sockets, on_since FROM duty_status").fetchone()
        assert sockets == 0 and on_since is not None  # still on duty, for the grace period
        assert con.execute("SELECT count(*) FROM duty_socket").fetchone()[0] == 0
    duty.disconnect("/duty")


@pytest.mark.skipif(not REDIS_URL, reason="shared counts need Redis: the PostgreSQL + Redis pass")
def test_the_chat_line_limit_is_shared_by_workers(make_app):
    from app.services import chat

    prefix = f"kt{uuid.uuid4().hex[:8]}"
    one, two = make_app(RATELIMIT_KEY_PREFIX=prefix), make_app(RATELIMIT_KEY_PREFIX=prefix)
    with one.app_context():
        assert [chat._flood().hit(7, 3, 10) for _ in range(3)] == [None, None, None]
    with two.app_context():  # the same member's socket on another worker
        wait = chat._flood().hit(7, 3, 10)
        assert wait is not None and 0 < wait <= 10
        assert chat._flood().hit(8, 3, 10) is None  # someone else is not affected
