"""The crisis-language detector: text in, :class:`Assessment` out.

Pipeline (see moderation/README.md for the reasoning):

1. cap the input (first 20,000 and last 4,000 characters), normalise it;
2. find lexicon anchors (word beginnings) with one trie-shaped regex; a line
   without any anchor is level 0 after that single scan;
3. try only the cue patterns anchored in each sentence;
4. cancel cues that an idiom or medical phrase overlaps, that are negated,
   about someone else, a question about the topic, quoted from a song or
   another person, a joke marked as such, or the past told as recovery;
5. level = the highest remaining cue; plan, means and timing near a level 2
   cue raise it to 3; recent level 2-3 lines by the same writer keep a mild
   line elevated;
6. a short message the rules left below 2, where they set nothing aside, is
   read by the learned second stage (learned.py); if it reads like a message
   at risk it is level 2, or 3 with plan, means or timing anywhere in it.

Everything compiled is built once at import and never mutated, so ``assess``
is safe to call from many threads.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache

from .learned import TOKEN_RE, Model, load_model
from .loader import OTHER_KINDS, RAISER_KINDS, Entry, Lexicon, fast_compile, load, prefilter, trie_regex
from .normalise import normalise

__all__ = ["Assessment", "assess", "LEXICON", "HEAD_CHARS", "TAIL_CHARS"]

HEAD_CHARS = 20_000     # scan at most this many characters from the start ...
TAIL_CHARS = 4_000      # ... and this many from the end of a very long input
MAX_ANCHOR_HITS = 600   # and at most this many anchor hits (a wall of keywords)
MAX_CONTEXT_LINES = 10
CONTEXT_CHARS = 4_000

LEXICON: Lexicon = load()
_MOD = LEXICON.modifiers
MODEL: Model | None = load_model()

_NOT_AFTER_LETTER = r"(?<![a-z])"


# Phase 1 looks for everything that can set a level by itself; plain timing,
# plan and means words are only looked for (phase 2) once something was found.
def _phase(pred) -> tuple[dict, re.Pattern | None]:
    """Map every matched anchor text to the (entry, anchor group bit) it triggers.

    The trie regex returns the longest anchor at a position, so a match also
    carries the entries of every shorter anchor that is its prefix. Whole-word
    anchors ("sh$") are folded in under their bare text.
    """
    stems: dict[str, dict[str, tuple[Entry, int]]] = {}
    for e in LEXICON.entries:
        if not pred(e):
            continue
        for gi, group in enumerate(e.anchor_groups):
            for a in group:
                slot = stems.setdefault(a, {})
                old = slot.get(e.id)
                slot[e.id] = (e, (old[1] if old else 0) | (1 << gi))
    if not stems:
        return {}, None
    table: dict[str, tuple[tuple[Entry, int], ...]] = {}
    for key in stems:
        bare = key.rstrip("$")
        acc: dict[str, tuple[Entry, int]] = {}
        keys = [bare[:k] for k in range(1, len(bare) + 1)] + [bare + "$"]
        for k in keys:
            for eid, (e, bits) in stems.get(k, {}).items():
                old = acc.get(eid)
                acc[eid] = (e, (old[1] if old else 0) | bits)
        table[bare] = tuple(acc.values())
    return table, re.compile(_NOT_AFTER_LETTER + trie_regex(stems))


# Everyday words, used only to pick each entry's trigger group (below): the
# anchor group least likely to turn up in ordinary text.
_COMMON_WORDS = frozenset("""
a about after again all also always am an and any anyone anything are around as at away back be
because been before being best better both but by came can can't cant come could couldn day days
did didn't do does doesn't doing don't done dont down each end even ever every everyone everything
feel feeling few first for found friend friends from get gets getting give go going gone good got
had has have having he her here him his home how i i'll i'm i've if im in into is it it's its just
keep kind know last least left let life like little live long look looking lot love made make many
may me might more morning most much must my myself need never new next night no not nothing now of
off oh ok okay on once one only or other our out over people place please pretty put really right
said same say see she should since so some someone something still such sure take talk tell than
thank thanks that the their them then there these they thing things think this those though time
to today told too tried try trying up us use used very want wanted was way we week well went were
what when where which while who why will wish with without work would year years yes yet you your
""".split())


def _commonness(group: tuple[str, ...]) -> tuple[int, int]:
    hits = 0
    for w in _COMMON_WORDS:
        for a in group:
            if (w == a[:-1]) if a.endswith("$") else w.startswith(a):
                hits += 1
                break
    return hits, -min(len(a.rstrip("$")) for a in group)


def _trigger(pred) -> re.Pattern | None:
    """One trie of each entry's rarest anchor group ("trigger" stems).

    An entry can only match in a sentence that holds an anchor of every one of
    its groups, so a sentence without any trigger stem cannot produce a cue and
    is never looked at again. The stems are used as bare prefixes ("die$" as
    "die"), so the trigger scan finds a superset of the sentences that matter.
    """
    entries = [e for e in LEXICON.entries if pred(e)]
    plain = {a for e in entries for a in e.anchors if not a.endswith("$")}
    stems: set[str] = set()
    for e in entries:
        for a in min(e.anchor_groups, key=_commonness):
            # "sh$" stays a whole word unless a plain anchor "sh" exists: the
            # anchor scan then reports "sh" inside "she" too (and with it the
            # entries of "sh$"), so the trigger must fire there as well.
            stems.add(a[:-1] if a.endswith("$") and a[:-1] in plain else a)
    return re.compile(r"(?<![a-z])" + trie_regex(stems)) if stems else None


def _is_phase1(e: Entry) -> bool:
    return e.kind not in RAISER_KINDS or e.level > 0 or "strong" in e.flags


_PHASE1, _ANCHOR1 = _phase(_is_phase1)
_PHASE2, _ANCHOR2 = _phase(lambda e: not _is_phase1(e))
_TRIGGER1 = _trigger(_is_phase1)
_TRIGGER2 = _trigger(lambda e: not _is_phase1(e))

# Sentence ends: punctuation (also without a following space: "hard.It was")
# and line breaks. One character class, so the scan is cheap.
_SENT_RE = re.compile(r"[.!?;\n\r]+")
# Phase 1 reads the text once: sentence ends and anchor words in one pass (no
# anchor contains a sentence-end character, so the two never overlap and each
# finds exactly what it would find alone). An anchor starts where the previous
# character is not a letter, so the scan is written to start at that previous
# character: every match begins with a non-letter, which lets `re` skip over
# letters in its fast search loop instead of trying the pattern at each one
# (about a third faster on 2,000-character posts). A match is either a run of
# sentence ends, with the anchor right after it if there is one (group 1), or
# one other non-letter followed by an anchor (group 2); the anchor itself is
# only looked at (lookahead), never consumed, so an anchor right after it
# ("15": "1" and "5") is found too. An anchor at the very start of the text
# has no previous character: `_AT_START1` checks that one position.
# `_find` reads one sentence at a time the same way (anchors only: group 1).
def _scan_from_previous(anchor_re: re.Pattern, with_ends: bool) -> tuple[re.Pattern, re.Pattern]:
    trie = anchor_re.pattern[len(_NOT_AFTER_LETTER):]
    if with_ends:
        scan = re.compile(r"[^a-z](?:(?<=[.!?;\n\r])[.!?;\n\r]*(?=(" + trie + r")|)|(?=(" + trie + r")))")
    else:
        scan = re.compile(r"[^a-z](?=(" + trie + r"))")
    return scan, re.compile(trie)


_SCAN1, _AT_START1 = _scan_from_previous(_ANCHOR1, True) if _ANCHOR1 is not None else (None, None)
_ANCHORS_FROM_PREVIOUS = {id(a): _scan_from_previous(a, False) for a in (_ANCHOR1, _ANCHOR2) if a is not None}


# Most context lists are only asked whether they match, never where a match
# ends: `_ASK` holds them compiled so that `re` may try their alternatives in
# any order (loader.fast_compile), which lets every alternative join its first
# letter's group (RECOVERY over a whole post: about a third less time). `_MOD`
# keeps the plain order for the lists whose match ends are read (CLAUSE,
# FIRST and OTHER with finditer, NEG_HEDGE with sub, JOKE one match at a time).
_ASK = {name: fast_compile(pat.pattern, any_order=True) for name, pat in _MOD.items()}

# Two lists read the whole post: RECOVERY and NOT_GOODBYE. Every RECOVERY
# match starts with a word boundary and a letter, so it starts at 0 or right
# after a non-word character: `_WHOLE_POST` looks for that character first,
# which lets `re` skip over word characters in its fast search loop (47 against
# 61 us on a 2,000-character post; test_assess.py checks both give the same
# answer). NOT_GOODBYE is shorter and searched plainly (29 us; the same trick
# made it 37).
_WHOLE_POST = {name: fast_compile(r"\W(?=" + _MOD[name].pattern + ")", any_order=True)
               for name in ("RECOVERY",)}


def _in_whole_post(name: str, t: str) -> bool:
    return _ASK[name].match(t) is not None or _WHOLE_POST[name].search(t) is not None


# A context list with a short prefilter (loader.prefilter: a few literal
# strings, one of which is in every match) is searched only if one of them is
# in the text: "jk", "kid", "joking", "/s"... turn up in few sentences.
_QUICK = {name: needles for name, pat in _MOD.items() if (needles := prefilter(pat.pattern))}


def _search(name: str, text: str) -> bool:
    """Does the context list ``name`` (modifiers.tsv) match anywhere in ``text``?"""
    needles = _QUICK.get(name)
    if needles is not None:
        for needle in needles:
            if needle in text:
                break
        else:
            return False
    return _ASK[name].search(text) is not None


# "not even joking", "I'm not kidding", "no joke": the opposite of a joke
# marker. Checked only after JOKE matched (rare), so JOKE itself stays a plain
# alternation that `re` scans quickly.
_NOT_JOKE_BEFORE = re.compile(r"(?:\bnot|\bno|n't|\bnt|\bnot even|\bnot really|i'?m not)\s*$")


def _joke_marked(seg: str) -> bool:
    """Is there a JOKE match in ``seg`` that is not negated ("not joking")?"""
    for m in _MOD["JOKE"].finditer(seg):
        if _NOT_JOKE_BEFORE.search(seg, max(0, m.start() - 14), m.start()) is None:
            return True
    return False


KIND_LABEL = {
    "ideation": "suicidal ideation",
    "selfharm": "self-harm",
    "farewell": "goodbye / putting affairs in order",
    "hiv": "stopping HIV treatment to die",
    "lethal": "asking about lethal doses",
    "imminent": "imminent danger",
    "distress": "distress",
    "threat": "threat to others",
    "infect": "threat to infect others",
    "plan": "plan",
    "means": "plan: means",
    "timing": "plan: timing",
}


@dataclass(frozen=True, slots=True)
class Assessment:
    """What the detector concluded about one message.

    ``spans`` index into the original string passed to :func:`assess`.
    """

    level: int = 0
    target: str | None = None
    reasons: tuple[str, ...] = ()
    spans: tuple[tuple[int, int], ...] = ()


class _Cue:
    __slots__ = ("entry", "start", "end", "sent", "why_not")

    def __init__(self, entry: Entry, start: int, end: int, sent: int):
        self.entry = entry
        self.start = start
        self.end = end
        self.sent = sent
        self.why_not: str | None = None


class _Doc:
    """A normalised text with lazily computed sentence and quote boundaries."""

    __slots__ = ("text", "norm", "t", "_ends", "_recovery", "_not_goodbye", "_offset", "_memo")

    def __init__(self, scan: str, offset):
        self.text = scan
        self.norm = normalise(scan)
        self.t = self.norm.text
        self._ends = None
        self._recovery = None
        self._not_goodbye = None
        self._offset = offset
        self._memo: dict | None = None

    def per_sentence(self, what: str, idx: int, s0: int, s1: int) -> bool:
        """A context test on sentence ``idx`` (bounds s0, s1), worked out once per
        sentence however many cues it holds: "joke" and "laugh" look at this
        sentence and the next, the others at this sentence only."""
        memo = self._memo
        if memo is None:
            memo = self._memo = {}
        key = (what, idx)
        hit = memo.get(key)
        if hit is None:
            t = self.t
            if what == "joke" or what == "laugh":
                j1 = self.sentence_bounds(idx + 1)[1]
                seg = t[s0:max(j1, s1)]
                hit = _search("JOKE" if what == "joke" else "LAUGH", seg)
                if hit and what == "joke":
                    hit = _joke_marked(seg)
            elif what == "topic_q":
                sentence = t[s0:s1]
                hit = _ASK["TOPIC_Q"].search(sentence.lstrip()) is not None and "?" in sentence
            else:
                hit = _search(what.upper(), t[s0:s1])
            memo[key] = hit
        return hit

    @property
    def ends(self) -> list[int]:
        if self._ends is None:
            self._ends = [m.end() for m in _SENT_RE.finditer(self.t)]
        return self._ends

    def sentence_of(self, pos: int) -> int:
        return bisect_right(self.ends, pos)

    def sentence_bounds(self, idx: int) -> tuple[int, int]:
        ends = self.ends
        start = ends[idx - 1] if idx > 0 and idx - 1 < len(ends) else (0 if idx == 0 else len(self.t))
        end = ends[idx] if idx < len(ends) else len(self.t)
        return start, end

    @property
    def recovery(self) -> bool:
        if self._recovery is None:
            self._recovery = _in_whole_post("RECOVERY", self.t)
        return self._recovery

    @property
    def not_goodbye(self) -> bool:
        """Plans to come back, greetings, a sale or a move anywhere in the post
        (NOT_GOODBYE): weak goodbye signs then mean nothing."""
        if self._not_goodbye is None:
            # (a plain search: unlike RECOVERY, the "\W first" form is slower here)
            self._not_goodbye = _ASK["NOT_GOODBYE"].search(self.t) is not None
        return self._not_goodbye

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        s, e = self.norm.to_original(start, end)
        return self._offset(s), self._offset(e - 1) + 1 if e > s else self._offset(s)


class _Result:
    __slots__ = ("level", "target", "cues", "used", "raisers", "truncated", "capped", "doc", "benign")

    def __init__(self):
        self.level = 0
        self.target = None
        self.cues: list[_Cue] = []
        self.used: list[_Cue] = []
        self.raisers: list[_Cue] = []
        self.truncated = False
        self.capped = False
        self.doc: _Doc | None = None
        self.benign: list[tuple[int, int]] = []  # spans of idioms and medical phrases


def _prepare(text: str, head: int = HEAD_CHARS, tail: int = TAIL_CHARS):
    n = len(text)
    if n <= head + tail:
        return text, (lambda p: p), False
    scan = text[:head] + "\n" + text[n - tail:]
    shift = n - tail - (head + 1)

    def offset(p: int) -> int:
        if p < head:
            return p
        if p == head:
            return head
        return p + shift

    return scan, offset, True


def _find(doc: _Doc, anchor_re, table: dict, cues: list[_Cue], limit: int = MAX_ANCHOR_HITS,
          lo_hi: tuple[int, int] | None = None, trigger_re=None) -> bool:
    """Run the entries anchored in each sentence, near their anchors; append cues.

    An entry runs in a sentence only if every one of its anchor groups occurs
    there, and only in a window around the anchors (Entry.back / Entry.ahead).
    With ``trigger_re`` (see _trigger), sentences without a trigger stem are
    skipped: one cheap scan, then the anchor scan only where it can matter
    (after three triggered sentences in a row the rest are simply all read).
    Returns True if the number of anchor hits was capped.
    """
    t = doc.t
    lo, hi = lo_hi if lo_hi is not None else (0, len(t))
    ends = doc.ends
    plan_for = _PLANS[id(table)]
    fast = _ANCHORS_FROM_PREVIOUS.get(id(anchor_re))
    n = 0
    if trigger_re is None:
        sentences = iter(range(bisect_right(ends, lo), bisect_right(ends, max(lo, hi - 1)) + 1))
        m = None
    else:
        m = trigger_re.search(t, lo, hi)
    dense, last_si = 0, -2
    while True:
        if trigger_re is None:
            si = next(sentences, None)
            if si is None:
                return False
        else:
            if m is None:
                return False
            si = bisect_right(ends, m.start())
        r0, r1 = doc.sentence_bounds(si)
        if r0 < lo:
            r0 = lo
        if r1 > hi:
            r1 = hi
        # anchor text -> [first position, last position], in order of appearance
        spots: dict[str, list[int]] = {}
        capped = False
        if fast is None:
            hits = [(mm.start(), mm.group()) for mm in anchor_re.finditer(t, r0, r1)]
        elif r0 > 0:
            # from the character before the sentence (see _scan_from_previous)
            hits = [(mm.end(), mm[1]) for mm in fast[0].finditer(t, r0 - 1, r1)]
        else:
            hits = [(mm.end(), mm[1]) for mm in fast[0].finditer(t, 0, r1)]
            m0 = fast[1].match(t, 0, r1)
            if m0 is not None:
                hits.insert(0, (0, m0.group()))
        for p0, g in hits:
            n += 1
            if n > limit:
                capped = True
                break
            pos = spots.get(g)
            if pos is None:
                spots[g] = [p0, p0]
            else:
                pos[1] = p0
        if spots:
            plan = plan_for(tuple(spots))
            if plan:
                _run(doc, t, si, plan, list(spots.values()), cues)
        if capped:
            return True
        if trigger_re is not None:
            if r1 >= hi:
                return False
            # Dense text (nearly every sentence has a trigger): stop looking
            # for triggers and examine the remaining sentences one by one.
            dense = dense + 1 if si == last_si + 1 else 0
            last_si = si
            if dense >= 3:
                trigger_re = None
                sentences = iter(range(si + 1, bisect_right(ends, max(lo, hi - 1)) + 1))
                continue
            m = trigger_re.search(t, r1, hi)


def _find_phase1(doc: _Doc, cues: list[_Cue], limit: int = MAX_ANCHOR_HITS) -> bool:
    """Phase 1 in one pass over the text: sentence ends and anchor words together.

    Same cues as ``_find(doc, _ANCHOR1, _PHASE1, cues)``, and it fills in
    ``doc.ends`` on the way. Returns True if the number of anchor hits was capped.
    """
    t = doc.t
    ends: list[int] = []
    plan_for = _PLANS[id(_PHASE1)]
    pending = []
    spots: dict[str, list[int]] = {}
    si = 0
    n = 0
    capped = False
    m0 = _AT_START1.match(t)
    if m0 is not None:
        n = 1
        spots[m0.group()] = [0, 0]
    for m in _SCAN1.finditer(t):
        k = m.lastindex
        p0 = m.end()
        if k != 2:
            # a run of sentence ends (and perhaps an anchor right after it)
            ends.append(p0)
            if spots:
                plan = plan_for(tuple(spots))
                if plan:
                    pending.append((si, plan, list(spots.values())))
                spots = {}
            si += 1
            if k is None:
                continue
        if capped:
            continue  # keep reading sentence ends only
        n += 1
        if n > limit:
            capped = True
            continue
        g = m[k]
        pos = spots.get(g)
        if pos is None:
            spots[g] = [p0, p0]
        else:
            pos[1] = p0
    if spots:
        plan = plan_for(tuple(spots))
        if plan:
            pending.append((si, plan, list(spots.values())))
    doc._ends = ends
    for si, plan, sp in pending:
        _run(doc, t, si, plan, sp, cues)
    return capped


# A sentence longer than this (a post without punctuation) is not sliced for
# the needle test: each entry's window is, being much shorter.
_LONG_SENTENCE = 200


def _run(doc: _Doc, t: str, si: int, plan, spots: list, cues: list[_Cue]) -> None:
    """Try the planned entries of sentence ``si`` in windows around their anchors."""
    ends = doc.ends
    s0 = ends[si - 1] if 0 < si <= len(ends) else (0 if si == 0 else len(t))
    s1 = ends[si] if si < len(ends) else len(t)
    long = s1 - s0 > _LONG_SENTENCE
    sentence = t[s0:s1] if not long else ""
    prepared = _RUN
    for eno, idx in plan:
        needles, back, ahead, finditer, e = prepared[eno]
        if needles and not long:
            # most planned entries stop here: none of the words that every
            # match holds is in the sentence. (The same test on the window
            # as well rejected 4% more and cost more than the searches it saved.)
            for needle in needles:
                if needle in sentence:
                    break
            else:
                continue
        if len(idx) == 1:
            first, last = spots[idx[0]]
        else:
            first, last = spots[idx[0]]
            for k in idx[1:]:
                f, l = spots[k]
                if f < first:
                    first = f
                if l > last:
                    last = l
        lo = first - back
        if lo < s0:
            lo = s0
        hi = last + ahead
        if hi > s1:
            hi = s1
        if needles and long:
            window = t[lo:hi]
            for needle in needles:
                if needle in window:
                    break
            else:
                continue
        for mm in finditer(t, lo, hi):
            if mm.end() > mm.start():
                cues.append(_Cue(e, mm.start(), mm.end(), si))


def _planner(table: dict):
    """For the anchor texts found in one sentence (in order of first
    appearance), which entries have every anchor group there, and which of
    those texts belong to each (for the search window). The same few sets of
    words recur from sentence to sentence, so the answer is cached; chat
    lines bring new sets nearly every time, so the work itself is kept to
    integers (entry numbers and group bits, worked out once per anchor text)."""
    by_text = {g: tuple((_ENTRY_NO[e.id], bits) for e, bits in pairs) for g, pairs in table.items()}
    full = _FULL_BITS

    @lru_cache(maxsize=8192)
    def plan(keys: tuple[str, ...]) -> tuple[tuple[int, tuple[int, ...]], ...]:
        acc: dict[int, list] = {}
        for k, g in enumerate(keys):
            for eno, bits in by_text[g]:
                w = acc.get(eno)
                if w is None:
                    acc[eno] = [bits, [k]]
                else:
                    w[0] |= bits
                    w[1].append(k)
        # Entries by number (_ENTRIES): a cached plan holds only ints and
        # strings, so the garbage collector stops tracking it. Holding the
        # Entry objects, a full cache kept ~70,000 tuples under watch and
        # every full collection paused a message for ~13 ms; now ~4 ms.
        return tuple((eno, tuple(w[1])) for eno, w in acc.items() if w[0] == full[eno])

    return plan


_ENTRIES: tuple[Entry, ...] = tuple(LEXICON.entries)
_ENTRY_NO = {e.id: i for i, e in enumerate(_ENTRIES)}
_FULL_BITS = tuple(e.full_bits for e in _ENTRIES)
# What _run reads of each entry, by entry number, in one tuple (one index and
# an unpacking instead of five attribute lookups per planned entry).
_RUN = tuple((e.needles, e.back, e.ahead, e.regex.finditer, e) for e in _ENTRIES)
_PLANS = {id(_PHASE1): _planner(_PHASE1), id(_PHASE2): _planner(_PHASE2)}


def _clause_prefix(t: str, s0: int, start: int) -> str:
    seg_start = max(s0, start - 140)
    seg = t[seg_start:start]
    last = 0
    for m in _MOD["CLAUSE"].finditer(seg):
        last = m.end()
    return seg[last:]


def _last_subject(text: str) -> str | None:
    f_end = -1
    for m in _MOD["FIRST"].finditer(text):
        f_end = m.end()
    o_end = -1
    for m in _MOD["OTHER"].finditer(text):
        o_end = m.end()
    if f_end < 0 and o_end < 0:
        return None
    return "first" if f_end >= o_end else "other"


def _quote_around(t: str, s0: int, s1: int, start: int, end: int) -> int | None:
    """Start of a quotation (in this sentence) that contains the cue, or None."""
    for q in ('"', "'"):
        i = t.rfind(q, s0, start)
        while i != -1:
            if q == '"' or i == s0 or not t[i - 1].isalnum():
                j = t.find(q, end, s1 + 1 if s1 < len(t) else s1)
                while j != -1:
                    if q == '"' or j + 1 >= len(t) or not t[j + 1].isalpha():
                        return i
                    j = t.find(q, j + 1, s1 + 1 if s1 < len(t) else s1)
                break
            i = t.rfind(q, s0, i)
    return None


_COPULA_RE = re.compile(
    r"(?:\b(?:i'm|im|i am|i feel|i felt|feel|feeling|felt|been|am|get|getting|was|i was|my)\s+(?:\w+\s+)?"
    r"|\b(?:i|i've|ive|i have|i still|i'm|im) (?:have|had|dealt with|deal with|struggle with|struggled with|"
    r"struggling with|battle|battled|battling|live with|living with|suffer from|suffered from|suffering from|"
    r"experience|experienced|experiencing|get|got|getting|fight|fought|fighting)\s+(?:[\w']+\s+){0,5})$")


def _about_writer_nearby(doc: _Doc, cue: _Cue, s0: int, s1: int) -> bool:
    """For a word like "suicidal": does the nearby text make it the writer's state?"""
    t = doc.t
    if _COPULA_RE.search(t[max(s0, cue.start - 70):cue.start]) is not None:
        return True
    if t.startswith(" myself", cue.end):
        return True
    sentence = t[s0:s1]
    if len(sentence.split()) > 10 or _ASK["OTHER"].search(sentence) is not None:
        return False
    lo = doc.sentence_bounds(max(0, cue.sent - 1))[0]
    hi = doc.sentence_bounds(cue.sent + 1)[1]
    around = t[lo:hi]
    return _ASK["FIRST"].search(around) is not None and _SECOND_RE.search(around) is None


