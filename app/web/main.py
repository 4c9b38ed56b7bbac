"""Home, health check, and the pages that explain Kindred's promises."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from sqlalchemy import text

from app.extensions import db, limiter

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    from app.services import forums, sessions

    return render_template("main/index.html", rows=forums.index_rows(sessions.current_member()))


@bp.get("/privacy")
def privacy():
    return render_template("main/privacy.html")


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """200 once the database answers; 503 (still JSON) when it does not."""
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception:  # the point of a health check is to report, not to raise
        db.session.rollback()
        database = "unavailable"
    status = 200 if database == "ok" else 503
    return jsonify(status="ok" if status == 200 else "error", database=database), status
