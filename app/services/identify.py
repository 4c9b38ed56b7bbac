"""Warn (never block) when a draft looks like it could identify someone.

Outing someone is the harm this community fears most, so the composer points out e-mail
addresses, phone numbers, street addresses and a full name close to an HIV status before a
post goes out. The writer decides."""

from __future__ import annotations

import re

from flask_babel import gettext as _

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<!\w)(?:\+?\d[\d ()./-]{6,}\d)(?!\w)")
_STREET = re.compile(
    r"\b\d{1,5}[a-z]?,?\s+(?:[A-Z][\w'-]+\s+){1,3}"
    r"(?:street|st|road|rd|avenue|ave|lane|ln|drive|dr|boulevard|blvd|close|way|court|ct|place|pl|"
    r"crescent|terrace|gardens|square|rua|avenida|rue|calle)\b\.?",
    re.IGNORECASE,
)
_FULL_NAME = re.compile(r"\b[A-Z][a-z]{1,20}(?:[ -][A-Z][a-z]{1,20})+\b")
_STATUS = re.compile(
    r"\b(?:hiv|aids|poz|positive|diagnos\w*|viral load|cd4|undetectable|hep(?:atitis)? ?c|status|"
    r"on (?:meds|treatment|arvs?|prep))\b",
    re.IGNORECASE,
)
_NOT_NAMES = {"I", "The", "My", "Hi", "Hello", "Thanks", "Thank", "Newly", "Off", "Rights", "Mental"}


def warnings(text: str) -> list[str]:
    """Human-readable warnings for things in text that could identify a person."""
    if not isinstance(text, str) or not text:
        return []
    text = text[:20_000]
    found = []
    if _EMAIL.search(text):
        found.append(_("It contains an e-mail address, which could identify someone."))
    digits = [m.group(0) for m in _PHONE.finditer(text) if sum(c.isdigit() for c in m.group(0)) >= 7]
    if digits:
        found.append(_("It contains what looks like a phone number, which could identify someone."))
    if _STREET.search(text):
        found.append(_("It contains what looks like a street address, which could identify someone."))
    for m in _FULL_NAME.finditer(text):
        words = m.group(0).split()
        if words[0] in _NOT_NAMES:
            continue
        window = text[max(0, m.start() - 80): m.end() + 80]
        if _STATUS.search(window):
            found.append(_("It names a person near a mention of HIV status. Please make sure you aren't "
                           "outing anyone, yourself included, unless you mean to."))
            break
    return found