_SECOND_RE = re.compile(r"\b(?:you|your|youre|you're|yourself|u|ur)\b")


def _is_negated(prefix: str) -> bool:
    words = prefix.split()[-6:]
    if not words:
        return False
    tail = " ".join(words)
    tail = _MOD["NEG_HEDGE"].sub(" ", tail)
    return _ASK["NEG"].search(tail) is not None


def _judge(doc: _Doc, cue: _Cue, benign: list[tuple[int, int]]) -> str | None:
    """Return why the cue does not count, or None if it counts."""
    e = cue.entry
    t = doc.t
    for b0, b1 in benign:
        if b0 < cue.end and cue.start < b1:
            return "idiom or medical phrase"
    s0, s1 = doc.sentence_bounds(cue.sent)
    prefix = _clause_prefix(t, s0, cue.start)
    cue_text = t[cue.start:cue.end]
    others = e.kind in OTHER_KINDS

    if "noneg" not in e.flags and _is_negated(prefix):
        return "negated"

    if _search("MEDIA", prefix):
        return "quoted from a song, film or book"

    # Who is the subject? A cue that starts with "I ..." is about the writer.
    # (Only cues flagged subj or nominal ask.)
    flags = e.flags
    if "subj" in flags or "nominal" in flags:
        m = _MOD["FIRST"].match(cue_text)
        subject = "first" if m is not None else _last_subject(prefix)
        if "subj" in flags and subject == "other":
            return "about someone else"

        if "nominal" in flags and subject != "first" and not _about_writer_nearby(doc, cue, s0, s1):
            return "the topic mentioned, not the writer's own state"

        if "subj" in flags and subject is None:
            if "?" in t[cue.end:s1] or doc.per_sentence("topic_q", cue.sent, s0, s1):
                return "question about the topic"
            if doc.per_sentence("help", cue.sent, s0, s1):
                return "talking about the topic or helping someone"

    quote = _quote_around(t, s0, s1, cue.start, cue.end)
    if quote is not None:
        q0 = quote
        frame = t[s0:q0]
        sentence = t[s0:s1]
        self_speech = _ASK["SPEECH_SELF"].search(frame) is not None
        if doc.per_sentence("media", cue.sent, s0, s1) or (
                not self_speech and (_last_subject(frame) == "other" or not frame.strip())):
            return "quoting someone else"

    # Jokes marked as such, in this sentence or the next one.
    if "nojoke" not in e.flags:
        if doc.per_sentence("joke", cue.sent, s0, s1):
            return "marked as a joke"
        if others and doc.per_sentence("laugh", cue.sent, s0, s1):
            return "marked as a joke"

    # Weak goodbye signs ("thanks for everything", "love you all", "bye x")
    # mean nothing beside plans to come back, greetings, selling or moving.
    if e.kind == "farewell" and (e.level == 1 or "signoff" in e.flags) and doc.not_goodbye:
        return "a sign-off with plans, greetings or a sale"

    if e.kind == "infect":
        if _ASK["INFECT_FEAR"].search(prefix) is not None:
            return "a worry or question about infecting, not an intent"
        if "intent" in e.flags and _ASK["INTENT"].search(t[s0:s1]) is None:
            return "no intent stated"

    if "nopast" not in e.flags and (e.kind not in RAISER_KINDS or e.level >= 2):
        # (a hoard or a rope at level 2 told as the past is set aside too:
        # "3 years ago I had a bag of pills saved up; today I'm undetectable")
        past = doc.per_sentence("past", cue.sent, s0, s1) or _ASK["PAST_VERB"].search(
            " ".join(prefix.split()[-4:]) + " " + cue_text) is not None
        # (the cheap test on the clause first: the recovery scan reads the whole post)
        if past and not _search("RECENT", prefix + " " + cue_text) and doc.recovery:
            return "past, told as recovery"
    return None


