"""Checks shared by every text field: the one place that says what text we accept."""

from __future__ import annotations

import unicodedata

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
        raise Invalid(f"{label} must be text.", field)
    if has_forbidden_controls(value) or (not multiline and ("\n" in value or "\r" in value)):
        raise Invalid(f"{label} contains characters we can't accept (control characters).", field)
    if len(value) > max_length:
        raise Invalid(f"{label} can be at most {max_length:,} characters.", field)
    if len(value.strip()) < min_length:
        if min_length <= 1:
            raise Invalid(f"{label} can't be empty.", field)
        raise Invalid(f"{label} needs at least {min_length} characters.", field)
    return value
