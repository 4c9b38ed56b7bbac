"""Interface languages (Flask-Babel).

A member's chosen language wins; otherwise the browser's Accept-Language picks among the
shipped languages (nothing else about the browser is read); otherwise English. The crisis
detector is English-only whatever the interface language (see services.safety).
"""

from __future__ import annotations

from flask import Flask, request
from flask_babel import Babel

# Shipped interface languages: code -> the language's own name (shown in the picker).
LANGUAGES: dict[str, str] = {"en": "English"}
DEFAULT_LANGUAGE = "en"

babel = Babel()


def select_locale() -> str:
    from app.services import sessions

    try:
        member = sessions.current_member()
    except RuntimeError:  # outside a request (CLI, background jobs)
        member = None
    chosen = getattr(member, "language", None) if member is not None else None
    if chosen in LANGUAGES:
        return chosen
    if request:
        best = request.accept_languages.best_match(list(LANGUAGES))
        if best:
            return best
    return DEFAULT_LANGUAGE


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "UTC")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(app.root_path + "/translations"))
    babel.init_app(app, locale_selector=select_locale)
