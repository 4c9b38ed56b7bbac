"""Transport-level checks against the real server process: a real Socket.IO client over a
real websocket, requests from a distinctive client address, and the server's own log."""

from __future__ import annotations

import re
import threading

import pytest

from tests.db import raw_contents
import requests
import socketio as socketio_client
from requests.adapters import HTTPAdapter

PASSPHRASE = "river stone quiet lantern"
CLIENT_ADDRESS = "127.0.0.77"  # any 127/8 address reaches the server; this one is easy to spot


class FromAddress(HTTPAdapter):
    def __init__(self, address: str):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        return super().init_poolmanager(*args, **kwargs)


def browser(address: str | None = None) -> requests.Session:
    s = requests.Session()
    if address:
        s.mount("http://", FromAddress(address))
    return s


def token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def sign_up(base: str, s: requests.Session, name: str) -> None:
    t = token(s.get(f"{base}/register").text)
    r = s.post(f"{base}/register", data={"csrf_token": t, "pseudonym": name, "passphrase": PASSPHRASE,
                                         "confirm": PASSPHRASE})
    assert r.status_code == 200 and "recovery codes" in r.text


def cookie_header(s: requests.Session) -> str:
    return "; ".join(f"{c.name}={c.value}" for c in s.cookies)


def connect(base: str, s: requests.Session | None = None, origin: str | None = None):
    """A real Socket.IO client. With `origin`, the long-polling transport is used, because the
    websocket library adds an Origin header of its own and the two would be sent together."""
    client = socketio_client.Client(reconnection=False)
    headers = {}
    if s is not None:
        headers["Cookie"] = cookie_header(s)
    if origin:
        headers["Origin"] = origin
    transports = ["polling"] if origin else ["websocket"]
    client.connect(base, headers=headers, transports=transports, wait_timeout=5)
    return client


def test_socket_needs_a_session(live_server):
    with pytest.raises(socketio_client.exceptions.ConnectionError):
        connect(live_server.url)


def test_socket_from_another_origin_is_refused(live_server):
    s = browser()
    sign_up(live_server.url, s, "origin-check")
    with pytest.raises(socketio_client.exceptions.ConnectionError):
        connect(live_server.url, s, origin="https://evil.example")
    ok = connect(live_server.url, s, origin=live_server.url)
    assert ok.call("session:check", timeout=5)["ok"] is True
    ok.disconnect()


def test_sign_out_everywhere_reaches_an_open_socket(live_server):
    s = browser()
    sign_up(live_server.url, s, "live-kick")
    client = connect(live_server.url, s)
    ended = threading.Event()
    gone = threading.Event()
    client.on("session:ended", lambda data: ended.set())
    client.on("disconnect", lambda *a: gone.set())
    assert client.call("session:check", timeout=5) == {"ok": True, "pseudonym": "live-kick"}
    page = s.get(f"{live_server.url}/account").text
    t = re.search(r'<form method="post" action="/logout/everywhere">\s*<input id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    r = s.post(f"{live_server.url}/logout/everywhere", data={"csrf_token": t}, allow_redirects=False)
    assert r.status_code == 302
    assert ended.wait(5), "the page was not told its session ended"
    assert gone.wait(5), "the server did not close the socket"


def test_no_client_address_in_logs_or_database(fresh_live_server):
    base = fresh_live_server.url
    s = browser(CLIENT_ADDRESS)
    sign_up(base, s, "address-check")
    s.get(f"{base}/account")
    s.get(f"{base}/no-such-page")
    s.get(f"{base}/socket.io/?EIO=4&transport=polling")  # an Engine.IO handshake from this address
    stranger = browser(CLIENT_ADDRESS)
    t = token(stranger.get(f"{base}/login").text)
    statuses = [stranger.post(f"{base}/login", data={"csrf_token": t, "pseudonym": "address-check",
                                                     "passphrase": "wrong passphrase!"}).status_code
                for _ in range(12)]
    assert 429 in statuses  # the throttle worked, keyed on something
    fresh_live_server.process.terminate()
    fresh_live_server.process.wait(timeout=10)
    log = fresh_live_server.log()
    assert "Kindred is running" in log  # we are reading the right output
    assert CLIENT_ADDRESS not in log
    assert "address-check" not in log
    assert "Mozilla" not in log and "python-requests" not in log
    raw = raw_contents(fresh_live_server.database)
    assert b"address-check" in raw  # we are reading the right database
    assert CLIENT_ADDRESS.encode() not in raw
    assert b"python-requests" not in raw
