"""Live rooms over the real transport: python-socketio clients on websockets against the real
server process (the drop-in room and the demo session come from `kindred seed-demo`)."""

from __future__ import annotations

import re
import threading
import time

import pytest
import requests
import socketio as socketio_client

from tests.test_live_server import cookie_header, sign_up, token

NS = "/chat"
DROP_IN = 1
SESSION = 2


class Client:
    """A browser-like member: an HTTP session for pages, a Socket.IO client for the room."""

    def __init__(self, base: str, name: str, passphrase: str | None = None):
        self.base = base
        self.http = requests.Session()
        if passphrase is None:
            sign_up(base, self.http, name)
        else:
            t = token(self.http.get(f"{base}/login").text)
            r = self.http.post(f"{base}/login", data={"csrf_token": t, "pseudonym": name, "passphrase": passphrase},
                               allow_redirects=False)
            assert r.status_code == 302
        self.events: list[tuple[str, dict]] = []
        self.lock = threading.Lock()
        self.sio = socketio_client.Client(reconnection=False)
        for name_ in ("message:new", "alert:flag", "member:muted", "room:state", "room:presence"):
            self.sio.on(name_, self._recorder(name_), namespace=NS)

    def _recorder(self, name):
        def record(data):
            with self.lock:
                self.events.append((name, data))
        return record

    def connect(self):
        self.sio.connect(self.base, namespaces=[NS], headers={"Cookie": cookie_header(self.http)},
                         transports=["websocket"], wait_timeout=5)
        return self

    def call(self, event, payload):
        return self.sio.call(event, payload, namespace=NS, timeout=10)

    def got(self, name, predicate=lambda d: True, timeout=5.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                found = [d for n, d in self.events if n == name and predicate(d)]
            if found:
                return found
            time.sleep(0.02)
        return []

    def accept_rules(self, room):
        page = self.http.get(f"{self.base}/rooms/{room}").text
        r = self.http.post(f"{self.base}/rooms/{room}/rules", data={"csrf_token": token(page)}, allow_redirects=False)
        assert r.status_code == 303

    def close(self):
        if self.sio.connected:
            self.sio.disconnect()


@pytest.fixture
def clients(live_server):
    made = []

    def make(name, passphrase=None):
        c = Client(live_server.url, name, passphrase)
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()


def test_rooms_page_has_the_drop_in_room(live_server):
    html = requests.get(f"{live_server.url}/rooms").text
    assert f'href="/rooms/{DROP_IN}"' in html and "Drop-in room" in html


def test_two_members_exchange_lines(clients):
    a, b = clients("live-a").connect(), clients("live-b").connect()
    assert a.call("room:join", {"room": DROP_IN})["ok"] and b.call("room:join", {"room": DROP_IN})["ok"]
    ack = a.call("message:send", {"room": DROP_IN, "body": "hi from A", "client_id": "a-1"})
    assert ack["ok"] is True
    [line] = b.got("message:new", lambda d: d["id"] == ack["id"])
    assert line["body"] == "hi from A" and line["author"] == "live-a" and line["room"] == DROP_IN


def test_reconnect_catch_up_and_idempotent_resend(clients):
    a, b = clients("live-c").connect(), clients("live-d").connect()
    a.call("room:join", {"room": DROP_IN})
    seen = b.call("room:join", {"room": DROP_IN})["messages"]
    last = seen[-1]["id"] if seen else 0
    b.close()  # B's connection drops
    sent = [a.call("message:send", {"room": DROP_IN, "body": f"while away {i}", "client_id": f"away-{i}"})["id"]
            for i in range(3)]
    again = a.call("message:send", {"room": DROP_IN, "body": "while away 2", "client_id": "away-2"})
    assert again["id"] == sent[2] and again["duplicate"] is True
    b.sio = socketio_client.Client(reconnection=False)
    b.connect()
    missed = b.call("room:join", {"room": DROP_IN, "since": last})["messages"]
    ids = [m["id"] for m in missed]
    assert ids[-3:] == sent and len(ids) == len(set(ids)) and ids == sorted(ids)


def test_hostile_payloads_never_drop_the_connection(clients):
    a = clients("live-e").connect()
    a.call("room:join", {"room": DROP_IN})
    for payload in (None, 5, "x", [], {"room": "1"}, {"room": DROP_IN, "body": "y" * 300_000},
                    {"room": DROP_IN, "body": {"$ne": 1}}, {"room": 10**30, "body": "x"}):
        ack = a.call("message:send", payload)
        assert ack["ok"] is False and isinstance(ack["error"], str) and ack["error"]
        assert a.sio.connected
    assert a.call("message:send", {"room": DROP_IN, "body": "still fine"})["ok"] is True


def test_session_permissions_mute_and_flag_alert(live_server, clients):
    fac = clients("demo-facilitator", live_server.demo_passphrase("demo-facilitator")).connect()
    member = clients("live-circle")
    member.connect()
    assert member.call("room:join", {"room": SESSION}) == {"ok": False, "error": "Please read and accept the ground rules first."}
    member.accept_rules(SESSION)
    assert member.call("room:join", {"room": SESSION})["ok"]
    assert fac.call("room:join", {"room": SESSION})["facilitator"] is True
    assert fac.call("room:open", {"room": SESSION}) == {"ok": True}
    # A crisis line reaches the facilitator in the room, and the writer gets support privately.
    ack = member.call("message:send", {"room": SESSION, "body": "I have the rope ready, tonight I end it"})
    assert ack["ok"] and ack["support"]["level"] == 3
    [alert] = fac.got("alert:flag", lambda d: d["message_id"] == ack["id"])
    assert alert["level"] == 3 and alert["author"] == "live-circle"
    assert member.got("alert:flag", timeout=0.5) == []
    # Mute: refused with the reason; the member's page is told.
    assert fac.call("member:mute", {"room": SESSION, "member": "live-circle", "minutes": 2,
                                    "reason": "Taking a breather"}) == {"ok": True}
    assert member.got("member:muted")[0]["reason"] == "Taking a breather"
    refused = member.call("message:send", {"room": SESSION, "body": "hello"})
    assert refused["ok"] is False and "muted" in refused["error"] and "Taking a breather" in refused["error"]
    assert fac.call("member:unmute", {"room": SESSION, "member": "live-circle"}) == {"ok": True}
    assert member.call("message:send", {"room": SESSION, "body": "thanks"})["ok"] is True


def test_chat_page_serves_the_client_library_itself(live_server):
    s = requests.Session()
    sign_up(live_server.url, s, "page-check")
    html = s.get(f"{live_server.url}/rooms/{DROP_IN}").text
    assert re.search(r'<script src="/static/vendor/socket\.io\.min\.js"', html)
    assert 'id="chat-input"' in html and "maxlength=\"2000\"" in html
    assert s.get(f"{live_server.url}/static/vendor/socket.io.min.js").status_code == 200
