"""One Redis client per URL and process (redis-py pools its connections), with short timeouts so
a Redis outage costs a request milliseconds, not a hang."""

from __future__ import annotations

import threading

_clients: dict[str, object] = {}
_lock = threading.Lock()


def get(url: str):
    import redis

    with _lock:
        client = _clients.get(url)
        if client is None:
            client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5,
                                          health_check_interval=10)
            _clients[url] = client
        return client
