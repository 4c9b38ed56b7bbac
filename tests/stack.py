"""Kindred in production shape for tests: scripts/stack.sh (PostgreSQL, Redis, gunicorn workers,
HAProxy with TLS and sticky sessions) in a temp folder on free ports, and members that talk to
it like browsers do (HTTPS pages, Socket.IO over a websocket, the worker cookie)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import requests
import socketio as socketio_client


ROOT = Path(__file__).resolve().parent.parent
PASSPHRASE = "river stone quiet lantern"
# The stack's own rate limits are the production ones but for sign-up and chat pace: every test
# member signs up from 127.0.0.1, and the crash test sends quickly.
EXTRA_ENV = ("REGISTER_LIMIT_PER_ADDRESS=10000/hour LOGIN_LIMIT_PER_ADDRESS=10000/minute "
             "CHAT_LINES_PER_WINDOW=1000 CHAT_WINDOW_SECONDS=1 ESCALATE_L3_SECONDS=4 ESCALATE_L2_SECONDS=600")


@dataclass
class Stack:
    dir: Path
    port: int
    workers: int
    redis_port: int
    pg_port: int

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def ca(self) -> str:
        return str(self.dir / "tls.crt")

    def env(self) -> dict:
        env = dict(os.environ)
        for line in (self.dir / "kindred.env").read_text().splitlines():
            if "=" in line:
                key, value = line.split("=", 1)
                env[key] = value
        return env

    def flask(self, *args: str) -> str:
        return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT,
                              env=self.env(), check=True, capture_output=True, text=True).stdout

    def sql(self, query: str, *params):
        import psycopg

        url = self.env()["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(url) as con:
            return con.execute(query.replace("?", "%s"), params or None).fetchall()

    def worker_pid(self, n: int) -> int:
        """The pid of worker n's serving process (the child of its gunicorn master)."""
        master = int((self.dir / f"w{n}.pid").read_text())
        out = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout.split()
        return int(out[0])

    def redis(self, up: bool) -> None:
        if up:
            subprocess.run([str(ROOT / "scripts/services.sh"), "start", str(self.dir / "services"),
                            str(self.pg_port), str(self.redis_port)], check=True, capture_output=True)
        else:
            pid = int((self.dir / "services" / "redis.pid").read_text())
            os.kill(pid, signal.SIGKILL)
            (self.dir / "services" / "redis.pid").unlink()


def _free_block(size: int) -> int:
    """A first port of `size` consecutive free ports on 127.0.0.1."""
    import random
    import socket

    for _ in range(200):
        first = random.randint(20000, 60000)
        try:
            for p in range(first, first + size):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", p))
            return first
        except OSError:
            continue
    raise RuntimeError("no free ports")


def start_stack(dir: Path, workers: int = 2) -> Stack:
    # HAProxy, PostgreSQL, Redis, then the workers (base+1..base+n): one block, no overlaps.
    first = _free_block(workers + 4)
    port, pg_port, redis_port, base = first, first + 1, first + 2, first + 2
    env = {**os.environ, "KINDRED_PG_PORT": str(pg_port), "KINDRED_REDIS_PORT": str(redis_port),
           "KINDRED_WORKER_BASE_PORT": str(base), "KINDRED_EXTRA_ENV": EXTRA_ENV, "KINDRED_SEED_DEMO": "1",
           "KINDRED_PYTHON": sys.executable}
    for name in ("DATABASE_URL", "REDIS_URL", "KINDRED_ENV", "SECRET_KEY", "KINDRED_INSTANCE"):
        env.pop(name, None)
    out = subprocess.run([str(ROOT / "scripts/stack.sh"), "start", str(dir), str(port), str(workers)],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stdout + out.stderr
    return Stack(dir=dir, port=port, workers=workers, redis_port=redis_port, pg_port=pg_port)


def stop_stack(stack: Stack) -> None:
    subprocess.run([str(ROOT / "scripts/stack.sh"), "stop", str(stack.dir)], cwd=ROOT,
                   capture_output=True, timeout=60)


def token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


class Member:
    """A browser on one worker: its HTTPS session carries HAProxy's worker cookie."""

    def __init__(self, stack: Stack, name: str, worker: int | None = None, register: bool = True):
        self.stack, self.name = stack, name
        self.http = requests.Session()
        self.http.trust_env = False  # REQUESTS_CA_BUNDLE and proxies from the environment would win
        self.http.verify = stack.ca
        # As a browser does under Referrer-Policy: same-origin (CSRF's strict check over HTTPS).
        self.http.headers["Referer"] = stack.url + "/"
        if worker is not None:
            self.http.cookies.set("kindred_worker", f"w{worker}", domain="127.0.0.1", path="/")
        if register:
            t = token(self.http.get(f"{stack.url}/register").text)
            r = self.http.post(f"{stack.url}/register", data={
                "csrf_token": t, "pseudonym": name, "passphrase": PASSPHRASE, "confirm": PASSPHRASE})
            assert r.status_code == 200 and "recovery codes" in r.text, r.status_code
        self.events: list[tuple[str, dict]] = []
        self.lock = threading.Lock()
        self.sio: socketio_client.Client | None = None

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.http.cookies)

    def socket(self, namespace: str, reconnection: bool = False,
               events=("message:new", "room:presence", "flag:new", "server:status")) -> socketio_client.Client:
        # As chat.js does, a client that can't connect tries again: a worker gunicorn has just
        # restarted (after the kill -9 test) can take a while to answer its first connection on
        # a loaded 2-core machine. Three tries; the last failure is raised.
        for attempt in range(3):
            sio = socketio_client.Client(reconnection=reconnection, reconnection_delay=0.2,
                                         reconnection_delay_max=1, ssl_verify=True,
                                         websocket_extra_options={"sslopt": {"ca_certs": self.stack.ca}})
            for event in events:
                sio.on(event, self._recorder(event), namespace=namespace)
            try:
                sio.connect(self.stack.url, namespaces=[namespace], headers={"Cookie": self.cookie_header()},
                            transports=["websocket"], wait_timeout=10)
                break
            except socketio_client.exceptions.ConnectionError:
                sio.disconnect()
                if attempt == 2:
                    raise
                time.sleep(1)
        self.sio = sio
        return sio

    def _recorder(self, name):
        def record(data=None):
            with self.lock:
                self.events.append((name, data))
        return record

    def got(self, name, predicate=lambda d: True, timeout=10.0) -> list:
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                found = [d for n, d in self.events if n == name and predicate(d)]
            if found or time.monotonic() > deadline:
                return found
            time.sleep(0.05)

    def close(self) -> None:
        if self.sio is not None and self.sio.connected:
            self.sio.disconnect()
