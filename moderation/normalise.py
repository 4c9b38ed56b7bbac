"""Cheap text normalisation that remembers where every character came from.

The detector matches its lexicon against a normalised copy of the input:
lower case, leetspeak undone inside words, runs of three or more identical
letters collapsed to one, zero-width and control characters removed, look-alike
letters from other scripts folded to Latin, curly quotes straightened and
censor stars filled in ("k*ll"). Spans found in the normalised copy are mapped
back to the original string with :meth:`Normalised.to_original`.

The common case (plain ASCII, nothing to collapse) costs one regex search and
one ``str.lower``; the mapping is then the identity and costs nothing.
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_right
from functools import lru_cache

import re

__all__ = ["Normalised", "normalise"]

# Passes that change the length of the text, each run only when needed:
# non-ASCII characters (folded one by one) and runs of 3+ identical letters.
_NONASCII_RE = re.compile(r"[^\x00-\x7f]+")
_TRIPLE_RE = re.compile(r"([a-z])\1{2,}")
# Letters people stretch ("diiiie", "waaant", "myseeelf", "killlll", "nooo"):
# checking these few with str "in" is much cheaper than a regex over the text.
_STRETCHED = "aeiouylsh"
_TRIPLES = tuple(c * 3 for c in _STRETCHED)
# For long ASCII texts, one pass instead of nine (see _has_triple).
_TRIPLE_PASS_FROM = 400
_OTHER_BYTES = bytes(0 if chr(i) in _STRETCHED else 0xFF for i in range(256))


def _has_triple(t: str) -> bool:
    """``any(tri in t for tri in _TRIPLES)``: is one of the stretched letters
    three times in a row?

    Nine substring searches cost about 13 us on a 2,000-character post; for
    long ASCII texts this does it with a few whole-text integer operations:
    byte i of ``same`` is zero exactly where character i equals character
    i-1; OR-ing in ``other`` (0xFF under every character that is not one of
    the letters) leaves zero only where a stretched letter repeats the one
    before it, and two such zeros in a row are a run of three.
    """
    if len(t) < _TRIPLE_PASS_FROM or not t.isascii():
        for tri in _TRIPLES:
            if tri in t:
                return True
        return False
    b = t.encode("ascii")
    n = len(b)
    x = int.from_bytes(b, "big")
    same = x ^ (x >> 8)
    other = int.from_bytes(b.translate(_OTHER_BYTES), "big")
    return (same | other).to_bytes(n, "big").find(b"\0\0") != -1

# A cheap signature of the text, computed with one str.translate (C speed):
# letters -> "a", digits and ! | -> "1", @ $ -> "2", ASCII control characters
# -> "3", everything else -> " ". Leetspeak shows up as "a1a", "a1 " or " 2a",
# so the regex pass that undoes it runs only on the few texts that have it.
_CTRL_CODES = list(range(0, 9)) + [11, 12] + list(range(14, 32)) + [127]
_SIG = str.maketrans(
    {**{i: " " for i in range(128)},
     **{ord(c): "a" for c in "abcdefghijklmnopqrstuvwxyz"},
     **{ord(c): "1" for c in "0123456789!|"},
     **{ord(c): "2" for c in "@$"},
     **{i: "3" for i in _CTRL_CODES}})
_CTRL = str.maketrans({i: " " for i in _CTRL_CODES})
_LEET_SIGNS = ("a1a", "a11a", "a111a", "a1 ", "a11 ", " 2a", "a2a", "a2 ", "a12a", "a21a")

_ZERO_WIDTH = frozenset(
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180e"
    "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\u206a\u206b\u206c\u206d\u206e\u206f"
    "\u3164\ufe00\ufe01\ufe02\ufe03\ufe04\ufe05\ufe06\ufe07\ufe08\ufe09\ufe0a\ufe0b\ufe0c\ufe0d"
    "\ufe0e\ufe0f\ufeff\uffa0"
)

# Letters from Cyrillic and Greek that look like Latin ones ("kіll" with a
# Cyrillic i). Folding them costs nothing for English text and defeats the
# commonest evasion.
_HOMOGLYPHS = {
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o",
    "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i",
    "ј": "j", "ԁ": "d", "ӏ": "l", " һ": "h", "ԛ": "q", "ԝ": "w", "ь": "b",
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o",
    "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ɑ": "a", "ɡ": "g", "ı": "i",
    "ł": "l", "ø": "o", "đ": "d", "ß": "ss", "æ": "ae", "œ": "oe",
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u02bc": "'",
    "\u0060": "'", "\u00b4": "'", "\uff07": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2033": '"', "\uff02": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-",
    "\u2026": "...", "\u00a0": " ", "\u2028": "\n", "\u2029": "\n", "\u3000": " ",
}


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    """Normalise one non-ASCII character (cached: the same few recur)."""
    if ch in _ZERO_WIDTH:
        return ""
    if ch in _HOMOGLYPHS:
        return _HOMOGLYPHS[ch]
    cat = unicodedata.category(ch)
    if cat in ("Mn", "Me", "Cf"):  # combining marks, format characters
        return ""
    if cat == "Cc":
        return " "
    if cat == "Zs":
        return " "
    try:
        out = unicodedata.normalize("NFKC", ch)
    except Exception:  # pragma: no cover - lone surrogates and the like
        return ch
    if out != ch:
        # Fullwidth and mathematical letters fold to ASCII; strip accents too.
        out = "".join(_HOMOGLYPHS.get(c, c) for c in out)
    stripped = unicodedata.normalize("NFD", out)
    if stripped != out:
        base = "".join(c for c in stripped if unicodedata.category(c) != "Mn")
        if base:
            out = base
    out = out.lower()
    return out


# Leetspeak: digits and symbols standing for letters *inside* words
# ("k1ll", "d13", "$uicide", "unal!ve"). Numbers such as "28 days" or "500mg"
# are left alone: a digit is only read as a letter between letters, or at the
# end of a word after a letter when it is one of 0 1 3 4 5 7; @ and $ also
# at the start of a word.
_LEET_TABLE = str.maketrans({"0": "o", "1": "i", "2": "z", "3": "e", "4": "a", "5": "s", "6": "g",
                             "7": "t", "8": "b", "9": "g", "@": "a", "$": "s", "!": "i", "|": "l"})
_LEET_RUN_RE = re.compile(r"[0-9@$!|]+")


_LEET_CHARS = frozenset("0123456789@$!|")


def _leet_candidates(sig: str) -> list[int]:
    """Where a leet sign (_LEET_SIGNS) starts in ``sig``, in order.

    Every sign has a "1" or "2" (a digit or symbol) as its second character,
    and those are rare in text, so only the places just before one are
    checked. (Searching the signs themselves in a string made mostly of "a"
    and " " is slow: each search visits every letter.)
    """
    starts = []
    for mark in "12":
        j = sig.find(mark, 1)
        while j != -1:
            i = j - 1
            for sign in _LEET_SIGNS:
                if sig.startswith(sign, i):
                    starts.append(i)  # sig is padded with one space at each end
                    break
            j = sig.find(mark, j + 1)
    if len(starts) > 1:
        starts = sorted(set(starts))
    return starts


def _deleet(t: str, sig: str = "", candidates: list[int] | None = None) -> str:
    """Undo leetspeak inside words. ``sig`` (see _SIG) says where to look."""
    if candidates is not None:
        pass
    elif sig:
        candidates = _leet_candidates(sig)
    else:
        candidates = [m.start() for m in _LEET_RUN_RE.finditer(t)]
    pieces: list[str] = []  # text up to each rewritten run, and the run
    last = 0
    n = len(t)
    done = -1
    for s in candidates:
        if s <= done or s >= n or t[s] not in _LEET_CHARS:
            continue
        e = s
        while e < n and t[e] in _LEET_CHARS:
            e += 1
        done = e
        before = t[s - 1] if s else " "
        after = t[e] if e < n else " "
        run = t[s:e]
        ok = False
        if "a" <= before <= "z":
            if "a" <= after <= "z":
                ok = True
            elif not after.isalnum() and all(c in "013457" for c in run):
                ok = True
        elif run[0] in "@$" and "a" <= after <= "z" and not before.isalnum():
            ok = True
        if ok:
            pieces.append(t[last:s])
            pieces.append(run.translate(_LEET_TABLE))
            last = e
    if not pieces:
        return t
    pieces.append(t[last:])
    return "".join(pieces)


# Censored words: "k*ll myself", "s**cide". Only these words are filled in.
_CENSOR_RE = re.compile(r"\b[a-z]*\*+[a-z*]*")
_CENSOR_TARGETS = ("kill", "killing", "die", "dead", "death", "suicide", "suicidal", "unalive",
                   "myself", "hang", "cut", "cutting", "overdose", "shoot", "stab")


def _uncensor(m: re.Match) -> str:
    tok = m.group()
    n = len(tok)
    for word in _CENSOR_TARGETS:
        if len(word) == n and all(a == "*" or a == b for a, b in zip(tok, word)):
            return word
    return tok


class Normalised:
    """A normalised copy of a text and the map back to the original."""

    __slots__ = ("text", "_starts", "_segs")

    def __init__(self, text: str, segs: list[tuple[int, int, int, int, bool]] | None):
        self.text = text
        self._segs = segs
        self._starts = [s[0] for s in segs] if segs else None

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a span of the normalised text to a span of the original text."""
        if self._segs is None:
            return start, end
        if end <= start:
            o = self._map_start(start)
            return o, o
        return self._map_start(start), self._map_end(end)

    def _seg(self, pos: int) -> tuple[int, int, int, int, bool]:
        i = bisect_right(self._starts, pos) - 1
        if i < 0:
            i = 0
        return self._segs[i]

    def _map_start(self, pos: int) -> int:
        n_start, n_end, o_start, o_end, ident = self._seg(pos)
        if ident:
            return min(o_start + (pos - n_start), o_end)
        return o_start

    def _map_end(self, pos: int) -> int:
        n_start, n_end, o_start, o_end, ident = self._seg(pos - 1)
        if ident:
            return min(o_start + (pos - n_start), o_end)
        return o_end


