"""Socket.IO namespaces. Handlers are thin: they validate the payload shape, call a service,
and return an ack. Authentication is checked on connect and again on every event."""

_registered = False


def register() -> None:
    global _registered
    if _registered:  # handlers live on the module-level socketio, shared by every app in tests
        return
    from app.realtime import account  # noqa: F401  (registers its handlers)

    _registered = True
