"""A plain keyword list: the reference the detector is measured against.

It is what a first attempt usually looks like: one ``re`` alternation over
crisis words, no context. ``evaluate --users`` and the benchmark run it beside
the detector in the same process. Its words live in
``lexicon/baseline_keywords.txt`` (one per line).
"""

from __future__ import annotations

import re
from pathlib import Path

_PATH = Path(__file__).resolve().parent / "lexicon" / "baseline_keywords.txt"


def _load() -> list[str]:
    words = []
    for line in _PATH.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            words.append(line)
    return words


KEYWORDS: tuple[str, ...] = tuple(_load())
KEYWORD_RE = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in KEYWORDS) + r")\b", re.IGNORECASE)


def keyword_level(text: str) -> int:
    """2 if any keyword occurs in ``text``, else 0."""
    return 2 if KEYWORD_RE.search(text) else 0
