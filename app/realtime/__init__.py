"""Socket.IO namespaces. Handlers are thin: they validate the payload shape, call a service,
and return an ack. Authentication is checked on connect and again on every event."""

from app.extensions import socketio


def register() -> None:
    """Attach every handler to the Socket.IO server of the app being built (each init_app makes
    a new server, so this runs once per app, not once per process)."""
    from app.realtime import account, chat, duty, forum

    for module in (account, forum, chat, duty):
        for event, handler, namespace in module.HANDLERS:
            socketio.on_event(event, handler, namespace=namespace)