def _analyse(text: str, want_raisers: bool = False) -> _Result:
    res = _Result()
    scan, offset, truncated = _prepare(text)
    res.truncated = truncated
    if not scan or _ANCHOR1 is None:
        return res
    doc = _Doc(scan, offset)
    res.doc = doc
    cues: list[_Cue] = []
    capped = _find_phase1(doc, cues)
    res.capped = capped
    if not cues and not want_raisers:
        return res
    benign = res.benign = [(c.start, c.end) for c in cues if c.entry.kind == "benign"]
    signal = [c for c in cues if c.entry.kind != "benign"]
    for c in signal:
        c.why_not = _judge(doc, c, benign)
    live = [c for c in signal if c.why_not is None]
    if not live and not want_raisers:
        res.cues = signal
        return res
    # Phase 2: timing, plan and means words, looked for only within two
    # sentences of a cue they could raise (or everywhere, for the context rule).
    if _ANCHOR2 is not None:
        extra: list[_Cue] = []
        if want_raisers:
            _find(doc, _ANCHOR2, _PHASE2, extra, trigger_re=_TRIGGER2)
        else:
            spans = []
            for c in live:
                if c.entry.level >= 2 or "strong" in c.entry.flags or c.entry.kind == "farewell":
                    lo = doc.sentence_bounds(max(0, c.sent - 2))[0]
                    hi = doc.sentence_bounds(c.sent + 2)[1]
                    if spans and lo <= spans[-1][1]:
                        spans[-1] = (spans[-1][0], max(hi, spans[-1][1]))
                    else:
                        spans.append((lo, hi))
            spans.sort()
            merged: list[tuple[int, int]] = []
            for lo, hi in spans:
                if merged and lo <= merged[-1][1]:
                    merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
                else:
                    merged.append((lo, hi))
            for lo_hi in merged:
                _find(doc, _ANCHOR2, _PHASE2, extra, lo_hi=lo_hi, trigger_re=_TRIGGER2)
        for c in extra:
            c.why_not = _judge(doc, c, benign)
        signal.extend(extra)
        live.extend(c for c in extra if c.why_not is None)
    res.cues = signal
    _decide(res, live)
    return res


