#!/usr/bin/env python3
"""Warm a chat server up before a measured run: connect once, join, send a few lines (waiting
for each ack when the server acks sends), disconnect. Same options as chat_fanout.py.

Kindred loads its crisis detector on the first chat line (about half a second, see README.md);
without this the first measured message pays for it. Loopback only, bounded by --timeout.
"""
import argparse
import asyncio
import ipaddress
import sys
from urllib.parse import urlsplit

import socketio


async def run(a) -> None:
    host = urlsplit(a.url).hostname or ""
    if host != "localhost" and not ipaddress.ip_address(host).is_loopback:
        raise SystemExit(f"refusing {a.url}: loopback only")
    headers = {}
    if a.cookie_file:
        lines = open(a.cookie_file).read().splitlines()
        headers["Cookie"] = lines[a.cookie_line]
    sio = socketio.AsyncClient(reconnection=False)
    await sio.connect(a.url, headers=headers, transports=["websocket"], namespaces=[a.namespace],
                      wait_timeout=a.timeout)
    try:
        joined = await sio.call(a.join_event, {"room": a.room}, namespace=a.namespace, timeout=a.timeout)
        if isinstance(joined, dict) and joined.get("ok") is False:
            raise SystemExit(f"warm-up join refused: {joined.get('error')}")
        for i in range(a.lines):
            payload = {"room": a.room, "body": f"warm-up line {i}"}
            if a.acked_send:
                ack = await sio.call(a.send_event, payload, namespace=a.namespace, timeout=a.timeout)
                if isinstance(ack, dict) and ack.get("ok") is False:
                    raise SystemExit(f"warm-up send refused: {ack.get('error')}")
            else:
                await sio.emit(a.send_event, payload, namespace=a.namespace)
                await asyncio.sleep(0.05)
    finally:
        await sio.disconnect()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", required=True)
    p.add_argument("--room", default="bench", type=lambda v: int(v) if v.isdigit() else v)
    p.add_argument("--join-event", default="join")
    p.add_argument("--send-event", default="send")
    p.add_argument("--namespace", default="/")
    p.add_argument("--cookie-file")
    p.add_argument("--cookie-line", type=int, default=-1, help="which line of --cookie-file (default: the last)")
    p.add_argument("--lines", type=int, default=3)
    p.add_argument("--acked-send", action="store_true", help="the server acks sends (Kindred does)")
    p.add_argument("--timeout", type=float, default=20)
    a = p.parse_args()
    try:
        asyncio.run(asyncio.wait_for(run(a), timeout=a.timeout * 3))
    except (asyncio.TimeoutError, socketio.exceptions.SocketIOError) as err:
        sys.exit(f"warm-up failed: {err!r}")


if __name__ == "__main__":
    main()
