"""Who may do what. Views and socket handlers ask here; they never check roles themselves."""

from __future__ import annotations

from flask_babel import gettext as _

from app.models import Member, Role
from app.services.errors import Forbidden, NotSignedIn


def require_member(actor: Member | None) -> Member:
    if actor is None:
        raise NotSignedIn()
    return actor


def is_admin(actor: Member | None) -> bool:
    return actor is not None and actor.has_role(Role.ADMIN)


def require_admin(actor: Member | None) -> Member:
    actor = require_member(actor)
    if not is_admin(actor):
        raise Forbidden(_("Only admins can do that."))
    return actor


def is_peer(actor: Member | None) -> bool:
    return actor is not None and (actor.has_role(Role.PEER) or actor.has_role(Role.ADMIN))


def is_facilitator(actor: Member | None) -> bool:
    return actor is not None and (actor.has_role(Role.FACILITATOR) or actor.has_role(Role.ADMIN))


def can_edit_directory(actor: Member | None) -> bool:
    """Peer supporters, facilitators and admins add and edit services-directory entries, and
    share them as cards in chats and replies."""
    return is_peer(actor) or is_facilitator(actor)


def require_directory_editor(actor: Member | None) -> Member:
    from flask_babel import gettext as _

    actor = require_member(actor)
    if not can_edit_directory(actor):
        raise Forbidden(_("Only peer supporters, facilitators and admins can do that in the services directory."))
    return actor
