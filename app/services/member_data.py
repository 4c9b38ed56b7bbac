"""What a member has written, for export and for account deletion.

Each area that stores a member's words (forums, chat, safety plans...) registers an exporter
and an eraser here, so "export everything" and "delete my account" stay complete as areas are
added, without the account service knowing every table.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from app.models import Member

ContentChoice = Literal["remove", "keep"]

Exporter = Callable[[Member], object]
Eraser = Callable[[Member, ContentChoice], None]

_exporters: dict[str, Exporter] = {}
_erasers: dict[str, Eraser] = {}


def register(section: str, exporter: Exporter, eraser: Eraser) -> None:
    """Register one area. exporter(member) returns JSON-able data; eraser(member, choice)
    removes the member's content ("remove") or detaches it from the account ("keep", shown as
    "deleted member"). Erasers add to the current transaction and never commit."""
    _exporters[section] = exporter
    _erasers[section] = eraser


def export_sections(member: Member) -> dict[str, object]:
    return {name: fn(member) for name, fn in sorted(_exporters.items())}


def erase(member: Member, choice: ContentChoice) -> None:
    for _name, fn in sorted(_erasers.items()):
        fn(member, choice)
