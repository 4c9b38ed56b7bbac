"""Background work for a single-process server: escalation of unclaimed flags and the duty
grace period (every few seconds), and the chat retention purge (hourly).

(Several workers need this to run exactly once: the production issue moves it behind a lock.)"""

from __future__ import annotations

import logging

from flask import Flask

from app.extensions import socketio

log = logging.getLogger(__name__)
PURGE_EVERY_SECONDS = 3600


def _loop(app: Flask) -> None:
    from app.extensions import db
    from app.services import chat

    while True:
        with app.app_context():
            try:
                removed = chat.purge_expired()
                if removed:
                    log.info("retention purge removed %d chat lines", removed)
            except Exception as err:  # keep the loop alive; never log content
                log.error("retention purge failed: %s", type(err).__name__)
            finally:
                db.session.remove()
        socketio.sleep(PURGE_EVERY_SECONDS)


ESCALATION_EVERY_SECONDS = 10


def _escalation_loop(app: Flask) -> None:
    from app.extensions import db
    from app.services import duty

    while True:
        with app.app_context():
            try:
                duty.escalate_due()
                duty.expire_absent()
            except Exception as err:
                log.error("escalation check failed: %s", type(err).__name__)
            finally:
                db.session.remove()
        socketio.sleep(ESCALATION_EVERY_SECONDS)


def start(app: Flask) -> None:
    """Start the loops once per process (the dev server calls this at start; under gunicorn the
    first request does). Each loop's writes are conditional, so several workers may run them."""
    if app.extensions.get("kindred_jobs_started"):
        return
    app.extensions["kindred_jobs_started"] = True
    socketio.start_background_task(_loop, app)
    socketio.start_background_task(_escalation_loop, app)


def register(app: Flask) -> None:
    if not app.config.get("BACKGROUND_JOBS", True) or app.testing:
        return

    @app.before_request
    def _start_jobs_once():
        start(app)
