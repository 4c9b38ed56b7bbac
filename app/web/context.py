"""Values every template can use."""

from __future__ import annotations

from flask import Flask

from app.services import forums, permissions, sessions, settings
from app.web.forms import EmptyForm


def _when(value) -> str:
    """A plain UTC date and time (no relative times: pages are cached nowhere and read later)."""
    if value is None:
        return ""
    return value.strftime("%-d %b %Y, %H:%M UTC")


def register(app: Flask) -> None:
    from app.models import Role

    app.jinja_env.filters["when"] = _when
    app.jinja_env.globals["slugify"] = forums.slugify
    app.jinja_env.globals["Role"] = Role

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
            # Only signed-in pages carry the sign-out form (and so a CSRF token): a reader who is
            # not signed in gets no session cookie at all.
            "signout_form": EmptyForm(formdata=None) if member else None,
        }
