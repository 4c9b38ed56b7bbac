"""Values every template can use."""

from __future__ import annotations

from flask import Flask

from app.services import permissions, sessions, settings
from app.web.forms import EmptyForm


def register(app: Flask) -> None:
    @app.context_processor
    def _globals():
        member = sessions.current_member()
        return {
            "me": member,
            "is_admin": permissions.is_admin(member),
            "discreet": bool(member and member.discreet_mode),
            "quick_exit_url": settings.get("quick_exit_url"),
            "signout_form": EmptyForm(formdata=None),
        }