def _near(a: _Cue, b: _Cue, dist: int) -> bool:
    return abs(a.sent - b.sent) <= dist


def _raiser_reach(c: _Cue) -> int:
    # timing, plan and means all reach two sentences ("got enough now.
    # tonight's the night" two sentences after the hoard); timing used to
    # reach one, and the written sets' level-3 rows said otherwise
    return 2


def _decide(res: _Result, live: list[_Cue]) -> None:
    core = [c for c in live if c.entry.kind not in RAISER_KINDS and c.entry.level > 0]
    raisers = [c for c in live if c.entry.kind in RAISER_KINDS]
    strong_core = [c for c in raisers if c.entry.level > 0]  # e.g. hoarded pills: level 2 alone
    levels = {"self": 0, "others": 0}
    used: dict[int, _Cue] = {}
    # A goodbye is often made of signs that mean little alone ("thanks for
    # everything", "look after yourselves", "bye x"): two different ones in
    # one message count as a goodbye (level 2).
    weak_byes = [c for c in core if c.entry.kind == "farewell" and c.entry.level == 1]
    promoted = {id(c) for c in weak_byes} if len({c.entry.id for c in weak_byes}) >= 2 else set()

    def level_of(c: _Cue) -> int:
        return 2 if id(c) in promoted else c.entry.level

    for c in core + strong_core:
        tgt = c.entry.target or "self"
        if level_of(c) > levels[tgt]:
            levels[tgt] = level_of(c)
    # Raise: plan, means or timing near a level-2 cue (not the same words).
    for c in core + strong_core:
        if level_of(c) < 2:
            continue
        tgt = c.entry.target or "self"
        for r in raisers:
            if r is c:
                continue
            if r.start < c.end and c.start < r.end:
                # the same words count once, except a time inside a threat
                # ("going round tonight with a bat")
                if not (r.entry.kind == "timing" and c.entry.kind in OTHER_KINDS):
                    continue
            if r.entry.kind == c.entry.kind:
                continue  # two mentions of hoarded pills are one fact, not a plan
            if r.entry.target not in (None, tgt):
                continue
            if _near(c, r, _raiser_reach(r)):
                levels[tgt] = 3
                used[id(r)] = r
                used[id(c)] = c
    # Raisers alone: lethal means or a weapon ("strong") with a plan, or with
    # a goodbye, or with two other kinds of raiser, is level 3.
    strong = [r for r in raisers if "strong" in r.entry.flags]
    farewells = [c for c in core if c.entry.kind == "farewell"]
    for s in strong:
        near = [r for r in raisers if r is not s and _near(s, r, 2)
                and not (r.start < s.end and s.start < r.end)]
        tgt = s.entry.target or next((r.entry.target for r in near if r.entry.target), None) or "self"
        near = [r for r in near if r.entry.target in (None, tgt)]
        kinds = {r.entry.kind for r in near if r.entry.kind != s.entry.kind}
        # a weak goodbye sign alone ("love you all") does not make a plan
        # lethal; lethal means beside one still count below as "upset"
        bye = [f for f in farewells if _near(s, f, 2) and level_of(f) >= 2] if tgt == "self" else []
        # lethal means in reach plus any distress about the writer ("I'm on the
        # bridge now. can't do this anymore") is also level 3
        upset = [c for c in core if (c.entry.target or "self") == "self" and _near(s, c, 2)] \
            if tgt == "self" and s.entry.kind == "means" else []
        if "plan" in kinds or bye or upset or len(kinds) >= 2:
            levels[tgt] = 3
            used[id(s)] = s
            for r in near + bye + upset:
                used[id(r)] = r
    level = max(levels.values())
    if level == 0:
        res.level, res.target = 0, None
        return
    target = "others" if levels["others"] >= levels["self"] and levels["others"] >= 2 else "self"
    if levels["others"] == level and levels["self"] < level:
        target = "others"
    res.level, res.target = level, target
    for c in core + strong_core:
        tgt = c.entry.target or "self"
        if c.entry.level >= 1 and (levels[tgt] == level or level_of(c) >= 2):
            used[id(c)] = c
    res.used = sorted(used.values(), key=lambda c: c.start)
    res.raisers = raisers


