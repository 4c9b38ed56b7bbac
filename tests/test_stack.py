"""Production shape: two gunicorn workers behind HAProxy (TLS, sticky sessions), PostgreSQL and
Redis, started by the project's own scripts/stack.sh. Run in the PostgreSQL pass of `make test`
(they need the Debian packages that pass installs)."""

from __future__ import annotations

import os
import random
import shutil
import signal
import string
import tempfile
import threading
import time
from pathlib import Path

import pytest

from tests.db import ON_POSTGRES
from tests.forum_helpers import form_key
from tests.stack import Member, start_stack, stop_stack, token

pytestmark = [
    pytest.mark.stack,
    pytest.mark.skipif(not ON_POSTGRES, reason="runs in the PostgreSQL + Redis pass (make test-postgres)"),
]

CHAT = "/chat"
DROP_IN = 1
CRISIS = "I'm going to kill myself tonight. I've saved up all my pills for it."


@pytest.fixture(scope="module")
def stack():
    # Not under pytest's private temp folder: PostgreSQL runs as its own user and must reach it.
    folder = Path(tempfile.mkdtemp(prefix="kindred-stack-"))
    folder.chmod(0o755)
    s = start_stack(folder, workers=2)
    yield s
    stop_stack(s)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(autouse=True)
def server_logs_on_failure(request, stack):
    """When a test here fails, show what the workers, HAProxy's checks and Redis logged."""
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        for log in sorted(stack.dir.glob("w*.log")) + [stack.dir / "services" / "redis.log"]:
            if log.exists():
                print(f"----- {log.name} (last 60 lines)")
                print("\n".join(log.read_text(errors="replace").splitlines()[-60:]))


@pytest.fixture
def members(stack):
    made = []

    def make(name, worker=None):
        # Letters only: six random hex digits are all digits one time in sixteen, and
        # "talker0-575327" is refused as a phone number.
        m = Member(stack, f"{name}-{''.join(random.choices(string.ascii_lowercase, k=6))}", worker)
        made.append(m)
        return m

    yield make
    for m in made:
        m.close()


def worker_of_presence(stack, pseudonym):
    rows = stack.sql("SELECT p.worker_id FROM room_presence p JOIN member m ON m.id = p.member_id "
                     "WHERE m.pseudonym = ?", pseudonym)
    return {r[0] for r in rows}


def test_a_line_sent_through_one_worker_arrives_through_the_other(stack, members):
    a, b = members("ash", worker=1), members("birch", worker=2)
    for m in (a, b):
        m.socket(CHAT)
        assert m.sio.call("room:join", {"room": DROP_IN}, namespace=CHAT, timeout=10)["ok"]
    wa, wb = worker_of_presence(stack, a.name), worker_of_presence(stack, b.name)
    assert len(wa) == len(wb) == 1 and wa != wb, "the two members should be on different workers"
    ack = a.sio.call("message:send", {"room": DROP_IN, "body": "hello from worker one"}, namespace=CHAT, timeout=10)
    assert ack["ok"]
    assert b.got("message:new", lambda d: d["id"] == ack["id"] and d["body"] == "hello from worker one")


