"""Small helpers shared by the views."""

from __future__ import annotations

from functools import wraps

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _

from app.services import sessions
from app.services.errors import DomainError


def signed_in_required(view):
    """Send a signed-out browser to the sign-in page, and back here afterwards."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if sessions.current_member() is None:
            flash(_("Please sign in first."), "info")
            return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))
        return view(*args, **kwargs)

    return wrapper


def safe_next(target: str | None, default: str) -> str:
    """Only same-site relative paths: "next" must never send someone to another site."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


def form_errors(form, error: DomainError) -> None:
    """Attach a service error to the form field it is about (or to the whole form)."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)