def _raw(doc: _Doc, c: _Cue) -> str:
    s, e = doc.norm.to_original(c.start, c.end)
    return doc.text[s:e]


def _snippet(doc: _Doc, c: _Cue) -> str:
    frag = " ".join(_raw(doc, c).split())
    if len(frag) > 48:
        frag = frag[:45] + "..."
    return frag


def _reason(doc: _Doc, c: _Cue) -> str:
    return f"{KIND_LABEL.get(c.entry.kind, c.entry.kind)} ({_snippet(doc, c)})"


def _coerce(text) -> str:
    if isinstance(text, str):
        return text
    if text is None:
        return ""
    if isinstance(text, (bytes, bytearray)):
        return bytes(text).decode("utf-8", "replace")
    return str(text)


def assess(text: str, context=None) -> Assessment:
    """Assess one message. ``context``: recent lines by the same writer, oldest first.

    Never raises: on an internal error it falls back to a plain keyword check
    (and says so), because a missed crisis costs more than a false alarm.
    """
    try:
        return _assess(_coerce(text), context)
    except Exception:  # pragma: no cover - defensive: must never raise
        try:
            from .baseline import keyword_level
            lvl = keyword_level(_coerce(text))
        except Exception:
            lvl = 0
        return Assessment(lvl, "self" if lvl else None, ("detector error: keyword fallback used",), ())


