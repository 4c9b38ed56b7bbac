"""Values every template can use."""

from __future__ import annotations

from flask import Flask, request, url_for
from flask_babel import lazy_gettext as _l

from app import i18n
from app.services import duty, forums, permissions, safety, sessions, settings
from app.web import js_i18n, post_list

ROOM_STATES = {"waiting": _l("waiting"), "open": _l("open"), "ended": _l("ended")}


def _room_name(room) -> str:
    """Private rooms are named by Kindred (stored in English, shown in the reader's language);
    other rooms by the people who made them."""
    return i18n.translate_stored(room.name) if room.kind == "private" else room.name


_links: dict[tuple, str] = {}


def link(endpoint: str, **values) -> str:
    """url_for for the links every page carries with the same arguments (static files, the
    menu, a category): built once per process (and script root) instead of on every page."""
    key = (request.root_path, endpoint, *values.items())
    url = _links.get(key)
    if url is None:
        if len(_links) > 500:  # fixed links only; a bound that is never reached
            _links.clear()
        url = _links[key] = url_for(endpoint, **values)
    return url


def register(app: Flask) -> None:
    from app.models import Role

    # Dates and numbers (when, day, clock, number) are filters from app.i18n: they follow the
    # page's language.
    app.jinja_env.globals["slugify"] = forums.slugify
    app.jinja_env.globals["link"] = link
    app.jinja_env.globals["render_posts"] = post_list.render_posts
    app.jinja_env.globals["render_thread_rows"] = post_list.render_thread_rows
    app.jinja_env.globals["Role"] = Role
    app.jinja_env.globals["js_strings"] = js_i18n.strings
    app.jinja_env.globals["js_strings_attribute"] = js_i18n.strings_attribute
    app.jinja_env.globals["reasons_text"] = safety.reasons_text
    app.jinja_env.globals["room_name"] = _room_name
    app.jinja_env.globals["targets"] = duty.TARGETS
    app.jinja_env.globals["flag_kinds"] = duty.KINDS
    app.jinja_env.globals["states"] = duty.STATES
    app.jinja_env.globals["room_states"] = ROOM_STATES

    @app.context_processor
    def _globals():
        member = sessions.current_member()
        return {
            "me": member,
            "is_admin": permissions.is_admin(member),
            "is_staff": forums.is_staff(member),
            "is_peer": permissions.is_peer(member),
            "unread_notifications": forums.unread_notification_count(member),
            "discreet": bool(member and member.discreet_mode),
            "quick_exit_url": settings.get("quick_exit_url"),
        }
