"""The message bus between workers (Redis) and what members see when it is away.

Flask-SocketIO's Redis manager carries every emit to the worker holding the recipient's socket.
Ours differs from the stock one in two ways: it retries a lost subscription every second or two
(the stock one backs off to a minute, so a worker could stay deaf long after Redis is back) and
it says whether it is subscribed. Each worker watches that and a ping; when the bus goes away it
tells its own sockets (`server:status`, emitted locally, since the bus is what is missing), and
when it is back it tells them again so pages catch up: rooms re-join with the last line seen
before the outage, duty pages fetch open alerts. Lines and posts are stored as usual meanwhile;
only their live delivery waits.
"""

from __future__ import annotations

import logging
import time

import socketio as python_socketio

log = logging.getLogger(__name__)

CHECK_EVERY_SECONDS = 1.0
NAMESPACES = ("/chat", "/duty", "/forum", "/")


class WatchedRedisManager(python_socketio.RedisManager):
    listening = False

    def _redis_listen_with_retries(self):  # replaces the stock loop (see the module note)
        while True:
            try:
                self._redis_connect()
                self.pubsub.subscribe(self.channel)
                self.listening = True
                yield from self.pubsub.listen()
            except Exception as exc:
                if self.listening:
                    log.warning("message bus lost (%s); retrying", type(exc).__name__)
                self.listening = False
                time.sleep(1.0)


_state = {"manager": None, "up": True, "url": None}


def manager_for(url: str) -> WatchedRedisManager:
    manager = WatchedRedisManager(url, channel="kindred-socketio")
    _state["manager"], _state["url"] = manager, url
    return manager


def is_up() -> bool:
    return bool(_state["up"])


def status_payload() -> dict:
    # No sentence here: one event goes to readers of every language; pages have the words.
    return {"live": True} if _state["up"] else {"live": False, "reason": "message bus"}


def _check() -> bool:
    manager = _state["manager"]
    if manager is None:
        return True
    from app.services import redis_client

    try:
        redis_client.get(_state["url"]).ping()
    except Exception:
        return False
    return bool(manager.listening)


def watch() -> None:
    """Run forever in each worker (a background task started with the jobs)."""
    from app.extensions import socketio

    if _state["manager"] is None:
        return
    while True:
        up = _check()
        if up != _state["up"]:
            _state["up"] = up
            log.warning("message bus %s", "back" if up else "unavailable")
            for ns in NAMESPACES:
                socketio.emit("server:status", status_payload(), namespace=ns, ignore_queue=True)
        socketio.sleep(CHECK_EVERY_SECONDS)
