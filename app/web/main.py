"""Home, health check, and the pages that explain Kindred's promises."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from sqlalchemy import text

from app.extensions import db, limiter
from app.web.microcache import anonymous_pages

bp = Blueprint("main", __name__)


@bp.get("/")
@anonymous_pages
def index():
    from app.services import forums, sessions

    return render_template("main/index.html", rows=forums.index_rows(sessions.current_member()))


@bp.get("/privacy")
def privacy():
    return render_template("main/privacy.html")


_health_engines: dict = {}


def _health_engine():
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    url = db.engine.url
    engine = _health_engines.get(str(url))
    if engine is None:
        args = {"connect_timeout": 3} if url.get_backend_name() == "postgresql" else {}
        engine = _health_engines[str(url)] = create_engine(url, poolclass=NullPool, connect_args=args)
    return engine


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """200 once the database answers; 503 (still JSON) when it does not. On its own connection,
    outside the worker's pool: a busy pool is not a dead worker, and taking a busy worker out of
    the proxy's rotation only moves its load onto the others (bench/prod/README.md)."""
    try:
        with _health_engine().connect() as con:
            con.execute(text("SELECT 1"))
        database = "ok"
    except Exception:  # the point of a health check is to report, not to raise
        database = "unavailable"
    status = 200 if database == "ok" else 503
    return jsonify(status="ok" if status == 200 else "error", database=database), status
