#!/usr/bin/env python3
"""bench/prod load client: chat members over websocket, or anonymous forum readers, through HAProxy.

    PY load.py chat  --url https://127.0.0.1:9443 --cookies cookies.txt --rooms rooms.json \
        --members 500 --workers 4 --senders 20 --rate 15 --duration 300 --out chat.json --ready ready
    PY load.py forum --url https://127.0.0.1:9443 --urls urls.txt --rate 50 --duration 300 --out forum.json

Loopback only (the URL's host must be 127.0.0.1, ::1 or localhost), every loop bounded in time.
The certificate is self-signed: TLS without verification (the traffic never leaves the machine).

chat: member i joins room rooms[i % R] through worker w((i // R) % W + 1), pinned with HAProxy's
stickiness cookie (`kindred_worker=wN`), so every room has members on every worker and a line
reaches most of its room through Redis. Websocket transport only, no reconnection (a disconnect
is counted, and the lines it misses are lost). The first --senders members (spread over rooms
and workers) take turns sending --rate lines/s in total, open loop, each acknowledged; the body
carries `pb:<run>:<seq>:<send ns>`, so every receiver measures delivery latency. Expected
deliveries of a line: the members of its room connected when it was acknowledged, minus its
sender. Writes one JSON object (latency percentiles overall, per receiving worker and per 30 s
window; ack latency; lost/duplicate; reordered: a sender's own lines out of their sending order,
and reordered_by_id: a line arriving after one stored later (any sender); connect/join; errors;
disconnects; client CPU).

forum: open loop, --rate GETs/s of the paths in --urls (weighted: / 20 %, categories 30 %,
threads 50 %), no cookies (an anonymous reader; HAProxy's leastconn spreads them), keep-alive
connections up to --connections. Latency is measured from the scheduled time (so a stalled
client or server is not hidden) and from the request's start.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import ssl
import sys
import time
from array import array
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

try:
    import uvloop
except ImportError:  # plain asyncio works, a little slower
    uvloop = None

LOOPBACK = {"127.0.0.1", "::1", "localhost"}
TOKEN = re.compile(r"pb:([0-9a-f]+):(\d+):(\d+)")


def check_url(url: str) -> None:
    host = urlsplit(url).hostname
    if host not in LOOPBACK:
        raise SystemExit(f"refusing {url}: this tool only talks to loopback")


def pct(values, q: float):
    """Nearest-rank percentile of a sorted sequence (None when empty)."""
    if not values:
        return None
    k = max(0, min(len(values) - 1, int(round(q / 100 * len(values) + 0.5)) - 1))
    return round(values[k], 2)


def dist(values) -> dict:
    s = sorted(values)
    return {"n": len(s), "p50_ms": pct(s, 50), "p90_ms": pct(s, 90), "p99_ms": pct(s, 99),
            "p999_ms": pct(s, 99.9), "max_ms": round(s[-1], 2) if s else None}


def cpu_s() -> float:
    t = os.times()
    return t.user + t.system


# ------------------------------------------------------------------------------------------ chat

class Member:
    __slots__ = ("i", "cookie", "room", "worker", "sio", "connected", "joined", "got", "last_seq",
                 "last_id", "dups", "reord", "reord_id", "connect_ms", "error", "disconnected_at")

    def __init__(self, i, cookie, room, worker, nseq):
        self.i, self.cookie, self.room, self.worker = i, cookie, room, worker
        self.sio = None
        self.connected = self.joined = False
        self.got = bytearray(nseq)
        self.last_seq = {}  # per sender: the highest seq received from it
        self.last_id = -1   # the highest stored line id received
        self.dups = self.reord = self.reord_id = 0
        self.connect_ms = None
        self.error = None
        self.disconnected_at = None


async def run_chat(a) -> dict:
    import socketio

    cookies = [ln.strip() for ln in Path(a.cookies).read_text().splitlines() if ln.strip()]
    rooms = json.loads(Path(a.rooms).read_text())[: a.room_count]
    if len(cookies) < a.members:
        raise SystemExit(f"{a.cookies} has {len(cookies)} cookies, {a.members} needed")
    run = "%08x" % random.getrandbits(32)
    nseq = int(a.rate * a.duration) + 1
    R, W = len(rooms), a.workers
    members = [Member(i, cookies[i], rooms[i % R], (i // R) % W + 1, nseq) for i in range(a.members)]
    senders = members[: a.senders]
    t_start = time.time()
    cpu0 = cpu_s()

    # Per-delivery records (parallel arrays: latency, receiving worker, 30 s window of the send).
    lat, lat_worker, lat_window = array("d"), array("B"), array("H")
    state = {"phase": "connect", "t0_ns": 0, "other_runs": 0, "not_ours": 0, "self_echo": 0}
    errors: Counter = Counter()
    disconnects: list[dict] = []

    def make_handlers(m: Member):
        async def on_message(data):
            now = time.time_ns()
            body = data.get("body", "") if isinstance(data, dict) else str(data)
            hit = TOKEN.search(body or "")
            if not hit:
                state["not_ours"] += 1
                return
            if hit[1] != run:
                state["other_runs"] += 1
                return
            seq, sent_ns = int(hit[2]), int(hit[3])
            if seq >= nseq:
                return
            if m.i == seq % len(senders) and m.room == senders[seq % len(senders)].room:
                state["self_echo"] += 1  # the sender's own copy: not a delivery
                return
            if m.got[seq]:
                m.dups += 1
                return
            m.got[seq] = 1
            sender = seq % len(senders)
            if seq < m.last_seq.get(sender, -1):
                m.reord += 1  # a sender's own lines out of the order it sent them
            m.last_seq[sender] = max(m.last_seq.get(sender, -1), seq)
            line_id = data.get("id") if isinstance(data, dict) else None
            if isinstance(line_id, int):
                if line_id < m.last_id:
                    m.reord_id += 1  # a line stored before one already shown (any sender)
                m.last_id = max(m.last_id, line_id)
            lat.append((now - sent_ns) / 1e6)
            lat_worker.append(m.worker)
            lat_window.append(max(0, (sent_ns - state["t0_ns"]) // 30_000_000_000))

        async def on_disconnect(*args):  # python-socketio passes the reason (5.12+)
            m.connected = False
            if state["phase"] != "closing":
                m.disconnected_at = time.time()
                disconnects.append({"member": m.i, "worker": m.worker, "phase": state["phase"],
                                    "t": round(time.time() - t_start, 1), "reason": str(args[0]) if args else None})
        return on_message, on_disconnect

    sem = asyncio.Semaphore(a.connect_concurrency)

    async def connect(m: Member):
        async with sem:
            t = time.perf_counter()
            # engine.io moves the Cookie header into its own session's cookie jar: keep its default.
            sio = socketio.AsyncClient(reconnection=False, ssl_verify=False)
            m.sio = sio
            on_message, on_disconnect = make_handlers(m)
            sio.on("message:new", on_message, namespace="/chat")
            sio.on("disconnect", on_disconnect, namespace="/chat")
            try:
                await sio.connect(a.url, transports=["websocket"], namespaces=["/chat"],
                                  headers={"Cookie": f"{m.cookie}; kindred_worker=w{m.worker}"},
                                  wait_timeout=a.timeout)
                m.connected = True
                ack = await sio.call("room:join", {"room": m.room}, namespace="/chat", timeout=a.timeout)
                if not (isinstance(ack, dict) and ack.get("ok")):
                    raise RuntimeError(f"join refused: {ack.get('error') if isinstance(ack, dict) else ack}")
                m.joined = True
                m.connect_ms = (time.perf_counter() - t) * 1000
            except Exception as err:  # noqa: BLE001 - counted
                m.error = f"{type(err).__name__}: {err}"[:160]
                errors[f"connect/join: {m.error}"] += 1

    t_c = time.perf_counter()
    try:
        await asyncio.wait_for(asyncio.gather(*(connect(m) for m in members)), a.timeout * 4 + 60)
    except asyncio.TimeoutError:
        errors["connect phase timed out"] += 1
    connect_s = time.perf_counter() - t_c
    joined = [m for m in members if m.joined]
    print(f"chat: {len(joined)}/{len(members)} members joined in {connect_s:.1f} s", file=sys.stderr, flush=True)
    if a.ready:
        Path(a.ready).write_text(json.dumps({"joined": len(joined), "t": time.time()}))
    await asyncio.sleep(a.settle)

    # Send phase: open loop, line k at t0 + k / rate, by sender k % S; acked.
    seq_room = [0] * nseq
    seq_expected = array("l", [0] * nseq)
    seq_acked = bytearray(nseq)
    seq_sent_at = array("d", [0.0] * nseq)
    ack_ms = array("d")
    send_errors: Counter = Counter()
    inflight: set = set()

    async def send(k: int, m: Member):
        seq_sent_at[k] = time.time()
        body = f"pb:{run}:{k}:{time.time_ns()} hello everyone, checking in from the bench today"
        t = time.perf_counter()
        try:
            ack = await m.sio.call("message:send", {"room": m.room, "body": body, "client_id": f"pb{run}-{k}"},
                                   namespace="/chat", timeout=a.timeout)
        except Exception as err:  # noqa: BLE001 - counted
            send_errors[f"{type(err).__name__}"] += 1
            return
        ack_ms.append((time.perf_counter() - t) * 1000)
        if isinstance(ack, dict) and ack.get("ok"):
            seq_acked[k] = 1
            seq_expected[k] = sum(1 for x in members if x.room == m.room and x.connected and x is not m)
        else:
            send_errors[str(ack.get("error") if isinstance(ack, dict) else ack)[:120]] += 1

    state["phase"] = "send"
    cpu1 = cpu_s()
    t0 = time.perf_counter()
    state["t0_ns"] = time.time_ns()
    sent = 0
    for k in range(nseq - 1):
        due = t0 + k / a.rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if time.perf_counter() - t0 > a.duration + 5:
            break
        m = senders[k % len(senders)]
        seq_room[k] = m.room
        if not m.connected:
            send_errors["sender disconnected"] += 1
            continue
        task = asyncio.create_task(send(k, m))
        inflight.add(task)
        task.add_done_callback(inflight.discard)
        sent += 1
    send_s = time.perf_counter() - t0
    cpu2 = cpu_s()
    # Drain: acks, then deliveries, up to --timeout.
    state["phase"] = "drain"
    if inflight:
        await asyncio.wait(set(inflight), timeout=a.timeout)
    expected_total = sum(seq_expected)
    deadline = time.perf_counter() + a.timeout
    while time.perf_counter() < deadline and len(lat) < expected_total:
        await asyncio.sleep(0.2)
    drain_s = time.perf_counter() - t0 - send_s

    state["phase"] = "closing"
    still = sum(1 for m in members if m.connected)
    await asyncio.gather(*(m.sio.disconnect() for m in members if m.sio is not None), return_exceptions=True)
    for m in members:
        if m.sio is not None and m.sio.eio.http is not None:
            await m.sio.eio.http.close()

    # Expected: for each acknowledged line, the members of its room who had joined and were
    # still connected when it was sent, minus its sender. Delivered counts those deliveries only;
    # a line delivered although its ack failed is reported apart. lost_connected: what members
    # that never disconnected missed (the figure that is not explained by a disconnect).
    expected_total = delivered_expected = extra = 0
    exp_conn = got_conn = 0
    sender_of = [senders[k % len(senders)] for k in range(nseq)]
    for m in members:
        if not m.joined:
            continue
        for k in range(nseq):
            if not seq_acked[k]:
                if m.got[k]:
                    extra += 1
                continue
            if seq_room[k] != m.room or sender_of[k] is m:
                continue
            if m.disconnected_at is not None and m.disconnected_at <= seq_sent_at[k]:
                continue
            expected_total += 1
            delivered_expected += m.got[k]
            if m.disconnected_at is None:
                exp_conn += 1
                got_conn += m.got[k]
    lost = expected_total - delivered_expected
    lat_all = list(lat)
    per_worker = {}
    for w in range(1, W + 1):
        per_worker[f"w{w}"] = {**dist([x for x, ww in zip(lat, lat_worker) if ww == w]),
                               "members": sum(1 for m in members if m.worker == w and m.joined)}
    windows = []
    for b in range(int(a.duration // 30) + 2):
        vals = [x for x, bb in zip(lat, lat_window) if bb == b]
        if vals:
            d = dist(vals)
            windows.append({"from_s": b * 30, "n": d["n"], "p50_ms": d["p50_ms"], "p99_ms": d["p99_ms"],
                            "max_ms": d["max_ms"]})
    conn = sorted(m.connect_ms for m in members if m.connect_ms is not None)
    return {
        "kind": "chat", "run": run, "url": a.url, "members": a.members, "rooms": rooms,
        "room_sizes": Counter(m.room for m in members if m.joined),
        "workers": W, "members_per_worker": Counter(f"w{m.worker}" for m in members if m.joined),
        "senders": len(senders), "rate": a.rate, "duration_s": a.duration,
        "joined": len(joined), "connect_s": round(connect_s, 1),
        "connect_join_p50_ms": pct(conn, 50), "connect_join_p99_ms": pct(conn, 99),
        "connect_join_max_ms": round(conn[-1], 1) if conn else None,
        "lines_sent": sent, "lines_acked": int(sum(seq_acked)), "send_s": round(send_s, 1),
        "lines_per_s": round(sent / send_s, 2) if send_s else None, "drain_s": round(drain_s, 1),
        "ack": dist(list(ack_ms)), "send_errors": dict(send_errors),
        "expected": expected_total, "delivered": delivered_expected, "lost": lost,
        "lost_pct": round(100 * lost / expected_total, 4) if expected_total else None,
        "expected_never_disconnected": exp_conn, "lost_never_disconnected": exp_conn - got_conn,
        "disconnect_reasons": dict(Counter(d["reason"] for d in disconnects)),
        "delivered_unacked": extra, "duplicates": sum(m.dups for m in members),
        "reordered": sum(m.reord for m in members), "reordered_by_id": sum(m.reord_id for m in members), "deliveries_per_s": round(len(lat) / send_s, 1) if send_s else None,
        "latency": dist(lat_all), "latency_per_worker": per_worker, "latency_windows": windows,
        "errors": dict(errors), "disconnects": len(disconnects), "disconnect_list": disconnects[:2000],
        "connected_at_end": still, "self_echo": state["self_echo"], "other_runs": state["other_runs"],
        "client_cpu_s": round(cpu_s() - cpu0, 1),
        "client_cpu_pct_send": round(100 * (cpu2 - cpu1) / send_s, 1) if send_s else None,
    }


# ----------------------------------------------------------------------------------------- forum

async def run_forum(a) -> dict:
    import aiohttp

    paths = [p.strip() for p in Path(a.urls).read_text().splitlines() if p.strip()]
    home = [p for p in paths if p == "/"] or paths[:1]
    cats = [p for p in paths if p.startswith("/c/")] or home
    threads = [p for p in paths if p.startswith("/t/")] or home
    rnd = random.Random(1)

    def pick() -> str:
        x = rnd.random()
        return rnd.choice(home if x < 0.2 else cats if x < 0.5 else threads)

    lat_sched, lat_req = [], []
    status: Counter = Counter()
    errors: Counter = Counter()
    served_by: Counter = Counter()
    per_kind: dict[str, list] = {"/": [], "/c/": [], "/t/": []}
    nbytes = 0
    ssl_ctx = ssl.create_default_context()
    ssl_ctx.check_hostname = False
    ssl_ctx.verify_mode = ssl.CERT_NONE
    conn = aiohttp.TCPConnector(ssl=ssl_ctx, limit=a.connections)
    timeout = aiohttp.ClientTimeout(total=a.timeout)
    inflight: set = set()
    max_inflight = 0
    skipped = 0

    async with aiohttp.ClientSession(a.url, connector=conn, timeout=timeout,
                                     cookie_jar=aiohttp.DummyCookieJar()) as http:
        async def get(path: str, due: float):
            nonlocal nbytes
            t = time.perf_counter()
            try:
                async with http.get(path, allow_redirects=False) as resp:
                    data = await resp.read()
                    status[resp.status] += 1
                    nbytes += len(data)
                    for c in resp.headers.getall("Set-Cookie", []):
                        if c.startswith("kindred_worker="):
                            served_by[c.split(";")[0].split("=", 1)[1]] += 1
            except Exception as err:  # noqa: BLE001 - counted
                errors[type(err).__name__] += 1
                return
            end = time.perf_counter()
            lat_sched.append((end - due) * 1000)
            lat_req.append((end - t) * 1000)
            per_kind["/t/" if path.startswith("/t/") else "/c/" if path.startswith("/c/") else "/"].append((end - due) * 1000)

        cpu0 = cpu_s()
        t0 = time.perf_counter()
        n = int(a.rate * a.duration)
        for k in range(n):
            due = t0 + k / a.rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            if len(inflight) >= a.max_inflight:
                skipped += 1  # the server is that far behind: count it, don't pile up
                continue
            task = asyncio.create_task(get(pick(), due))
            inflight.add(task)
            task.add_done_callback(inflight.discard)
            max_inflight = max(max_inflight, len(inflight))
        send_s = time.perf_counter() - t0
        if inflight:
            await asyncio.wait(set(inflight), timeout=a.timeout + 5)
        cpu1 = cpu_s()
    ok = sum(v for k, v in status.items() if 200 <= k < 400)
    return {
        "kind": "forum", "url": a.url, "paths": len(paths), "rate": a.rate, "duration_s": a.duration,
        "requests": n - skipped, "skipped_client_behind": skipped, "ok": ok,
        "achieved_per_s": round(ok / send_s, 2) if send_s else None,
        "status": {str(k): v for k, v in sorted(status.items())}, "errors": dict(errors),
        "non_2xx_3xx": sum(v for k, v in status.items() if not 200 <= k < 400),
        "latency": dist(lat_sched), "latency_from_request_start": dist(lat_req),
        "latency_by_page": {k: dist(v) for k, v in per_kind.items()},
        "bytes_per_page": round(nbytes / max(1, ok)), "max_inflight": max_inflight,
        "served_by_new_cookie": dict(served_by),
        "client_cpu_s": round(cpu1 - cpu0, 1), "client_cpu_pct": round(100 * (cpu1 - cpu0) / send_s, 1),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="kind", required=True)
    c = sub.add_parser("chat")
    c.add_argument("--url", required=True)
    c.add_argument("--cookies", required=True)
    c.add_argument("--rooms", required=True, help="rooms.json from make_members.py")
    c.add_argument("--room-count", type=int, default=4)
    c.add_argument("--members", type=int, default=500)
    c.add_argument("--workers", type=int, default=4)
    c.add_argument("--senders", type=int, default=20)
    c.add_argument("--rate", type=float, default=15.0, help="lines/s over all senders")
    c.add_argument("--duration", type=float, default=300.0)
    c.add_argument("--settle", type=float, default=5.0, help="seconds between the last join and the first line")
    c.add_argument("--timeout", type=float, default=30.0)
    c.add_argument("--connect-concurrency", type=int, default=20)
    c.add_argument("--ready", help="file written when every member has joined")
    c.add_argument("--out", required=True)
    f = sub.add_parser("forum")
    f.add_argument("--url", required=True)
    f.add_argument("--urls", required=True, help="urls.txt from make_members.py")
    f.add_argument("--rate", type=float, default=50.0, help="GETs/s")
    f.add_argument("--duration", type=float, default=300.0)
    f.add_argument("--connections", type=int, default=64)
    f.add_argument("--max-inflight", type=int, default=1000)
    f.add_argument("--timeout", type=float, default=10.0)
    f.add_argument("--out", required=True)
    a = p.parse_args()
    check_url(a.url)
    if uvloop is not None:
        uvloop.install()
    result = asyncio.run(run_chat(a) if a.kind == "chat" else run_forum(a))
    result["uvloop"] = uvloop is not None
    Path(a.out).write_text(json.dumps(result, indent=1, default=str) + "\n")
    print(json.dumps({k: result[k] for k in ("kind", "latency", "errors")}), flush=True)


if __name__ == "__main__":
    main()
