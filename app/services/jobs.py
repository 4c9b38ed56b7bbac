"""Background work: escalation of unclaimed flags and the duty grace period (every 10 s), the
sweep of sockets left by stopped workers (every 10 s), and the chat retention purge (hourly).

Every process runs the loops; each run goes through workers.run_once_per, so across all
workers each job runs once per period (a PostgreSQL advisory lock plus the job_run row), and
when the worker that ran it dies the next one due simply takes over. Each worker also writes
its own heartbeat (services.workers)."""

from __future__ import annotations

import logging

from flask import Flask

from app.extensions import socketio

log = logging.getLogger(__name__)

PURGE_EVERY_SECONDS = 3600
ESCALATION_EVERY_SECONDS = 10
SWEEP_EVERY_SECONDS = 10


def _purge() -> None:
    from app.services import chat

    removed = chat.purge_expired()
    if removed:
        log.info("retention purge removed %d chat lines", removed)


def _escalate() -> None:
    from app.services import duty

    duty.escalate_due()
    duty.expire_absent()


def _sweep() -> None:
    from app.services import workers

    workers.sweep_dead()


# name -> (period in seconds, work)
JOBS = {
    "escalation": (ESCALATION_EVERY_SECONDS, _escalate),
    "sweep": (SWEEP_EVERY_SECONDS, _sweep),
    "purge": (PURGE_EVERY_SECONDS, _purge),
}


def run_due(app: Flask) -> list[str]:
    """One pass: this worker's heartbeat, then every job no worker ran within its period.
    Returns the names of the jobs this call ran."""
    from app.extensions import db
    from app.services import workers

    ran = []
    with app.app_context():
        try:
            workers.heartbeat()
        except Exception as err:
            log.error("worker heartbeat failed: %s", type(err).__name__)
            db.session.rollback()
        for name, (every, work) in JOBS.items():
            try:
                if workers.run_once_per(name, every, work):
                    ran.append(name)
            except Exception as err:  # keep the loop alive; never log content
                log.error("background job %s failed: %s", name, type(err).__name__)
                db.session.rollback()
        db.session.remove()
    return ran


def _loop(app: Flask) -> None:
    while True:
        run_due(app)
        socketio.sleep(min(ESCALATION_EVERY_SECONDS, SWEEP_EVERY_SECONDS) / 2)


def start(app: Flask) -> None:
    """Start the loop once per process: `kindred serve` calls this at start, gunicorn's
    post_worker_init hook (gunicorn.conf.py) in each worker, and the first request otherwise."""
    if app.extensions.get("kindred_jobs_started"):
        return
    app.extensions["kindred_jobs_started"] = True
    socketio.start_background_task(_loop, app)
    from app.realtime import bus

    socketio.start_background_task(bus.watch)


def register(app: Flask) -> None:
    if not app.config.get("BACKGROUND_JOBS", True) or app.testing:
        return

    @app.before_request
    def _start_jobs_once():
        start(app)