def _assess(text: str, context, use_model: bool = True) -> Assessment:
    ctx_results: list[_Result] = []
    if context:
        if isinstance(context, str):
            context = [context]
        try:
            lines = list(context)[-MAX_CONTEXT_LINES:]
        except TypeError:
            lines = []
        for line in lines:
            line = _coerce(line)
            if len(line) > CONTEXT_CHARS:
                line = line[:CONTEXT_CHARS // 2] + "\n" + line[-CONTEXT_CHARS // 2:]
            r = _analyse(line)
            if r.level >= 2:
                ctx_results.append(r)
    ctx_level = max((r.level for r in ctx_results), default=0)

    res = _analyse(text, want_raisers=ctx_level >= 2)
    doc = res.doc
    reasons: list[str] = []
    spans: list[tuple[int, int]] = []
    level, target = res.level, res.target

    if doc is not None:
        for c in res.used:
            reasons.append(_reason(doc, c))
            spans.append(doc.original_span(c.start, c.end))

    if ctx_level >= 2 and level < 2:
        ctx_target = "others" if any(r.target == "others" for r in ctx_results if r.level == ctx_level) else "self"
        level = 2
        target = ctx_target
        reasons.append(f"context: follows a recent level {ctx_level} line by the same writer")
        raisers = [c for c in res.raisers if c.why_not is None] if res.raisers else []
        if doc is not None and not raisers:
            raisers = [c for c in res.cues if c.entry.kind in RAISER_KINDS and c.why_not is None]
        if raisers and doc is not None:
            level = 3
            for c in raisers:
                reasons.append(_reason(doc, c))
                spans.append(doc.original_span(c.start, c.end))
        elif ctx_level == 3 and res.level >= 1:
            level = 3
    elif ctx_level >= 2 and level == 2 and doc is not None:
        reasons.append(f"context: follows a recent level {ctx_level} line by the same writer")
        raisers = [c for c in res.cues if c.entry.kind in RAISER_KINDS and c.why_not is None]
        if raisers:
            level = 3
            for c in raisers:
                reasons.append(_reason(doc, c))
                spans.append(doc.original_span(c.start, c.end))

    if use_model and level < 2 and _model_may_read(text, res, MODEL.max_chars if MODEL else 0):
        got = _learned(text, res)
        if got is not None:
            level, target, why, where = got
            reasons.extend(why)
            spans.extend(where)

    if level > 0 and doc is not None:
        ignored = [c for c in res.cues if c.why_not and c.entry.kind not in RAISER_KINDS][:3]
        for c in ignored:
            reasons.append(f"set aside: {c.why_not} ({_snippet(doc, c)})")
    if res.truncated:
        reasons.append(f"long input: scanned the first {HEAD_CHARS:,} and last {TAIL_CHARS:,} "
                       f"of {len(text):,} characters")
    if res.capped:
        reasons.append(f"long input: stopped after the first {MAX_ANCHOR_HITS} keyword hits")
    # de-duplicate, keep order
    seen = set()
    uniq_reasons = []
    for r in reasons:
        if r not in seen:
            seen.add(r)
            uniq_reasons.append(r)
    n = len(text)
    clean_spans = sorted({(max(0, min(s, n)), max(0, min(e, n))) for s, e in spans if e > s})
    return Assessment(level, target if level > 0 else None, tuple(uniq_reasons), tuple(clean_spans))


# The learned second stage (moderation/learned.py) reads what the rules left
# below level 2, if the message is short (chat lines and short posts, like its
# training text) and the rules did not set anything aside: where they read a
# crisis phrase as negated, someone else's, a question, a quotation, a joke or
# the past, or found an idiom or medical phrase, they have the last word.
def _model_may_read(text: str, res: _Result, max_chars: int) -> bool:
    if MODEL is None or len(text) > max_chars or res.doc is None:
        return False
    return not res.benign and not any(c.why_not is not None for c in res.cues)


def model_may_read(text: str, max_chars: int) -> tuple[int, bool]:
    """(level from the rules alone, may the learned stage read ``text``?):
    the same test as assess, for moderation.train's cross-validation."""
    text = _coerce(text)
    level = _assess(text, None, use_model=False).level
    return level, level < 2 and _model_may_read(text, _analyse(text), max_chars)


def _learned(text: str, res: _Result):
    """Level, target, reasons and spans from the learned stage, or None."""
    doc = res.doc
    p = MODEL.p_high(doc.t)
    if p < MODEL.threshold:
        return None
    vec = MODEL.features(doc.t)
    target = "others" if MODEL.probability("others", vec) >= 0.5 else "self"
    words = MODEL.strongest("high", vec)
    reasons = [f"learned model: reads like a message at risk (p {p:.2f}; " + ", ".join(f"'{w}'" for w in words) + ")"]
    spans = []
    tokens = [(m.start(), m.end(), m.group()) for m in TOKEN_RE.finditer(doc.t)]
    for w in words:
        parts = w.split(" ")
        for i in range(len(tokens) - len(parts) + 1):
            if all(tokens[i + k][2] == parts[k] for k in range(len(parts))):
                spans.append(doc.original_span(tokens[i][0], tokens[i + len(parts) - 1][1]))
                break
    level = 2
    # plan, means or timing anywhere in the message: level 3 (as after a
    # recent level-2 line, the context rule)
    raisers = _raisers_anywhere(res)
    if raisers:
        level = 3
        for c in raisers:
            reasons.append(_reason(doc, c))
            spans.append(doc.original_span(c.start, c.end))
    return level, target, reasons, spans


def _raisers_anywhere(res: _Result) -> list[_Cue]:
    """Plan, means and timing cues anywhere in the analysed text that count
    (the ones ``_analyse(text, want_raisers=True)`` finds), without reading
    the text again: phase 2 over all of it, beside phase 1's raisers."""
    doc = res.doc
    found = [c for c in res.cues if c.entry.kind in RAISER_KINDS and _is_phase1(c.entry)]
    if _ANCHOR2 is not None:
        extra: list[_Cue] = []
        _find(doc, _ANCHOR2, _PHASE2, extra, trigger_re=_TRIGGER2)
        for c in extra:
            c.why_not = _judge(doc, c, res.benign)
        found.extend(extra)
    return [c for c in found if c.why_not is None]
