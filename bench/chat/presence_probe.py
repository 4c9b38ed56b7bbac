#!/usr/bin/env python3
"""How much `room:presence` traffic a room of N members gets while it fills up (Kindred only).

    ../shared/bench/.venv/bin/python bench/chat/presence_probe.py --url http://127.0.0.1:5411 \
        --clients 200 --cookie-file cookies.txt --room 1

N members connect and join (at most --connect-concurrency at a time, like chat_fanout.py); each
counts the `room:presence` events and their JSON bytes it receives. After the last join ack, the
probe waits until no presence event has arrived for --quiet seconds. Prints one JSON line:
events, bytes (as the client decoded them), join phase seconds, and how long presence traffic
kept arriving after the last join was acknowledged (the backlog a chat line would queue behind).
Loopback only; bounded by --timeout.
"""
import argparse
import asyncio
import ipaddress
import json
import time
from urllib.parse import urlsplit

import socketio


async def run(a) -> dict:
    host = urlsplit(a.url).hostname or ""
    if host != "localhost" and not ipaddress.ip_address(host).is_loopback:
        raise SystemExit(f"refusing {a.url}: loopback only")
    cookies = open(a.cookie_file).read().splitlines()
    stats = {"events": 0, "bytes": 0, "last": time.perf_counter()}
    gate = asyncio.Semaphore(a.connect_concurrency)

    def on_presence(data):
        stats["events"] += 1
        stats["bytes"] += len(json.dumps(data, separators=(",", ":")))
        stats["last"] = time.perf_counter()

    async def one(i):
        sio = socketio.AsyncClient(reconnection=False)
        sio.on("room:presence", on_presence, namespace="/chat")
        async with gate:
            await sio.connect(a.url, headers={"Cookie": cookies[i]}, transports=["websocket"],
                              namespaces=["/chat"], wait_timeout=a.timeout)
            ack = await sio.call("room:join", {"room": a.room}, namespace="/chat", timeout=a.timeout)
            if not (isinstance(ack, dict) and ack.get("ok")):
                raise RuntimeError(f"join refused: {ack}")
        return sio

    t0 = time.perf_counter()
    clients = await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(a.clients))), a.timeout * 4)
    t_joined = time.perf_counter()
    while time.perf_counter() - stats["last"] < a.quiet and time.perf_counter() - t_joined < a.timeout:
        await asyncio.sleep(0.05)
    out = {"clients": a.clients, "presence_events": stats["events"], "presence_mbytes": round(stats["bytes"] / 1e6, 1),
           "join_phase_s": round(t_joined - t0, 2),
           "presence_after_last_join_s": round(max(0.0, stats["last"] - t_joined), 2)}
    await asyncio.wait([asyncio.create_task(c.disconnect()) for c in clients], timeout=a.timeout)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", required=True)
    p.add_argument("--clients", type=int, default=200)
    p.add_argument("--cookie-file", required=True)
    p.add_argument("--room", type=int, default=1)
    p.add_argument("--connect-concurrency", type=int, default=50)
    p.add_argument("--quiet", type=float, default=2.0)
    p.add_argument("--timeout", type=float, default=30)
    print(json.dumps(asyncio.run(run(p.parse_args()))), flush=True)


if __name__ == "__main__":
    main()