def _rewrite(text: str, pattern: re.Pattern, replace) -> Normalised:
    """Apply ``replace`` to every match of ``pattern``, keeping a map back."""
    out: list[str] = []
    segs: list[tuple[int, int, int, int, bool]] = []
    npos = 0
    last = 0
    for m in pattern.finditer(text):
        s, e = m.span()
        if s > last:
            piece = text[last:s]
            out.append(piece)
            segs.append((npos, npos + len(piece), last, s, True))
            npos += len(piece)
        rep = replace(m)
        if len(rep) == e - s:
            segs.append((npos, npos + len(rep), s, e, True))
        elif rep:
            segs.append((npos, npos + len(rep), s, e, False))
        out.append(rep)
        npos += len(rep)
        last = e
    if last < len(text):
        piece = text[last:]
        out.append(piece)
        segs.append((npos, npos + len(piece), last, len(text), True))
    if not segs:
        segs.append((0, 0, 0, 0, True))
    return Normalised("".join(out), segs)


def _fold_run(m: re.Match) -> str:
    return "".join(_fold_char(ch) for ch in m.group())


def _collapse(m: re.Match) -> str:
    return m.group(1)


def normalise(text: str) -> Normalised:
    """Return the normalised text and its map back to ``text``."""
    low = text.lower()
    if len(low) != len(text) or not low.isascii():
        # Rare path: fold non-ASCII characters, one run at a time.
        result = _rewrite(text, _NONASCII_RE, _fold_run)
        low = result.text.lower()
        if len(low) == len(result.text):
            result.text = low
    else:
        result = Normalised(low, None)
    t = result.text
    sig = " " + t.translate(_SIG) + " " if t.isascii() else ""
    if "3" in sig:
        t = result.text = t.translate(_CTRL)
    if _has_triple(t):
        second = _rewrite(t, _TRIPLE_RE, _collapse)
        result = second if result._segs is None else _compose(result, second)
        t = result.text
        sig = " " + t.translate(_SIG) + " " if t.isascii() else ""
    # Length-preserving rewrites below: the map does not change.
    if "*" in t:
        t = _CENSOR_RE.sub(_uncensor, t)
    if not sig:
        t = _deleet(t)
    else:
        candidates = _leet_candidates(sig)
        if candidates:
            t = _deleet(t, candidates=candidates)
    result.text = t
    return result


def _compose(first: Normalised, second: Normalised) -> Normalised:
    """Normalised whose map goes through ``second`` then ``first``."""
    segs = []
    for n_start, n_end, m_start, m_end, ident in second._segs:
        if ident and n_end > n_start:
            # Split identity segments where the first map changes segment.
            pos = n_start
            while pos < n_end:
                mid = m_start + (pos - n_start)
                seg = first._seg(mid)
                chunk_end_mid = min(seg[1], m_end) if seg[1] > mid else m_end
                length = max(1, chunk_end_mid - mid)
                length = min(length, n_end - pos)
                o_s, o_e = first.to_original(mid, mid + length)
                same = seg[4] and (o_e - o_s) == length
                segs.append((pos, pos + length, o_s, o_e, same))
                pos += length
        else:
            o_s, o_e = first.to_original(m_start, m_end) if m_end > m_start else (
                first.to_original(m_start, m_start))
            segs.append((n_start, n_end, o_s, o_e, False))
    return Normalised(second.text, segs or [(0, 0, 0, 0, True)])