def test_a_flag_raised_on_one_worker_alerts_a_peer_on_the_other(stack, members):
    peer = members("duty-peer", worker=2)
    stack.flask("kindred", "grant", peer.name, "peer_supporter")
    peer.socket("/duty", events=("flag:new",))
    assert peer.sio.call("duty:on", {}, namespace="/duty", timeout=10)["ok"]
    writer = members("writer", worker=1)
    writer.socket(CHAT)
    assert writer.sio.call("room:join", {"room": DROP_IN}, namespace=CHAT, timeout=20)["ok"]
    duty_worker = {r[0] for r in stack.sql("SELECT s.worker_id FROM duty_socket s JOIN member m "
                                           "ON m.id = s.member_id WHERE m.pseudonym = ?", peer.name)}
    assert duty_worker and duty_worker != worker_of_presence(stack, writer.name)
    ack = writer.sio.call("message:send", {"room": DROP_IN, "body": CRISIS}, namespace=CHAT, timeout=10)
    assert ack["ok"]
    alerts = peer.got("flag:new", lambda d: d["level"] == 3 and not d["escalated"])
    assert alerts, "the peer on the other worker heard nothing"
    flag_id = alerts[0]["id"]
    # Nobody claims it: the escalation job (ESCALATE_L3_SECONDS=4 here) re-alerts exactly once,
    # though both workers run the job loop.
    assert peer.got("flag:new", lambda d: d["id"] == flag_id and d["escalated"], timeout=30)
    time.sleep(12)  # a few more job periods on both workers
    assert len(peer.got("flag:new", lambda d: d["id"] == flag_id and d["escalated"], timeout=0)) == 1
    (count,) = stack.sql("SELECT count(*) FROM audit_entry WHERE action = 'flag.escalated' "
                         "AND (detail->>'flag_id')::int = ?", flag_id)[0]
    assert count == 1
    alive = {r[0] for r in stack.sql("SELECT id FROM worker")}
    assert len(alive) >= 2 and {r[0] for r in stack.sql("SELECT worker_id FROM job_run")} <= alive


class Talker:
    """A member who keeps talking through a crash: every line has a client_id, lines without an
    ack are sent again with the same id after reconnecting, and each (re)join catches up from the
    last line seen."""

    def __init__(self, member: Member, tag: str):
        self.m, self.tag = member, tag
        self.acked: dict[str, int] = {}
        self.pending: list[str] = []
        self.seen: set[int] = set()
        self.rejoins = 0
        self.sio = member.socket(CHAT, reconnection=True, events=())
        self.sio.on("message:new", lambda d: self.seen.add(d["id"]), namespace=CHAT)
        self.sio.on("connect", self._rejoin, namespace=CHAT)
        self._rejoin(first=True)

    def _rejoin(self, first=False):
        def go():
            payload = {"room": DROP_IN}
            if self.seen:
                payload["since"] = max(self.seen)
            try:
                ack = self.sio.call("room:join", payload, namespace=CHAT, timeout=10)
            except Exception:
                return
            if ack and ack.get("ok"):
                self.seen.update(m["id"] for m in ack["messages"])
                if not first:
                    self.rejoins += 1
        if first:
            go()
        else:  # not inside the client's event thread
            threading.Thread(target=go, daemon=True).start()

    def say(self, n: int) -> None:
        cid = f"{self.tag}-{n}"
        self.pending.append(cid)
        self.flush()

    def flush(self) -> None:
        for cid in list(self.pending):
            try:
                ack = self.sio.call("message:send", {"room": DROP_IN, "body": f"line {cid}", "client_id": cid},
                                    namespace=CHAT, timeout=3)
            except Exception:
                return  # disconnected: try again later
            if ack and ack.get("ok"):
                self.acked[cid] = ack["id"]
                self.seen.add(ack["id"])
                self.pending.remove(cid)


def post_reply(member: Member, thread_url: str, body: str) -> bool:
    """Reply like a browser whose connection may drop: the same form (token, submission key) is
    sent again until an answer comes back."""
    page = None
    for _ in range(40):
        try:
            if page is None:
                page = member.http.get(f"{member.stack.url}{thread_url}", timeout=5).text
            r = member.http.post(f"{member.stack.url}{thread_url}/reply", timeout=5, allow_redirects=False, data={
                "csrf_token": token(page), "body": body, "submission_key": form_key(page)})
            if r.status_code == 303:
                return True
        except Exception:
            pass
        time.sleep(0.25)
    return False


