"""The application factory. Reading it reads the app's shape."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from config import INSTANCE, Config, config_from_env, resolve_secret_key

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: type[Config] | None = None, overrides: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder="static",
        instance_path=str(INSTANCE),
    )
    _configure(app, config or config_from_env(), overrides or {})
    _configure_logging(app)
    _install_request_guards(app)  # before CSRF: it must read the raw body before form parsing
    _init_extensions(app)
    _register_blueprints(app)
    _register_sockets(app)
    _register_error_handlers(app)
    _install_security_headers(app)
    _register_cli(app)
    _start_background_work(app)
    return app


def _start_background_work(app: Flask) -> None:
    from app.services import jobs

    jobs.register(app)
    # Load the detector's lexicon now, not on the first chat line (half a second that would
    # otherwise stall a live room).
    from moderation import assess

    assess("warm up")


def _configure(app: Flask, config: type[Config], overrides: dict) -> None:
    app.config.from_object(config)
    app.config.update(overrides)
    app.config["SECRET_KEY"] = resolve_secret_key(app.config)
    if app.config.get("TRUSTED_PROXY_COUNT"):
        # Behind nginx/HAProxy the client address is in X-Forwarded-For; it is only ever used
        # for the salted, in-memory rate-limit key (services/ratelimit.py).
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = int(app.config["TRUSTED_PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]


class _NoClientAddress(logging.Filter):
    """Drop Werkzeug's per-request access lines: they start with the client address."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.name == "werkzeug" and "HTTP/" in str(record.msg) + str(record.args))


def _configure_logging(app: Flask) -> None:
    # Privacy: request logs would hold addresses and paths that reveal what someone read.
    # We log ids, event names and timings only, never content, pseudonyms or addresses.
    werkzeug_log = logging.getLogger("werkzeug")
    if not any(isinstance(f, _NoClientAddress) for f in werkzeug_log.filters):
        werkzeug_log.addFilter(_NoClientAddress())
    for name in ("engineio.server", "socketio.server"):
        logging.getLogger(name).setLevel(logging.WARNING)
    if not app.debug and not app.testing:
        app.logger.setLevel(logging.INFO)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    if dbapi_connection.__class__.__module__.startswith("sqlite3"):
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=5000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()


def _init_extensions(app: Flask) -> None:
    from app.extensions import csrf, db, limiter, migrate, socketio

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    _limit_writes_only(app, limiter)
    from app import i18n

    i18n.init_app(app)
    queue_url = app.config.get("SOCKETIO_MESSAGE_QUEUE")
    # Always say which manager: Flask-SocketIO keeps options between init_app calls.
    bus_options: dict = {"client_manager": None, "message_queue": None}
    if queue_url:
        from app.realtime import bus

        bus_options["client_manager"] = bus.manager_for(queue_url)
    socketio.init_app(
        app,
        async_mode=app.config["SOCKETIO_ASYNC_MODE"],
        **bus_options,
        # Same-origin only (the default): a page on another site can't open a socket with the
        # member's cookie. Payload logging stays off: messages are private.
        cors_allowed_origins=None,
        logger=False,
        engineio_logger=False,
        max_http_buffer_size=1024 * 1024,  # per-event limits are checked by services, with an error ack
    )


def _limit_writes_only(app: Flask, limiter) -> None:
    """Every rate limit Kindred sets is on a POST (joining, signing in, recovery: `methods=["POST"]`,
    tests/test_sessions.py checks that each one says so) and there are no default or application-wide
    limits, so a GET or HEAD is never limited; Flask-Limiter still spent ~35 µs on every page
    finding that out. Its check runs for every other method, as before."""
    if any(app.config.get(k) for k in ("RATELIMIT_DEFAULT", "RATELIMIT_APPLICATION", "RATELIMIT_META")):
        return  # limits that may apply to reads: keep the full check
    from flask import request

    funcs = app.before_request_funcs.setdefault(None, [])
    check = limiter._check_request_limit
    if check not in funcs:
        return

    def _check_request_limit_unless_reading():
        if request.method == "GET" or request.method == "HEAD":
            return None
        return check()

    funcs[funcs.index(check)] = _check_request_limit_unless_reading


def _register_blueprints(app: Flask) -> None:
    from app.services import chat, forums
    from app.web import account, admin, auth, directory, main, rooms
    from app.web import forums as forum_views
    from app.web import safety as safety_views

    for module in (main, auth, account, admin, forum_views, rooms, safety_views, directory):
        app.register_blueprint(module.bp)
    forums.register_member_data()
    chat.register_member_data()


def _register_sockets(app: Flask) -> None:
    from app.realtime import register

    register()


def _register_error_handlers(app: Flask) -> None:
    from app.web import context, errors

    errors.register(app)
    context.register(app)


def _install_request_guards(app: Flask) -> None:
    from app.web.guards import register

    register(app)


def _install_security_headers(app: Flask) -> None:
    from app.web import microcache
    from app.web.headers import register

    register(app)
    microcache.register(app)


def _register_cli(app: Flask) -> None:
    from app.cli import kindred

    app.cli.add_command(kindred)
