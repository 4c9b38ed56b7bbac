"""The learned second stage: a linear model on word unigrams and bigrams.

The rules (lexicon/cues-*.tsv) find the phrasings they were written from;
oblique text by a new writer ("the dark feels like home now", "made my peace
with it, sorted the dog") slips past them. This model, trained by
``python -m moderation.train`` on the project's own written sets
(tests/moderation/written/, the project's text under its licence; see the
README there), reads such messages as a whole. It is plain data
(lexicon/learned.tsv: each word or word pair with its idf and weight) and
runs in pure Python: a message's tf-idf vector (binary tf, l2 norm, as
scikit-learn's TfidfVectorizer computes it) dotted with the weights.

Two models share the features: ``high`` (levels 2-3 against 0-1) and
``others`` (among high rows: harm to others against self).

The detector asks it only about messages up to ``MAX_CHARS`` long (chat
lines and short posts, like its training text) that the rules left below
level 2; see detector._assess.
"""

from __future__ import annotations

import math
import re
from itertools import repeat
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Model", "load_model", "MODEL_PATH", "TOKEN_RE"]

MODEL_PATH = Path(__file__).resolve().parent / "lexicon" / "learned.tsv"
TOKEN_RE = re.compile(r"[a-z0-9']+")  # on normalised (lower-case) text


def _words_and_pairs(text: str) -> set[str]:
    """The words of normalised ``text`` and each pair of neighbouring words
    (as scikit-learn's word 1-2 grams: pairs also span punctuation)."""
    tokens = TOKEN_RE.findall(text)
    feats = set(tokens)
    feats.update(map(" ".join, zip(tokens, tokens[1:])))
    return feats


@dataclass(frozen=True)
class Model:
    idf: dict[str, float]            # feature -> idf
    weights: dict[str, dict[str, float]]  # model name -> feature -> weight
    intercept: dict[str, float]
    meta: dict[str, str]             # threshold, max_chars, training files and hashes...
    threshold: float = field(init=False)
    max_chars: int = field(init=False)
    # feature -> idf squared + i * idf * weight ("high"): one lookup and one
    # C sum give the squared norm (real part) and the dot product (imaginary)
    _table: dict[str, complex] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        w = self.weights["high"]
        object.__setattr__(self, "threshold", float(self.meta["threshold"]))
        object.__setattr__(self, "max_chars", int(self.meta["max_chars"]))
        object.__setattr__(self, "_table", {f: complex(idf * idf, idf * w.get(f, 0.0))
                                            for f, idf in self.idf.items()})

    def features(self, text: str) -> dict[str, float]:
        """The l2-normalised tf-idf vector of normalised ``text`` (known
        features only; binary tf: a word that occurs twice counts once)."""
        idf = self.idf
        vec = {f: idf[f] for f in _words_and_pairs(text) if f in idf}
        norm = math.sqrt(sum(v * v for v in vec.values()))
        if norm:
            for f in vec:
                vec[f] /= norm
        return vec

    def p_high(self, text: str) -> float:
        """``probability("high", features(text))``, faster: the detector asks
        this of every short message the rules leave below 2, so the sum runs
        in C over a prepared table (see ``_table``)."""
        feats = _words_and_pairs(text)
        both = sum(map(self._table.get, feats, repeat(0j, len(feats))))
        if not both:
            return self.probability("high", {})
        z = self.intercept["high"] + both.imag / math.sqrt(both.real)
        if z < -60:
            return 0.0
        return 1.0 / (1.0 + math.exp(-z))

    def probability(self, name: str, vec: dict[str, float]) -> float:
        w = self.weights[name]
        z = self.intercept[name] + sum(x * w.get(f, 0.0) for f, x in vec.items())
        if z < -60:
            return 0.0
        return 1.0 / (1.0 + math.exp(-z))

    def strongest(self, name: str, vec: dict[str, float], most: int = 3) -> list[str]:
        """The features that pushed ``name`` up the most (for the reason a peer sees)."""
        w = self.weights[name]
        ranked = sorted(((x * w.get(f, 0.0), f) for f, x in vec.items()), reverse=True)
        return [f for score, f in ranked[:most] if score > 0]


def load_model(path: Path = MODEL_PATH) -> Model | None:
    """Read lexicon/learned.tsv; None if there is none (the rules work alone).

    Lines: ``#meta<TAB>key<TAB>value``, ``#intercept<TAB>model<TAB>value``,
    a header ``feature<TAB>idf<TAB>high<TAB>others``, then one feature a line.
    """
    if not path.exists():
        return None
    idf: dict[str, float] = {}
    weights: dict[str, dict[str, float]] = {}
    intercept: dict[str, float] = {}
    meta: dict[str, str] = {}
    names: list[str] = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            cols = line.rstrip("\n").split("\t")
            if cols[0] == "#meta":
                meta[cols[1]] = cols[2]
            elif cols[0] == "#intercept":
                intercept[cols[1]] = float(cols[2])
            elif cols[0] == "feature":
                names = cols[2:]
                weights = {n: {} for n in names}
            elif cols[0].startswith("#") or not line.strip():
                continue
            else:
                if len(cols) != 2 + len(names):
                    raise ValueError(f"{path.name}:{lineno}: expected {2 + len(names)} fields")
                idf[cols[0]] = float(cols[1])
                for n, v in zip(names, cols[2:]):
                    if v != "0":
                        weights[n][cols[0]] = float(v)
    if set(names) != set(intercept) or "threshold" not in meta or "max_chars" not in meta:
        raise ValueError(f"{path.name}: incomplete model file")
    return Model(idf, weights, intercept, meta)
