"""Friendly error pages (HTML or JSON by Accept) that leak nothing: no stack, no input echoed."""

from __future__ import annotations

import logging
import uuid

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.extensions import db
from app.services.errors import DomainError

log = logging.getLogger(__name__)

MESSAGES = {
    400: (_l("Something in that request didn't look right"),
          _l("The page got something it couldn't use. Go back, check what you typed, and try again.")),
    401: (_l("Please sign in"),
          _l("You need to be signed in to do that.")),
    403: (_l("That's not available to you"),
          _l("You don't have permission to see or do that.")),
    404: (_l("We couldn't find that page"),
          _l("It may have moved or been removed, or the address may be mistyped.")),
    405: (_l("That doesn't work here"),
          _l("This page can't be used that way. Try going back and using the buttons on the page.")),
    413: (_l("That was too much at once"),
          _l("What you sent is larger than Kindred accepts. Please shorten it and try again.")),
    429: (_l("Please slow down a little"),
          _l("That was a lot of attempts in a short time. Wait a few minutes, then try again.")),
    500: (_l("Something went wrong on our side"),
          _l("It's not you. Please try again in a moment.")),
    503: (_l("Kindred is busy"),
          _l("Please try again in a moment.")),
}


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def render_error(status: int, detail: str | None = None, *, retry_after: int | None = None):
    title, text = MESSAGES.get(status, MESSAGES[500 if status >= 500 else 400])
    title, message = str(title), str(detail or text)
    if _wants_json():
        response = jsonify(error=title, message=message, status=status)
        response.status_code = status
    else:
        response = render_template("errors/error.html", status=status, title=title, message=message), status
        from flask import make_response

        response = make_response(response)
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


def register(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(err: DomainError):
        if err.status == 401:
            from flask import redirect, url_for

            if not _wants_json():
                return redirect(url_for("auth.login"))
        return render_error(err.status, err.message, retry_after=getattr(err, "retry_after", None))

    @app.errorhandler(CSRFError)
    def _csrf(_err: CSRFError):
        return render_error(
            400,
            _("This form had expired or was sent from somewhere else, so nothing was changed. "
              "Go back, reload the page, and try again."),
        )

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException):
        status = err.code or 500
        detail = None
        # Only our own descriptions (set with abort(..., description=...)) are shown; Werkzeug's
        # defaults are replaced by the friendlier text above.
        if err.description and err.description != type(err).description:
            detail = err.description
        retry = None
        if status == 429:
            detail = None
            retry = 60
        return render_error(status, detail, retry_after=retry)

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        db.session.rollback()
        ref = uuid.uuid4().hex[:12]
        # Type and a reference only: never the request body, the path's query or the user.
        log.error("unhandled %s on %s [ref %s]", type(err).__name__, request.endpoint, ref,
                  exc_info=app.debug)
        return render_error(500, _("It's not you. Please try again in a moment. (Reference %(ref)s.)", ref=ref))
