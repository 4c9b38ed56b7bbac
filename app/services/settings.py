"""Site settings an admin changes from the browser."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask_babel import gettext as _

from app.extensions import db
from app.models import Member, SiteSetting
from app.services import audit, permissions
from app.services.errors import Invalid

DEFAULTS = {
    # Where quick exit goes: an ordinary, busy site that says nothing about the reader.
    "quick_exit_url": "https://www.bbc.co.uk/weather",
    # Which kinds of services-directory entries the support panel lists after the crisis lines
    # (comma-separated codes from services.directory.KINDS; empty for none).
    "support_panel_kinds": "crisis,counselling",
}


# Settings are read on every page and change rarely: each worker keeps them for a short while.
_CACHE_SECONDS = 30.0
_cache: dict[str, tuple[float, str]] = {}


def _cache_key(key: str) -> str:
    return f"{db.engine.url}|{key}"  # one cache per database (tests run many)


def get(key: str) -> str:
    now = time.monotonic()
    hit = _cache.get(_cache_key(key))
    if hit is not None and now - hit[0] < _CACHE_SECONDS:
        return hit[1]
    row = db.session.get(SiteSetting, key)
    value = row.value if row else DEFAULTS[key]
    _cache[_cache_key(key)] = (now, value)
    return value


def validate_quick_exit_url(value: object) -> str:
    if not isinstance(value, str):
        raise Invalid(_("Enter a web address."), "quick_exit_url")
    value = value.strip()
    if len(value) > 500:
        raise Invalid(_("That web address is too long (500 characters at most)."), "quick_exit_url")
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname or any(c.isspace() for c in value):
        raise Invalid(_("Enter a full web address starting with https://"), "quick_exit_url")
    return value


def set_quick_exit_url(actor: Member | None, value: object) -> str:
    actor = permissions.require_admin(actor)
    url = validate_quick_exit_url(value)
    row = db.session.get(SiteSetting, "quick_exit_url")
    if row is None:
        db.session.add(SiteSetting(key="quick_exit_url", value=url))
    else:
        row.value = url
    audit.record(actor, "settings.quick_exit_url", None, url=url)
    db.session.commit()
    _cache.pop(_cache_key("quick_exit_url"), None)
    return url


def set_support_panel_kinds(actor: Member | None, kinds: object) -> list[str]:
    """Admins choose which kinds of directory entries follow the crisis lines in the support
    panel. Raises Forbidden, Invalid."""
    from flask_babel import gettext as _

    from app.services.directory import KINDS

    actor = permissions.require_admin(actor)
    if isinstance(kinds, str):
        kinds = [kinds]
    if not isinstance(kinds, list | tuple) or not all(isinstance(k, str) and k in KINDS for k in kinds):
        raise Invalid(_("Choose kinds of help from the list."), "kinds")
    chosen = [k for k in KINDS if k in set(kinds)]
    value = ",".join(chosen)
    row = db.session.get(SiteSetting, "support_panel_kinds")
    if row is None:
        db.session.add(SiteSetting(key="support_panel_kinds", value=value))
    else:
        row.value = value
    audit.record(actor, "settings.support_panel_kinds", None, kinds=chosen)
    db.session.commit()
    _cache.pop(_cache_key("support_panel_kinds"), None)
    return chosen