def test_kill_9_a_worker_under_load_loses_nothing(stack, members):
    talkers = [Talker(members(f"talker{i}", worker=1 + i % 2), f"t{i}") for i in range(6)]
    writers = [members(f"poster{i}", worker=1 + i % 2) for i in range(2)]
    thread_url = "/t/1"
    posted: list[str] = []
    stop = threading.Event()

    def write(m, i):
        n = 0
        while not stop.is_set():
            body = f"reply {i}-{n} from a crash test"
            if post_reply(m, thread_url, body):
                posted.append(body)
            n += 1
            time.sleep(0.1)

    threads = [threading.Thread(target=write, args=(m, i)) for i, m in enumerate(writers)]
    for t in threads:
        t.start()
    victim = stack.worker_pid(1)
    for n in range(60):
        for t in talkers:
            t.say(n)
        if n == 15:
            os.kill(victim, signal.SIGKILL)
        time.sleep(0.1)
    stop.set()
    for t in threads:
        t.join(60)
    deadline = time.monotonic() + 60
    while any(t.pending for t in talkers) and time.monotonic() < deadline:
        for t in talkers:
            t.flush()
        time.sleep(0.2)
    assert stack.worker_pid(1) != victim  # gunicorn started a new worker
    assert all(not t.pending for t in talkers), "some lines were never acknowledged"
    assert sum(t.rejoins for t in talkers[0::2]) >= 3, "the members on the killed worker did not reconnect"

    # Every acknowledged line is stored exactly once, under the id its ack gave.
    rows = stack.sql("SELECT client_id, id FROM chat_message WHERE client_id LIKE 't%'")
    stored = {}
    for cid, mid in rows:
        assert cid not in stored, f"duplicate line {cid}"
        stored[cid] = mid
    for t in talkers:
        for cid, mid in t.acked.items():
            assert stored.get(cid) == mid
    assert len(stored) == 6 * 60
    # Every acknowledged post is stored exactly once.
    bodies = [b for (b,) in stack.sql("SELECT body_md FROM post WHERE body_md LIKE 'reply %'")]
    assert len(bodies) == len(set(bodies))
    assert set(posted) <= set(bodies) and len(posted) > 10
    # Everyone caught up: each member has seen every line of the test (after a last catch-up).
    for t in talkers:
        t._rejoin(first=True)
        assert set(stored.values()) <= t.seen


def test_forums_work_and_chat_recovers_while_redis_is_down(stack, members):
    a, b = members("oak", worker=1), members("elm", worker=2)
    for m in (a, b):
        m.socket(CHAT)
        assert m.sio.call("room:join", {"room": DROP_IN}, namespace=CHAT, timeout=10)["ok"]
    stack.redis(up=False)
    try:
        # Chat says it is reconnecting...
        assert a.got("server:status", lambda d: d["live"] is False, timeout=10)
        assert b.got("server:status", lambda d: d["live"] is False, timeout=10)
        # ...lines are still kept (acked and stored)...
        ack = a.sio.call("message:send", {"room": DROP_IN, "body": "sent while the bus is down",
                                          "client_id": "outage-1"}, namespace=CHAT, timeout=10)
        assert ack["ok"]
        # ...and the forums keep working: pages, sign-in, sign-up, replies.
        reader = members("reader", worker=2)
        assert reader.http.get(f"{stack.url}/").status_code == 200
        assert post_reply(reader, "/t/1", "a reply while Redis is away")
        t = token(reader.http.get(f"{stack.url}/login").text)
        fresh = Member(stack, reader.name, register=False)
        t = token(fresh.http.get(f"{stack.url}/login").text)
        r = fresh.http.post(f"{stack.url}/login", data={"csrf_token": t, "pseudonym": reader.name,
                                                         "passphrase": "river stone quiet lantern"},
                            allow_redirects=False)
        assert r.status_code == 302
        time.sleep(max(0, 30 - 8))  # thirty seconds of outage in all
    finally:
        stack.redis(up=True)
    # Chat recovers: both hear it is back, and the other member catches up on the line.
    assert a.got("server:status", lambda d: d["live"] is True, timeout=30)
    assert b.got("server:status", lambda d: d["live"] is True, timeout=30)
    rejoin = b.sio.call("room:join", {"room": DROP_IN, "since": ack["id"] - 1}, namespace=CHAT, timeout=10)
    assert [m["body"] for m in rejoin["messages"]][:1] == ["sent while the bus is down"]
    assert rejoin["status"] == {"live": True}
    after = a.sio.call("message:send", {"room": DROP_IN, "body": "and after"}, namespace=CHAT, timeout=10)
    assert b.got("message:new", lambda d: d["id"] == after["id"])
