#!/usr/bin/env python3
"""Crisis alert latency: from the ack of a level 3 chat line or forum post to `flag:new` at every
on-duty peer, while members chat in the drop-in room. Prints one JSON line.

    python alerts.py measure --url http://127.0.0.1:5431 --cookies DIR --chatters 200 --lines 50 --posts 10
    python alerts.py chatters --url ... --cookie-file DIR/chatters.cookies --period 10   (started by measure)

`measure` (one process, one event loop, so every timestamp comes from the same clock):
  1. connects the peers to `/duty` (websocket transport, with their session cookies) and emits
     `duty:on` (ack must be {"ok": true});
  2. connects the sender to `/chat` and joins the drop-in room (`room:join`);
  3. starts the background chat in a child process (`chatters`, so decoding 200 members' traffic
     never delays this loop's timestamps) and waits until every chatter has joined, then `--warmup` s;
  4. sends `--lines` level 3 chat lines (`message:send`, one unique tag each) and `--posts` level 3
     forum posts (POST /c/wellbeing/new, the form page fetched first, untimed) spread among them,
     one event every ~`--gap` s (jittered), each timed send -> ack (the ack frame, or the HTTP 303);
  5. waits until every peer has every alert or `--drain` s after the last ack.
A delivery is (event, peer): the first `flag:new` whose excerpt carries the event's tag and is not an
escalation. Latency `ack_ms` = receive - ack (negative when the alert beat the ack to the client),
`send_ms` = receive - send. A miss is an (event, peer) pair with no alert by the end.

Bounds: connect phases `--connect-timeout` s, every ack 10 s, the drain `--drain` s, the whole run
`--max-seconds`; the chatters stop when told, when their stdin closes, or after their own
`--max-seconds`, and are killed if they don't. Loopback URLs only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import resource
import signal
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import socketio
from yarl import URL

CRISIS = "I have the rope ready and tonight I end it"
TAG_RE = re.compile(r"bench ref ([A-Za-z0-9-]+)")
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
KEY_RE = re.compile(r'name="submission_key" type="hidden" value="([^"]+)"|value="([^"]+)"[^>]*name="submission_key"')
BENIGN = [
    "Had my three-monthly bloods done this morning and the nurse was lovely.",
    "Does anyone else get vivid dreams on the new regimen?",
    "I switched pharmacies because the old one kept running out of my meds.",
    "The support group on Thursday was really good, thanks to everyone who came.",
    "Viral load still undetectable, CD4 going up slowly.",
    "Work has been busy so I keep forgetting to eat lunch.",
    "Has anyone travelled with their medication in hand luggage?",
    "Good morning everyone, hope the week is treating you kindly.",
    "My partner came with me to the clinic, which helped a lot.",
    "Anyone got a good recipe for a cheap weekday soup?",
]


def loopback_only(url: str) -> None:
    host = urlsplit(url).hostname
    if host not in ("127.0.0.1", "::1", "localhost"):
        raise SystemExit(f"refusing {url!r}: loopback only")


def pct(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile."""
    if not values:
        return None
    s = sorted(values)
    k = max(1, min(len(s), int(-(-q * len(s) // 100))))
    return round(s[k - 1], 1)


def proc_cpu_s(pid: int | None) -> float | None:
    """utime + stime of a process (all its threads), in seconds."""
    if not pid:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def self_cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def ms(ns: int) -> float:
    return ns / 1e6


async def connect(url: str, cookie: str, namespace: str, timeout: float) -> socketio.AsyncClient:
    sio = socketio.AsyncClient(reconnection=False)
    await asyncio.wait_for(sio.connect(url, headers={"Cookie": cookie}, transports=["websocket"],
                                       namespaces=[namespace], wait_timeout=timeout), timeout + 1)
    return sio


async def safe_disconnect(clients) -> None:
    async def one(c):
        try:
            await asyncio.wait_for(c.disconnect(), 5)
        except Exception:
            pass
    await asyncio.gather(*(one(c) for c in clients if c is not None))


# ---------------------------------------------------------------- background chat (child process)

async def chatters_main(a) -> None:
    loopback_only(a.url)
    cookies = [x.strip() for x in Path(a.cookie_file).read_text().splitlines() if x.strip()][: a.count]
    deadline = time.monotonic() + a.max_seconds
    stop = asyncio.Event()
    stats = {"connected": 0, "joined": 0, "sent": 0, "acked": 0, "received": 0, "errors": {}}
    ack_ms: list[float] = []
    clients: list[socketio.AsyncClient | None] = [None] * len(cookies)
    sem = asyncio.Semaphore(a.connect_concurrency)

    def err(what: str) -> None:
        stats["errors"][what[:120]] = stats["errors"].get(what[:120], 0) + 1

    def on_line(_data=None):
        stats["received"] += 1

    async def start(i: int) -> None:
        async with sem:
            try:
                sio = await connect(a.url, cookies[i], "/chat", a.connect_timeout)
            except Exception as e:  # noqa: BLE001
                err(f"connect: {type(e).__name__}: {e}")
                return
            sio.on("message:new", on_line, namespace="/chat")
            clients[i] = sio
            stats["connected"] += 1
            try:
                ack = await sio.call("room:join", {"room": a.room}, namespace="/chat", timeout=10)
            except Exception as e:  # noqa: BLE001
                err(f"join: {type(e).__name__}")
                return
            if isinstance(ack, dict) and ack.get("ok"):
                stats["joined"] += 1
            else:
                err(f"join: {ack!r}")

    async def talk(i: int, sio: socketio.AsyncClient, rng: random.Random) -> None:
        n = 0
        nxt = time.monotonic() + rng.uniform(0, a.period)
        while not stop.is_set() and time.monotonic() < deadline:
            delay = nxt - time.monotonic()
            if delay > 0:
                try:
                    await asyncio.wait_for(stop.wait(), delay)
                    return
                except asyncio.TimeoutError:
                    pass
            body = f"{rng.choice(BENIGN)} [bg {i}-{n}]"
            t0 = time.perf_counter_ns()
            stats["sent"] += 1
            try:
                ack = await sio.call("message:send", {"room": a.room, "body": body, "client_id": f"bg-{i}-{n}"},
                                     namespace="/chat", timeout=10)
                if isinstance(ack, dict) and ack.get("ok"):
                    stats["acked"] += 1
                    ack_ms.append(ms(time.perf_counter_ns() - t0))
                else:
                    err(f"send: {ack!r}")
            except Exception as e:  # noqa: BLE001
                err(f"send: {type(e).__name__}")
            n += 1
            nxt = max(nxt + a.period, time.monotonic())

    async def watch_stdin() -> None:
        loop = asyncio.get_running_loop()
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line or line.strip() == "stop":
                stop.set()
                return

    try:
        await asyncio.wait_for(asyncio.gather(*(start(i) for i in range(len(cookies)))),
                               a.connect_timeout * 4 + 30)
    except asyncio.TimeoutError:
        err("connect phase timed out")
    print("READY " + json.dumps({"connected": stats["connected"], "joined": stats["joined"]}), flush=True)
    watcher = asyncio.ensure_future(watch_stdin())
    rng = random.Random(a.seed)
    t_start = time.monotonic()
    cpu0 = self_cpu_s()
    tasks = [asyncio.ensure_future(talk(i, c, random.Random(rng.random()))) for i, c in enumerate(clients)
             if c is not None]
    try:
        await asyncio.wait_for(stop.wait(), max(0.0, deadline - time.monotonic()))
    except asyncio.TimeoutError:
        err("stopped by --max-seconds")
    stop.set()
    await asyncio.wait(tasks, timeout=12)
    wall = time.monotonic() - t_start
    stats.update(ack_p50_ms=pct(ack_ms, 50), ack_p99_ms=pct(ack_ms, 99), ack_max_ms=pct(ack_ms, 100),
                 lines_per_s=round(stats["acked"] / wall, 1) if wall else None,
                 cpu_pct=round(100 * (self_cpu_s() - cpu0) / wall, 1) if wall else None)
    print("DONE " + json.dumps(stats), flush=True)
    watcher.cancel()
    await safe_disconnect(clients)


# ---------------------------------------------------------------- the measurement

async def measure_main(a) -> dict:
    loopback_only(a.url)
    cdir = Path(a.cookies)
    peer_cookies = [x.strip() for x in (cdir / "peers.cookies").read_text().splitlines() if x.strip()][: a.peers]
    sender_cookie = (cdir / "sender.cookies").read_text().split("\n")[0].strip()
    if len(peer_cookies) < a.peers:
        raise SystemExit(f"only {len(peer_cookies)} peer cookies for --peers {a.peers}")
    run_id = f"{a.label}-{random.randrange(16**6):06x}"
    errors: dict[str, int] = {}

    def err(what: str) -> None:
        errors[what[:160]] = errors.get(what[:160], 0) + 1

    # alerts as they arrive: per peer, (receive ns, payload)
    received: list[list[tuple[int, dict]]] = [[] for _ in range(a.peers)]

    def on_flag(idx: int):
        def handler(data):
            received[idx].append((time.perf_counter_ns(), data))
        return handler

    out = {"label": a.label, "mode": a.mode, "chatters": a.chatters, "peers": a.peers, "lines": a.lines,
           "posts": a.posts, "gap_s": a.gap, "chat_period_s": a.period}
    peers: list[socketio.AsyncClient | None] = [None] * a.peers
    sender = None
    child = None
    http = None
    try:
        # 1. peers on duty
        sem = asyncio.Semaphore(10)

        async def peer(i: int) -> None:
            async with sem:
                try:
                    sio = socketio.AsyncClient(reconnection=False)
                    sio.on("flag:new", on_flag(i), namespace="/duty")
                    await asyncio.wait_for(sio.connect(a.url, headers={"Cookie": peer_cookies[i]},
                                                       transports=["websocket"], namespaces=["/duty"],
                                                       wait_timeout=a.connect_timeout), a.connect_timeout + 1)
                    peers[i] = sio
                    ack = await sio.call("duty:on", {}, namespace="/duty", timeout=10)
                    if not (isinstance(ack, dict) and ack.get("ok") is True):
                        err(f"duty:on: {ack!r}")
                        peers[i] = None
                        await safe_disconnect([sio])
                except Exception as e:  # noqa: BLE001
                    err(f"peer connect: {type(e).__name__}: {e}")

        await asyncio.gather(*(peer(i) for i in range(a.peers)))
        on_duty = [i for i, p in enumerate(peers) if p is not None]
        out["peers_on_duty"] = len(on_duty)

        # 2. sender in the room, and its HTTP session for forum posts
        sender = await connect(a.url, sender_cookie, "/chat", a.connect_timeout)
        ack = await sender.call("room:join", {"room": a.room}, namespace="/chat", timeout=10)
        if not (isinstance(ack, dict) and ack.get("ok")):
            raise RuntimeError(f"sender could not join room {a.room}: {ack!r}")
        # A cookie jar, not a fixed header: the form page adds the CSRF secret to the session cookie.
        jar = aiohttp.CookieJar(unsafe=True)  # unsafe: keep cookies for an IP address (127.0.0.1)
        name, _, value = sender_cookie.partition("=")
        jar.update_cookies({name: value}, URL(a.url))
        http = aiohttp.ClientSession(cookie_jar=jar, timeout=aiohttp.ClientTimeout(total=10))

        # Warm-up, timed and reported apart: the first screened line and post after a start pay for
        # loading the crisis detector (imported on first use); the measured events should not.
        t0 = time.perf_counter_ns()
        ack = await sender.call("message:send", {"room": a.room, "body": "Hello everyone, just dropping in.",
                                                 "client_id": f"warm-{run_id}"}, namespace="/chat", timeout=30)
        out["first_line_ack_ms"] = round(ms(time.perf_counter_ns() - t0), 1)
        if not (isinstance(ack, dict) and ack.get("ok")):
            err(f"warm-up line: {ack!r}")
        try:
            async with http.get(f"{a.url}/c/wellbeing/new") as r:
                page = await r.text()
            m, k = CSRF_RE.search(page), KEY_RE.search(page)
            t0 = time.perf_counter_ns()
            async with http.post(f"{a.url}/c/wellbeing/new", allow_redirects=False, data={
                    "csrf_token": m[1] or m[2], "submission_key": k[1] or k[2], "title": f"Hello {run_id}",
                    "body": "Good morning, new here and glad I found this place.", "content_warning": ""}) as r:
                await r.read()
                out["first_post_ms"] = round(ms(time.perf_counter_ns() - t0), 1)
                if r.status != 303:
                    err(f"warm-up post: HTTP {r.status}")
        except Exception as e:  # noqa: BLE001
            err(f"warm-up post: {type(e).__name__}: {e}")

        # 3. background chat
        if a.chatters > 0:
            child = await asyncio.create_subprocess_exec(
                sys.executable, os.path.abspath(__file__), "chatters", "--url", a.url,
                "--cookie-file", str(cdir / "chatters.cookies"), "--count", str(a.chatters),
                "--period", str(a.period), "--room", str(a.room), "--seed", str(a.seed),
                "--connect-timeout", str(a.connect_timeout), "--max-seconds", str(a.max_seconds),
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
            line = await asyncio.wait_for(child.stdout.readline(), a.connect_timeout * 4 + 40)
            if not line.startswith(b"READY "):
                raise RuntimeError(f"chatters did not start: {line[:200]!r}")
            ready = json.loads(line[6:])
            out["chatters_joined"] = ready["joined"]
        await asyncio.sleep(a.warmup)

        # 4. the crisis events
        n = a.lines + a.posts
        post_at = {round((k + 0.5) * n / a.posts) for k in range(a.posts)} if a.posts else set()
        rng = random.Random(a.seed + 1)
        events = []
        srv0, me0, ch0, t_window0 = (proc_cpu_s(a.server_pid), self_cpu_s(),
                                     proc_cpu_s(child.pid if child else None), time.monotonic())
        for i in range(n):
            tag = f"{run_id}-{i:03d}"
            body = f"{CRISIS}. (bench ref {tag})"
            ev = {"tag": tag, "kind": "post" if i in post_at else "chat", "ok": False}
            if ev["kind"] == "chat":
                t0 = time.perf_counter_ns()
                try:
                    ack = await sender.call("message:send", {"room": a.room, "body": body, "client_id": f"al-{tag}"},
                                            namespace="/chat", timeout=10)
                    t1 = time.perf_counter_ns()
                    if isinstance(ack, dict) and ack.get("ok"):
                        ev.update(ok=True, id=ack.get("id"), level=(ack.get("support") or {}).get("level"))
                    else:
                        err(f"chat send: {ack!r}")
                except Exception as e:  # noqa: BLE001
                    t1 = None
                    err(f"chat send: {type(e).__name__}")
            else:
                t0 = None
                try:
                    async with http.get(f"{a.url}/c/wellbeing/new") as r:
                        page = await r.text()
                    m, k = CSRF_RE.search(page), KEY_RE.search(page)
                    data = {"csrf_token": m[1] or m[2], "submission_key": k[1] or k[2],
                            "title": f"Tonight {tag}", "body": body, "content_warning": ""}
                    t0 = time.perf_counter_ns()
                    async with http.post(f"{a.url}/c/wellbeing/new", data=data, allow_redirects=False) as r:
                        t1 = time.perf_counter_ns()
                        await r.read()
                        if r.status == 303:
                            ev.update(ok=True, location=r.headers.get("Location"))
                        else:
                            err(f"post: HTTP {r.status}")
                except Exception as e:  # noqa: BLE001
                    t0 = t0 or time.perf_counter_ns()
                    t1 = None
                    err(f"post: {type(e).__name__}: {e}")
            ev["t_send"], ev["t_ack"] = t0, t1
            events.append(ev)
            await asyncio.sleep(rng.uniform(0.5 * a.gap, 1.5 * a.gap))

        # 5. drain
        by_tag = {ev["tag"]: ev for ev in events}
        expected = len(events) * len(on_duty)
        drain_end = time.monotonic() + a.drain

        def got() -> int:
            seen = set()
            for i in on_duty:
                for _t, d in received[i]:
                    m = TAG_RE.search(str(d.get("excerpt", "")))
                    if m and m[1] in by_tag and not d.get("escalated"):
                        seen.add((i, m[1]))
            return len(seen)

        while time.monotonic() < drain_end and got() < expected:
            await asyncio.sleep(0.05)
        wall = time.monotonic() - t_window0
        srv1, me1, ch1 = proc_cpu_s(a.server_pid), self_cpu_s(), proc_cpu_s(child.pid if child else None)

        # results
        ack_ms, send_ms, lat_by_kind, rows = [], [], {"chat": [], "post": []}, []
        misses = dups = escalated = unknown = wrong_where = late = 0
        for i in on_duty:
            firsts: dict[str, int] = {}
            for t, d in received[i]:
                m = TAG_RE.search(str(d.get("excerpt", "")))
                if d.get("escalated"):
                    escalated += 1
                    continue
                if not m or m[1] not in by_tag:
                    unknown += 1
                    continue
                tag = m[1]
                if tag in firsts:
                    dups += 1
                    continue
                firsts[tag] = t
                ev = by_tag[tag]
                if ev["kind"] == "chat" and ev.get("id") is not None and not str(d.get("where", "")).endswith(f"#m{ev['id']}"):
                    wrong_where += 1
                if d.get("level") != 3:
                    err(f"alert level {d.get('level')}")
            for ev in events:
                t = firsts.get(ev["tag"])
                row = {"label": a.label, "tag": ev["tag"], "kind": ev["kind"], "peer": i,
                       "sender_ack_ms": round(ms(ev["t_ack"] - ev["t_send"]), 2) if ev["t_ack"] else None}
                rows.append(row)
                if t is None:
                    misses += 1
                    row["miss"] = True
                    continue
                s = ms(t - ev["t_send"])
                row["send_ms"] = round(s, 2)
                row["ack_ms"] = round(ms(t - ev["t_ack"]), 2) if ev["t_ack"] else None
                send_ms.append(s)
                late += s > 1000
                if ev["t_ack"] is not None:
                    ack_ms.append(ms(t - ev["t_ack"]))
                    lat_by_kind[ev["kind"]].append(ms(t - ev["t_ack"]))
        sender_ack = {k: [ms(ev["t_ack"] - ev["t_send"]) for ev in events if ev["kind"] == k and ev["t_ack"]]
                      for k in ("chat", "post")}
        out.update(
            events=len(events), events_ok=sum(ev["ok"] for ev in events),
            levels_acked=sorted({ev.get("level") for ev in events if ev["kind"] == "chat"}, key=str),
            expected=expected, delivered=len(send_ms), misses=misses, late_over_1s=late, duplicates=dups,
            escalated_ignored=escalated, unknown_alerts=unknown, wrong_where=wrong_where,
            p50_ms=pct(ack_ms, 50), p90_ms=pct(ack_ms, 90), p99_ms=pct(ack_ms, 99), max_ms=pct(ack_ms, 100),
            min_ms=pct(ack_ms, 0.0001),
            send_p50_ms=pct(send_ms, 50), send_p99_ms=pct(send_ms, 99), send_max_ms=pct(send_ms, 100),
            chat_p50_ms=pct(lat_by_kind["chat"], 50), chat_p99_ms=pct(lat_by_kind["chat"], 99),
            post_p50_ms=pct(lat_by_kind["post"], 50), post_p99_ms=pct(lat_by_kind["post"], 99),
            sender_chat_ack_p50_ms=pct(sender_ack["chat"], 50), sender_chat_ack_p99_ms=pct(sender_ack["chat"], 99),
            sender_post_ack_p50_ms=pct(sender_ack["post"], 50), sender_post_ack_p99_ms=pct(sender_ack["post"], 99),
            window_s=round(wall, 1),
            server_cpu_pct=round(100 * (srv1 - srv0) / wall, 1) if srv0 is not None and srv1 is not None else None,
            client_cpu_pct=round(100 * (me1 - me0) / wall, 1),
            chatters_cpu_pct=round(100 * (ch1 - ch0) / wall, 1) if ch0 is not None and ch1 is not None else None,
        )
        if a.raw:
            with open(a.raw, "a") as f:
                for row in rows:
                    f.write(json.dumps(row) + "\n")
        # 6. stop the chatters, collect their figures
        if child is not None:
            try:
                child.stdin.write(b"stop\n")
                await child.stdin.drain()
                child.stdin.close()
                while True:
                    line = await asyncio.wait_for(child.stdout.readline(), 20)
                    if not line or line.startswith(b"DONE "):
                        break
                if line.startswith(b"DONE "):
                    c = json.loads(line[5:])
                    out["bg"] = {k: c[k] for k in ("joined", "sent", "acked", "lines_per_s", "received",
                                                   "ack_p50_ms", "ack_p99_ms", "ack_max_ms", "errors")}
            except Exception as e:  # noqa: BLE001
                err(f"chatters stop: {type(e).__name__}")
    finally:
        if child is not None and child.returncode is None:
            try:
                await asyncio.wait_for(child.wait(), 10)
            except asyncio.TimeoutError:
                child.kill()
                await child.wait()
        if http is not None:
            await http.close()
        await safe_disconnect([sender, *peers])
    out["errors"] = errors
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("measure")
    m.add_argument("--url", required=True)
    m.add_argument("--cookies", required=True, help="dir with peers.cookies, sender.cookies, chatters.cookies")
    m.add_argument("--chatters", type=int, default=200)
    m.add_argument("--peers", type=int, default=20)
    m.add_argument("--lines", type=int, default=50, help="level 3 chat lines")
    m.add_argument("--posts", type=int, default=10, help="level 3 forum posts")
    m.add_argument("--gap", type=float, default=0.5, help="mean seconds between crisis events")
    m.add_argument("--period", type=float, default=10.0, help="each chatter sends one line every PERIOD s")
    m.add_argument("--room", type=int, default=1)
    m.add_argument("--warmup", type=float, default=5.0)
    m.add_argument("--drain", type=float, default=10.0)
    m.add_argument("--connect-timeout", type=float, default=15.0)
    m.add_argument("--max-seconds", type=float, default=300.0)
    m.add_argument("--seed", type=int, default=7)
    m.add_argument("--label", default="kindred")
    m.add_argument("--mode", default="")
    m.add_argument("--server-pid", type=int)
    m.add_argument("--raw", help=argparse.SUPPRESS)
    c = sub.add_parser("chatters")
    c.add_argument("--url", required=True)
    c.add_argument("--cookie-file", required=True)
    c.add_argument("--count", type=int, default=200)
    c.add_argument("--period", type=float, default=10.0)
    c.add_argument("--room", type=int, default=1)
    c.add_argument("--seed", type=int, default=7)
    c.add_argument("--connect-timeout", type=float, default=15.0)
    c.add_argument("--connect-concurrency", type=int, default=20)
    c.add_argument("--max-seconds", type=float, default=300.0)
    a = p.parse_args()
    for name, lo, hi in (("chatters", 0, 2000), ("count", 0, 2000), ("peers", 1, 200), ("lines", 0, 1000),
                         ("posts", 0, 200), ("max_seconds", 1, 3600)):
        v = getattr(a, name, None)
        if v is not None and not lo <= v <= hi:
            raise SystemExit(f"--{name.replace('_', '-')} must be within {lo}-{hi}")
    if a.cmd == "measure" and a.gap < 0.05:
        raise SystemExit("--gap must be at least 0.05 s")
    if a.cmd == "chatters" and a.period < 0.1:
        raise SystemExit("--period must be at least 0.1 s")
    try:
        import uvloop  # noqa: F401
        uvloop.install()
    except ImportError:
        pass
    if a.cmd == "chatters":
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        asyncio.run(chatters_main(a))
        return
    result = asyncio.run(asyncio.wait_for(measure_main(a), a.max_seconds))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
