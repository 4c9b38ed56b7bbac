"""Pseudonym rules: what a name may look like, and when two names are "the same".

Three forms of a name:
- display: what the member typed, NFKC-normalised with whitespace tidied. Shown to others.
- key: display casefolded. Unique: "Sam" and "ＳＡＭ" (fullwidth) are one name.
- skeleton: the key with look-alike characters mapped to one representative (Unicode's
  confusables data, TR39), accents, separators and a few letter pairs ("rn" for "m") folded.
  Unique too, so nobody can pose as "Sam0" with "SamO" or as "paypal" with a Cyrillic "а".
  The table is Unicode's confusables.txt (UTS #39, version 13.0, Unicode terms of use),
  shipped in app/data/.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from flask_babel import gettext as _

from app.i18n import alias_words
from app.services.errors import Invalid

MIN_LENGTH = 3
MAX_LENGTH = 32

_SEPARATORS = " ._-"

# Names people would take for the site, its staff, or the anonymous alias.
_RESERVED = (
    "admin", "administrator", "moderator", "mod", "kindred", "system", "staff", "support",
    "peer supporter", "facilitator", "deleted member", "root", "official", "helpline",
)
_RESERVED_PREFIXES = ("anonymous", "kindred", "admin", "moderator")  # + "Anonymous" in each language

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
    """Unicode's confusables table (UTS #39, app/data/unicode-confusables.txt): each source
    character -> the prototype string it is mistaken for (for example "а" -> "a", "m" -> "rn")."""
    table: dict[str, str] = {}
    text = (resources.files("app") / "data" / "unicode-confusables.txt").read_text(encoding="utf-8-sig")
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        source, target, *_ = (part.strip() for part in line.split(";"))
        table[chr(int(source, 16))] = "".join(chr(int(cp, 16)) for cp in target.split())
    return table


def skeleton(key: str) -> str:
    """The UTS #39 skeleton of key, casefolded, without accents or separators. Two names with
    the same skeleton read alike, so only one of them may exist."""
    table = _confusable_map()
    current = key
    for _round in range(3):  # map, casefold, repeat: "0" -> "O" -> "o"
        out = []
        for ch in unicodedata.normalize("NFD", current):
            if unicodedata.combining(ch):
                continue  # "Sám" and "Sam" read alike at a glance
            out.append(table.get(ch, ch))
        folded = unicodedata.normalize("NFD", "".join(out)).casefold()
        if folded == current:
            break
        current = folded
    return "".join(ch for ch in current if ch not in _SEPARATORS and not unicodedata.combining(ch))


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
        raise Invalid(_("Please choose a pseudonym."), field)
    if "\x00" in raw or any(unicodedata.category(c) in ("Cc", "Cf", "Co", "Cs") for c in raw):
        raise Invalid(
            _("Pseudonyms can't contain invisible or control characters. "
            "Use letters, numbers, spaces, dots, dashes or underscores."), field)
    display = tidy(raw)
    if not display:
        raise Invalid(_("Please choose a pseudonym."), field)
    if len(display) > 200:  # bounded before any further work
        raise Invalid(_("Pseudonyms can be at most %(num)s characters.", num=MAX_LENGTH), field)
    if _EMAIL_RE.search(display):
        raise Invalid(
            _("That looks like an e-mail address. Please choose a pseudonym that isn't linked to "
            "you anywhere else: an e-mail address could identify you to other members."), field)
    if _looks_like_phone(display):
        raise Invalid(
            _("That looks like a phone number. Please choose a pseudonym without long runs of "
            "digits: a phone number could identify you to other members."), field)
    if len(display) < MIN_LENGTH:
        raise Invalid(_("Pseudonyms need at least %(num)s characters.", num=MIN_LENGTH), field)
    if len(display) > MAX_LENGTH:
        raise Invalid(_("Pseudonyms can be at most %(num)s characters.", num=MAX_LENGTH), field)
    for ch in display:
        cat = unicodedata.category(ch)
        if not (cat[0] in "LMN" or ch in _SEPARATORS):
            raise Invalid(
                _("Pseudonyms can use letters (in any alphabet), numbers, spaces, dots, dashes "
                  "and underscores. “%(char)s” isn't one of those.", char=ch), field)
    if not any(unicodedata.category(ch)[0] == "L" for ch in display):
        raise Invalid(_("Pseudonyms need at least one letter."), field)
    if unicodedata.category(display[0])[0] == "M":
        raise Invalid(_("A pseudonym can't start with an accent mark."), field)
    key = display.casefold()
    skel = skeleton(display)
    if len(skel) < 2:
        raise Invalid(_("Please choose a pseudonym with more letters or numbers in it."), field)
    reserved = {skeleton(r) for r in _RESERVED}
    if skel in reserved or any(skel.startswith(skeleton(p)) for p in _RESERVED_PREFIXES + alias_words()):
        raise Invalid(
            _("That name is kept for the site or its staff, so members aren't misled. "
            "Please choose another."), field)
    return PseudonymForms(display=display, key=key, skeleton=skel)
