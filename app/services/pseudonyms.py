"""Pseudonym rules: what a name may look like, and when two names are "the same".

Three forms of a name:
- display: what the member typed, NFKC-normalised with whitespace tidied. Shown to others.
- key: display casefolded. Unique: "Sam" and "ＳＡＭ" (fullwidth) are one name.
- skeleton: the key with look-alike characters mapped to one representative (Unicode's
  confusables data, TR39), accents, separators and a few letter pairs ("rn" for "m") folded.
  Unique too, so nobody can pose as "Sam0" with "SamO" or as "paypal" with a Cyrillic "а".
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from app.services.errors import Invalid

MIN_LENGTH = 3
MAX_LENGTH = 32

_SEPARATORS = " ._-"
# Letter pairs that read as one letter in most fonts.
_PAIRS = (("rn", "m"), ("vv", "w"), ("cl", "d"), ("nn", "m"))

# Names people would take for the site, its staff, or the anonymous alias.
_RESERVED = (
    "admin", "administrator", "moderator", "mod", "kindred", "system", "staff", "support",
    "peer supporter", "facilitator", "deleted member", "root", "official", "helpline",
)
_RESERVED_PREFIXES = ("anonymous", "kindred", "admin", "moderator")

_EMAIL_RE = re.compile(
    r"@|\b(?:at)\b.*\b(?:dot)\b|\.(?:com|net|org|co|uk|de|fr|io|info|me|br|pt|za)\b"
    r"|\b(?:gmail|hotmail|yahoo|outlook|icloud|proton(?:mail)?|aol|gmx)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class PseudonymForms:
    display: str
    key: str
    skeleton: str


def tidy(raw: str) -> str:
    """NFKC, trimmed, inner whitespace collapsed to one space."""
    return " ".join(unicodedata.normalize("NFKC", raw).split())


def canonical(raw: str) -> str:
    """The uniqueness key: tidy() then casefold."""
    return tidy(raw).casefold()


@lru_cache(maxsize=1)
def _confusable_map() -> dict[str, str]:
    """Character -> representative of its look-alike group, built once from Unicode's data."""
    data_path = resources.files("confusable_homoglyphs") / "confusables.json"
    data = json.loads(data_path.read_text(encoding="utf-8"))
    parent: dict[str, str] = {}

    def find(c: str) -> str:
        parent.setdefault(c, c)
        while parent[c] != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    def rank(c: str) -> tuple[int, int]:
        # Prefer ASCII letters, then ASCII digits, then the lowest code point.
        if "a" <= c <= "z":
            return (0, ord(c))
        if "0" <= c <= "9":
            return (1, ord(c))
        return (2, ord(c))

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            if rank(rb) < rank(ra):
                ra, rb = rb, ra
            parent[rb] = ra

    for char, entries in data.items():
        a = char.casefold()
        if len(a) != 1:
            continue
        for entry in entries:
            b = entry["c"].strip("\u200e\u200f").casefold()
            if len(b) == 1:
                union(a, b)
    return {c: find(c) for c in parent if find(c) != c}


def skeleton(key: str) -> str:
    mapping = _confusable_map()
    out = []
    for ch in unicodedata.normalize("NFD", key):
        if unicodedata.combining(ch):
            continue  # "Sám" and "Sam" read alike at a glance
        ch = mapping.get(ch, ch)
        if ch in _SEPARATORS:
            continue
        out.append(ch)
    folded = "".join(out)
    for pair, single in _PAIRS:
        folded = folded.replace(pair, single)
    return folded


def _looks_like_phone(name: str) -> bool:
    digits = sum(ch.isdigit() for ch in name)
    return digits >= 7 or bool(re.match(r"^\s*\+\s*\d", name))


def validate(raw: object) -> PseudonymForms:
    """Check a proposed pseudonym and return its three forms.

    Raises Invalid (field "pseudonym") with an explanation a person can act on.
    Uniqueness against existing accounts is checked by accounts.register.
    """
    field = "pseudonym"
    if not isinstance(raw, str):
        raise Invalid("Please choose a pseudonym.", field)
    if "\x00" in raw or any(unicodedata.category(c) in ("Cc", "Cf", "Co", "Cs") for c in raw):
        raise Invalid(
            "Pseudonyms can't contain invisible or control characters. "
            "Use letters, numbers, spaces, dots, dashes or underscores.", field)
    display = tidy(raw)
    if not display:
        raise Invalid("Please choose a pseudonym.", field)
    if len(display) > 200:  # bounded before any further work
        raise Invalid(f"Pseudonyms can be at most {MAX_LENGTH} characters.", field)
    if _EMAIL_RE.search(display):
        raise Invalid(
            "That looks like an e-mail address. Please choose a pseudonym that isn't linked to "
            "you anywhere else: an e-mail address could identify you to other members.", field)
    if _looks_like_phone(display):
        raise Invalid(
            "That looks like a phone number. Please choose a pseudonym without long runs of "
            "digits: a phone number could identify you to other members.", field)
    if len(display) < MIN_LENGTH:
        raise Invalid(f"Pseudonyms need at least {MIN_LENGTH} characters.", field)
    if len(display) > MAX_LENGTH:
        raise Invalid(f"Pseudonyms can be at most {MAX_LENGTH} characters.", field)
    for ch in display:
        cat = unicodedata.category(ch)
        if not (cat[0] in "LMN" or ch in _SEPARATORS):
            raise Invalid(
                "Pseudonyms can use letters (in any alphabet), numbers, spaces, dots, dashes "
                f"and underscores. “{ch}” isn't one of those.", field)
    if not any(unicodedata.category(ch)[0] == "L" for ch in display):
        raise Invalid("Pseudonyms need at least one letter.", field)
    if unicodedata.category(display[0])[0] == "M":
        raise Invalid("A pseudonym can't start with an accent mark.", field)
    key = display.casefold()
    skel = skeleton(key)
    if len(skel) < 2:
        raise Invalid("Please choose a pseudonym with more letters or numbers in it.", field)
    reserved = {skeleton(r) for r in _RESERVED}
    if skel in reserved or any(skel.startswith(skeleton(p)) for p in _RESERVED_PREFIXES):
        raise Invalid(
            "That name is kept for the site or its staff, so members aren't misled. "
            "Please choose another.", field)
    return PseudonymForms(display=display, key=key, skeleton=skel)
