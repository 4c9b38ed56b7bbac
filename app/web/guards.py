"""Checks every request gets before a view sees it: well-formed text in every field.

Werkzeug would quietly turn invalid UTF-8 into U+FFFD and pass NUL bytes through; here either
gets a clear 400 and nothing is stored.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from flask import Flask, abort, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.services.text import has_forbidden_controls

BAD_ENCODING = _l("Your browser sent text that isn't valid UTF-8, so nothing was saved. Please try again.")
BAD_CHARACTERS = _l("What you sent contains control characters (such as a NUL byte) that no "
                    "field accepts, so nothing was saved.")


def _check_text(value: str) -> None:
    if has_forbidden_controls(value):
        abort(400, description=BAD_CHARACTERS)


def register(app: Flask) -> None:
    @app.before_request
    def _well_formed_input():
        try:
            args = parse_qsl(request.query_string.decode("latin-1"), keep_blank_values=True,
                             encoding="utf-8", errors="strict")
        except (UnicodeDecodeError, ValueError):
            abort(400, description=BAD_ENCODING)
        for key, value in args:
            _check_text(key)
            _check_text(value)
        if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
            return None
        if request.mimetype == "application/x-www-form-urlencoded":
            raw = request.get_data(cache=True)  # bounded by MAX_CONTENT_LENGTH (413 above it)
            try:
                fields = parse_qsl(raw.decode("latin-1"), keep_blank_values=True,
                                   encoding="utf-8", errors="strict",
                                   max_num_fields=app.config.get("MAX_FORM_PARTS", 200))
            except UnicodeDecodeError:
                abort(400, description=BAD_ENCODING)
            except ValueError:
                abort(400, description=_("That form had far more fields than any form here."))
            for key, value in fields:
                _check_text(key)
                # Tabs and newlines are fine in text; everything else in Cc is refused.
                _check_text(value)
        elif request.mimetype == "multipart/form-data":
            # No page here uploads files; multipart is refused rather than parsed.
            abort(400, description=_("Kindred doesn't accept file uploads."))
        return None
