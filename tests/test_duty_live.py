"""Crisis alerts over the real transport: python-socketio clients against the real server."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest
import socketio as socketio_client

from tests.fixtures.live import ROOT
from tests.test_chat_live import DROP_IN, Client
from tests.test_live_server import cookie_header


def grant(live_server, name, role):
    env = live_server.cli_env()
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "kindred", "grant", name, role],
                   cwd=ROOT, env=env, check=True, capture_output=True)


class DutyClient:
    def __init__(self, base, http):
        self.alerts = []
        self.lock = threading.Lock()
        self.sio = socketio_client.Client(reconnection=False)
        self.sio.on("flag:new", self._on, namespace="/duty")
        self.sio.connect(base, namespaces=["/duty"], headers={"Cookie": cookie_header(http)},
                         transports=["websocket"], wait_timeout=5)

    def _on(self, data):
        with self.lock:
            self.alerts.append(data)

    def wait_for(self, predicate, timeout=5.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                hit = [a for a in self.alerts if predicate(a)]
            if hit:
                return hit
            time.sleep(0.02)
        return []


@pytest.fixture
def closers():
    made = []
    yield made
    for c in made:
        if c.sio.connected:
            c.sio.disconnect()


def test_flags_reach_on_duty_peers_and_nobody_else(live_server, closers):
    on = Client(live_server.url, "live-peer-on")
    off = Client(live_server.url, "live-peer-off")
    grant(live_server, "live-peer-on", "peer_supporter")
    grant(live_server, "live-peer-off", "peer_supporter")
    member = Client(live_server.url, "live-member-x")
    on_duty, off_duty = DutyClient(live_server.url, on.http), DutyClient(live_server.url, off.http)
    closers.extend([on_duty, off_duty, member])
    assert on_duty.sio.call("duty:on", {}, namespace="/duty", timeout=5)["ok"] is True
    with pytest.raises(socketio_client.exceptions.ConnectionError):
        DutyClient(live_server.url, member.http)  # members can't listen in
    writer = Client(live_server.url, "live-writer-x").connect()
    closers.append(writer)
    writer.call("room:join", {"room": DROP_IN})
    ack = writer.call("message:send", {"room": DROP_IN, "body": "I have the pills in front of me right now, tonight I end it"})
    assert ack["ok"]
    hit = on_duty.wait_for(lambda a: a["where"].endswith(f"#m{ack['id']}"))
    assert hit and hit[0]["level"] == 3 and hit[0]["reasons"] and hit[0]["target"] == "self"
    assert off_duty.wait_for(lambda a: True, timeout=1.0) == []
