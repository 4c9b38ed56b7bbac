"""Checks shared by every text field: the one place that says what text we accept."""

from __future__ import annotations

import unicodedata

from flask_babel import format_decimal
from flask_babel import gettext as _

from app.services.errors import Invalid

# C0/C1 controls other than tab, newline and carriage return have no business in a form field;
# NUL in particular truncates strings in some layers.
_ALLOWED_CONTROLS = {"\t", "\n", "\r"}


def has_forbidden_controls(value: str) -> bool:
    return any(
        unicodedata.category(ch) == "Cc" and ch not in _ALLOWED_CONTROLS for ch in value
    )


def clean_text(value: object, *, field: str, label: str, max_length: int, min_length: int = 0,
               multiline: bool = True) -> str:
    """Validate a text field: a string, no control characters, within the length bounds.

    Raises Invalid with a message naming the field for the person.
    """
    if not isinstance(value, str):
        raise Invalid(_("%(label)s must be text.", label=label), field)
    if has_forbidden_controls(value) or (not multiline and ("\n" in value or "\r" in value)):
        raise Invalid(_("%(label)s contains characters we can't accept (control characters).", label=label), field)
    if len(value) > max_length:
        raise Invalid(_("%(label)s can be at most %(num)s characters.", label=label,
                        num=format_decimal(max_length)), field)
    if len(value.strip()) < min_length:
        if min_length <= 1:
            raise Invalid(_("%(label)s can't be empty.", label=label), field)
        raise Invalid(_("%(label)s needs at least %(num)s characters.", label=label, num=min_length), field)
    return value
