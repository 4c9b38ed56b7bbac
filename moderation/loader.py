"""Load the lexicon (``moderation/lexicon/*.tsv``) once and compile it.

File formats (UTF-8, tab-separated, ``#`` starts a comment line, blank lines
are skipped):

``macros.tsv``   ``name  regex  comment``. ``{NAME}`` in a pattern (or in a
                 later macro) is replaced by ``(?:regex)``.
``modifiers.tsv`` ``name  regex  comment``: the context cue lists (negators,
                 pronouns, past and recovery markers, joke and quote markers).
                 Entries with the same name are OR-ed together.
``cues-*.tsv``   ``id  kind  level  target  flags  anchors  pattern  example  comment``

* ``kind``: ideation, selfharm, farewell, hiv, lethal, imminent, distress
  (about the writer), threat, infect (about others), plan, means, timing
  (raise a level 2 to 3), benign (an idiom or medical phrase that cancels any
  cue it overlaps).
* ``level`` 0-3 and ``target`` self/others/empty as for an Assessment.
* ``flags``: ``subj`` (the cue counts only if its subject is the writer: the
  nearest pronoun before it in the clause is first person or absent),
  ``noneg`` (the pattern carries its own negation, so a "not" before it does
  not cancel it), ``nopast`` (not cancelled by a recovery story), ``strong``
  (a raiser that counts even without another cue: lethal means with intent),
  ``intent`` (counts only with an intent marker in the sentence, INTENT in
  modifiers.tsv: "infect him" needs "on purpose", "I'll", "want to"...),
  ``nojoke`` (not cancelled by "jk", "lol"), ``nominal`` (a word that is also
  used to talk about the topic, "suicidal thoughts", "self-harm": it counts
  only with the writer as the explicit subject, or in a short sentence next to
  one about the writer and none addressed to a reader), ``signoff`` (a
  level-2 goodbye that, like every level-1 one, means nothing in a post with
  plans to come back, greetings, a sale or a move: NOT_GOODBYE in modifiers.tsv).
* ``anchors``: word beginnings separated by ``|`` (``sh$`` with a dollar: the
  whole word only); the pattern is only tried on sentences that contain such a
  word (this is what keeps the detector fast: most lines contain none).
  Groups joined with ``&`` must all occur in the sentence
  (``sav|hoard & pill|tablet``).
* ``pattern``: a Python regex over the normalised text (lower case, leetspeak
  undone, letter runs collapsed). A doubled letter also matches a single one
  (``kill`` matches "kil"), because runs are collapsed before matching.
* ``example``: a sentence the pattern must match (checked by the tests).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

LEXICON_DIR = Path(__file__).resolve().parent / "lexicon"

SELF_KINDS = frozenset({"ideation", "selfharm", "farewell", "hiv", "lethal", "imminent", "distress"})
OTHER_KINDS = frozenset({"threat", "infect"})
RAISER_KINDS = frozenset({"plan", "means", "timing"})
KINDS = SELF_KINDS | OTHER_KINDS | RAISER_KINDS | {"benign"}
FLAGS = frozenset({"subj", "noneg", "nopast", "strong", "nojoke", "intent", "nominal", "signoff"})


@dataclass(frozen=True, slots=True)
class Entry:
    id: str
    kind: str
    level: int
    target: str | None
    flags: frozenset
    anchors: tuple[str, ...]
    anchor_groups: tuple[tuple[str, ...], ...]
    source: str
    regex: re.Pattern
    example: str
    comment: str
    file: str
    full_bits: int      # every anchor group seen
    back: int           # how far before an anchor a match can start
    ahead: int          # how far after an anchor a match can end
    needles: tuple[str, ...] = ()   # every match contains one of these (empty: unknown)


@dataclass(frozen=True, slots=True)
class Lexicon:
    entries: tuple[Entry, ...]
    by_anchor: dict            # anchor stem -> tuple of entries (incl. entries of shorter stems)
    anchor_re: re.Pattern      # finds any anchor at a word start
    modifiers: dict            # name -> compiled regex
    macros: dict               # name -> expanded source


def _rows(path: Path):
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            line = line.rstrip("\n").rstrip("\r")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            yield lineno, line.split("\t")


_MACRO_RE = re.compile(r"\{([A-Z_][A-Z0-9_]*)\}")


def _expand(src: str, macros: dict, where: str) -> str:
    def rep(m: re.Match) -> str:
        name = m.group(1)
        if name not in macros:
            raise ValueError(f"{where}: unknown macro {{{name}}}")
        return "(?:" + macros[name] + ")"
    for _ in range(10):
        new = _MACRO_RE.sub(rep, src)
        if new == src:
            return new
        src = new
    raise ValueError(f"{where}: macros nested too deeply")


def relax_doubles(src: str) -> str:
    """Let a doubled literal letter also match one letter: "kill" -> "kill?".

    Escapes, character classes and group headers are left alone.
    """
    out: list[str] = []
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if c == "\\" and i + 1 < n:
            out.append(src[i:i + 2])
            i += 2
            continue
        if c == "[":
            j = i + 1
            if j < n and src[j] == "^":
                j += 1
            if j < n and src[j] == "]":
                j += 1
            while j < n and src[j] != "]":
                j += 2 if src[j] == "\\" else 1
            out.append(src[i:j + 1])
            i = j + 1
            continue
        if c == "(" and i + 1 < n and src[i + 1] == "?":
            j = i + 2
            if j < n and src[j] in "P" and j + 1 < n and src[j + 1] == "<":
                j = src.index(">", j) + 1
            elif j < n and src[j] == "<" and j + 1 < n and src[j + 1] in "=!":
                j += 2
            elif j < n and src[j] in ":=!>":
                j += 1
            else:
                while j < n and src[j].isalpha():
                    j += 1
            out.append(src[i:j])
            i = j
            continue
        if c == "{":
            j = src.find("}", i)
            if j != -1 and re.fullmatch(r"\{\d*,?\d*\}", src[i:j + 1]):
                out.append(src[i:j + 1])
                i = j + 1
                continue
        if c.isalpha() and i + 1 < n and src[i + 1] == c and not (i + 2 < n and src[i + 2] in "?*+{"):
            out.append(c + c + "?")
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def trie_regex(words) -> str:
    """A regex alternation for ``words`` shaped as a trie (fast in ``re``).

    The match is always the longest word that matches at a position. A word
    ending in ``$`` matches only as a whole word (the ``$`` is not consumed).
    """
    trie: dict = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = True

    def build(node: dict, order: dict) -> str:
        end = "" in node
        # "$" (whole word) last: "(?![a-z])" also matches before an
        # apostrophe, so tried first it would read "can't" as the word "can".
        # The others start with different characters, so at most one can
        # match and their order changes nothing but speed: `re` tries them
        # one by one, so the letters English uses most go first.
        kids = sorted((k for k in node if k), key=lambda k: (k == "$", order.get(k, 99), k))
        if not kids:
            return ""
        alts = [("(?![a-z])" if k == "$" else re.escape(k) + build(node[k], _LETTER_ORDER)) for k in kids]
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        if end:
            if len(alts) == 1 and len(body) > 1:
                body = "(?:" + body + ")"
            body += "?"
        return body

    return build(trie, _INITIAL_ORDER)


# English letters by how often they start a word, and by how often they occur.
_INITIAL_ORDER = {c: i for i, c in enumerate("tasowicbpmfhdlrnegyuvkjqxz")}
_LETTER_ORDER = {c: i for i, c in enumerate("etaoinshrdlcumwfgypbvkjxqz")}


MAX_BACK = 60     # search window around an anchor: the detector never looks
MAX_AHEAD = 110   # further than this from the anchor word for the rest of a cue


def _max_width(pattern: re.Pattern) -> int:
    """Longest text the pattern can match (capped by the window limits)."""
    try:
        from re import _parser  # Python 3.11+
        return int(min(_parser.parse(pattern.pattern).getwidth()[1], 10_000))
    except Exception:  # pragma: no cover - other Pythons: use the caps
        return 10_000


def _factor_branches(items: list, state, any_order: bool = False) -> list:
    """Regroup alternatives that start with a literal character by that character.

    ``re`` tries the alternatives of an alternation one after another at every
    position; "today i'm|now i'm|nobody|now im" becomes "today i'm|no(?:w
    i'm|body|w im)", so a position is turned away after one test per first
    letter instead of one per alternative. Only runs of alternatives that all
    start with a literal are regrouped, and alternatives that share a first
    character keep their order; alternatives with different first characters
    cannot match at the same position. So the pattern matches exactly what it
    did before, with the same spans (tests/moderation/test_lexicon.py checks).

    Leading optional parts and groups are first spread out in place ("(?:so
    )?glad" -> "so glad|glad", "(?:i'm|im) fine" -> "i'm fine|im fine"): the
    alternatives are still tried in the same order, so this changes nothing
    either, and more alternatives start with a literal. With ``any_order``
    (patterns only asked *whether* and *where* a match starts, see
    fast_compile) every alternative that starts with a literal joins its
    letter's group, wherever it stands.
    """
    from re import _parser
    from re._constants import BRANCH, LITERAL

    spread: list = []
    for it in items:
        spread.extend(_spread(it, state))
    items = spread
    if any_order:
        items = [it for it in spread if len(it) and it[0][0] is LITERAL] + \
                [it for it in spread if not (len(it) and it[0][0] is LITERAL)]

    out: list = []
    run: list = []

    def flush() -> None:
        if not run:
            return
        groups: dict[int, list] = {}
        for it in run:
            groups.setdefault(it[0][1], []).append(it)
        for code, grp in groups.items():
            if len(grp) == 1:
                out.append(grp[0])
                continue
            rests = _factor_branches([_parser.SubPattern(state, list(it[1:])) for it in grp], state, any_order)
            if len(rests) == 1:
                data = [(LITERAL, code)] + list(rests[0])
            else:
                data = [(LITERAL, code), (BRANCH, (None, rests))]
            out.append(_parser.SubPattern(state, data))
        run.clear()

    for it in items:
        if len(it) and it[0][0] is LITERAL:
            run.append(it)
        else:
            flush()
            out.append(it)
    flush()
    return out


def _spread(it, state, most: int = 24) -> list:
    """One alternative as several, its leading optional part or group spread out
    ("(?:so )?glad i" -> "so glad i", "glad i"); at most ``most`` of them."""
    from re import _parser
    from re._constants import BRANCH, MAX_REPEAT, SUBPATTERN

    if not len(it):
        return [it]
    op, av = it[0]
    rest = list(it[1:])
    if op is BRANCH:  # "(?:a|b)c" parses as a BRANCH followed by "c"
        alts = [list(b) + rest for b in av[1]]
    elif op is SUBPATTERN and av[0] is None and not av[1] and not av[2]:
        inner = av[3]
        if len(inner) == 1 and inner[0][0] is BRANCH:
            alts = [list(b) + rest for b in inner[0][1][1]]
        else:
            alts = [list(inner) + rest]
    elif op is MAX_REPEAT and av[0] == 0 and av[1] == 1:
        alts = [list(av[2]) + rest, rest]
    else:
        return [it]
    out: list = []
    for a in alts:
        out.extend(_spread(_parser.SubPattern(state, a), state, most))
        if len(out) > most:
            return [it]
    return out


def _factor_tree(sub, state, any_order: bool = False):
    from re._constants import (ASSERT, ASSERT_NOT, ATOMIC_GROUP, BRANCH, GROUPREF_EXISTS, MAX_REPEAT,
                               MIN_REPEAT, POSSESSIVE_REPEAT, SUBPATTERN)

    data = sub.data
    for i, (op, av) in enumerate(data):
        if op is BRANCH:
            data[i] = (BRANCH, (av[0], _factor_branches([_factor_tree(it, state, any_order) for it in av[1]],
                                                        state, any_order)))
        elif op is SUBPATTERN:
            _factor_tree(av[3], state, any_order)
        elif op in (MAX_REPEAT, MIN_REPEAT):
            _factor_tree(av[2], state, any_order)
        elif op is POSSESSIVE_REPEAT:
            _factor_tree(av[2], state)
        elif op in (ASSERT, ASSERT_NOT):
            _factor_tree(av[1], state, any_order)
        elif op is ATOMIC_GROUP:
            _factor_tree(av, state)
        elif op is GROUPREF_EXISTS:
            _factor_tree(av[1], state)
            if av[2] is not None:
                _factor_tree(av[2], state)
    return sub


def _boundary_after_literals(items: list, state) -> list | None:
    """``items`` follow a ``\\b``; move that test behind the first literal run.

    "\\bkill(?:ing)? myself" becomes "kill(?<!\\wkill)(?:ing)? myself": the
    same matches with the same spans (before a word character, a boundary means
    that no word character comes before it; at the start of the text the
    look-behind finds nothing, as the boundary holds there too). ``re`` can
    only skip ahead in its search loop when a pattern starts with a literal or
    a set of first characters, and a leading boundary hides both: moved, the
    literal "kill" is found by a fast string search, and an alternation of
    words by a test of their first letters. Alternations and groups are followed
    into each branch. Returns None where a branch does not start with a word
    character (nothing is changed then).
    """
    from re import _parser
    from re._constants import ASSERT_NOT, BRANCH, CATEGORY, CATEGORY_WORD, IN, LITERAL, SUBPATTERN

    if not items:
        return None
    op, av = items[0]
    if op is LITERAL:
        c = chr(av)
        if not (c.isalnum() or c == "_"):
            return None
        k = 1
        while k < len(items) and items[k][0] is LITERAL:
            k += 1
        run = list(items[:k])
        behind = _parser.SubPattern(state, [(IN, [(CATEGORY, CATEGORY_WORD)])] + run)
        return run + [(ASSERT_NOT, (-1, behind))] + list(items[k:])
    if op is SUBPATTERN and not av[1] and not av[2]:
        inner = _boundary_after_literals(list(av[3].data), state)
        if inner is None:
            return None
        return [(SUBPATTERN, (av[0], 0, 0, _parser.SubPattern(state, inner)))] + list(items[1:])
    if op is BRANCH:
        alts = []
        for alt in av[1]:
            moved = _boundary_after_literals(list(alt.data), state)
            if moved is None:
                return None
            alts.append(_parser.SubPattern(state, moved))
        return [(BRANCH, (av[0], alts))] + list(items[1:])
    return None


def _lead_boundary(items: list, state) -> list | None:
    """Apply _boundary_after_literals to a ``\\b`` at the start of the pattern
    (inside leading groups and each branch of a leading alternation)."""
    from re import _parser
    from re._constants import AT, AT_BOUNDARY, BRANCH, SUBPATTERN

    if not items:
        return None
    op, av = items[0]
    if op is AT and av is AT_BOUNDARY:
        return _boundary_after_literals(list(items[1:]), state)
    if op is SUBPATTERN and not av[1] and not av[2]:
        inner = _lead_boundary(list(av[3].data), state)
        if inner is None:
            return None
        return [(SUBPATTERN, (av[0], 0, 0, _parser.SubPattern(state, inner)))] + list(items[1:])
    if op is BRANCH:
        alts = []
        changed = False
        for alt in av[1]:
            moved = _lead_boundary(list(alt.data), state)
            changed = changed or moved is not None
            alts.append(alt if moved is None else _parser.SubPattern(state, moved))
        return [(BRANCH, (av[0], alts))] + list(items[1:]) if changed else None
    return None


def fast_compile(src: str, any_order: bool = False) -> re.Pattern:
    """``re.compile(src)``, with alternations regrouped by first character.

    Uses the standard library's own parser and compiler (``re._parser``,
    ``re._compiler``, CPython 3.11+); on any other Python, or if anything goes
    wrong, it is plain ``re.compile``. The result keeps ``src`` as its
    ``.pattern``.

    ``any_order``: the alternatives may be tried in any order. A match then
    starts exactly where the plain pattern's would (``search``, ``match`` and
    ``m.start()`` agree; a position has a match if any order of trying finds
    one), but it may end elsewhere: only for patterns whose match end and
    groups are never read. Atomic groups and possessive repeats are left as
    they are.
    """
    compiled = re.compile(src)
    try:
        import _sre
        from re import _compiler, _parser

        tree = _parser.parse(src, 0)
        _factor_tree(tree, tree.state, any_order)
        lead = _lead_boundary(list(tree.data), tree.state)
        if lead is not None:
            tree.data = lead
        code = _compiler._code(tree, 0)
        state = tree.state
        indexgroup = [None] * state.groups
        for k, i in state.groupdict.items():
            indexgroup[i] = k
        return _sre.compile(src, compiled.flags, code, state.groups - 1, state.groupdict, tuple(indexgroup))
    except Exception:  # pragma: no cover - other Pythons: the plain pattern
        return compiled


def _needles_of(sub, classes: bool = False) -> tuple[int, frozenset] | None:
    """Literal strings of which every match of ``sub`` contains at least one.

    Returns (shortest needle length, needles), choosing among the pattern's
    required parts the one with the longest shortest needle; None if nothing
    is required. Assertions and optional parts add nothing; nor do character
    classes, unless ``classes`` is set: then a class of at most 8 plain
    characters ("[\u266a\u266b]") counts as that many one-character needles.
    """
    from re._constants import BRANCH, IN, LITERAL, MAX_REPEAT, MIN_REPEAT, POSSESSIVE_REPEAT, SUBPATTERN

    options: list[frozenset] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            options.append(frozenset(["".join(run)]))
            run.clear()

    for op, av in sub:
        if op is LITERAL:
            run.append(chr(av))
            continue
        flush()
        if op is SUBPATTERN:
            got = _needles_of(av[3], classes)
            if got is not None:
                options.append(got[1])
        elif op is BRANCH:
            alts = [_needles_of(it, classes) for it in av[1]]
            if alts and all(a is not None for a in alts):
                options.append(frozenset().union(*(a[1] for a in alts)))
        elif op in (MAX_REPEAT, MIN_REPEAT, POSSESSIVE_REPEAT) and av[0] >= 1:
            got = _needles_of(av[2], classes)
            if got is not None:
                options.append(got[1])
        elif op is IN and classes and 0 < len(av) <= 8 and all(o is LITERAL for o, _ in av):
            options.append(frozenset(chr(c) for _, c in av))
    flush()
    if not options:
        return None
    best = max(options, key=lambda o: (min(map(len, o)), -len(o)))
    return min(map(len, best)), best


def needles(src: str) -> tuple[str, ...]:
    """Cheap prefilter for a pattern: literal strings of which every match
    contains one, worth testing with ``in`` (each at least 3 characters, at
    most 40 of them); () when there is no such set."""
    try:
        from re import _parser
        got = _needles_of(_parser.parse(src, 0))
    except Exception:  # pragma: no cover - other Pythons: no prefilter
        return ()
    if got is None or got[0] < 3 or len(got[1]) > 40:
        return ()
    return tuple(sorted(got[1], key=lambda n: (-len(n), n)))


def prefilter(src: str, most: int = 12) -> tuple[str, ...]:
    """Literal strings (of any length) of which every match of ``src``
    contains one, with no string that contains another one of them (it
    would add nothing); () if there is no such set of at most ``most``.

    ``any(n in text for n in prefilter(src))`` is then a cheap test that a
    search of ``text`` may find something (and a sure sign that it cannot
    when it is false): used on the context lists (modifiers.tsv), which are
    searched in every sentence that holds a cue.
    """
    try:
        from re import _parser
        got = _needles_of(_parser.parse(src, 0), classes=True)
    except Exception:  # pragma: no cover - other Pythons: no prefilter
        return ()
    if got is None:
        return ()
    kept: list[str] = []
    for n in sorted(got[1], key=lambda n: (len(n), n)):
        if not any(k in n for k in kept):
            kept.append(n)
    return tuple(kept) if len(kept) <= most else ()


def _compile(src: str, where: str) -> re.Pattern:
    try:
        return fast_compile(relax_doubles(src))
    except re.error as exc:
        raise ValueError(f"{where}: bad regex: {exc}") from exc


def load(directory: Path = LEXICON_DIR) -> Lexicon:
    macros: dict[str, str] = {}
    for lineno, cols in _rows(directory / "macros.tsv"):
        if len(cols) < 2:
            raise ValueError(f"macros.tsv:{lineno}: need name, regex, comment")
        name, src = cols[0].strip(), cols[1].strip()
        macros[name] = _expand(src, macros, f"macros.tsv:{lineno}")

    mod_src: dict[str, list[str]] = {}
    for lineno, cols in _rows(directory / "modifiers.tsv"):
        if len(cols) < 3:
            raise ValueError(f"modifiers.tsv:{lineno}: need name, regex, comment")
        name, src = cols[0].strip(), cols[1].strip()
        mod_src.setdefault(name, []).append(_expand(src, macros, f"modifiers.tsv:{lineno}"))
    modifiers = {name: _compile("|".join(f"(?:{s})" for s in srcs), f"modifiers.tsv:{name}")
                 for name, srcs in mod_src.items()}

    entries: list[Entry] = []
    seen: set[str] = set()
    for path in sorted(directory.glob("cues-*.tsv")):
        for lineno, cols in _rows(path):
            where = f"{path.name}:{lineno}"
            if len(cols) != 9:
                raise ValueError(f"{where}: expected 9 tab-separated columns, got {len(cols)}")
            eid, kind, level, target, flags, anchors, pattern, example, comment = (c.strip() for c in cols)
            if eid in seen:
                raise ValueError(f"{where}: duplicate id {eid}")
            seen.add(eid)
            if kind not in KINDS:
                raise ValueError(f"{where}: unknown kind {kind}")
            flagset = frozenset(f for f in flags.split(",") if f and f != "-")
            if flagset - FLAGS:
                raise ValueError(f"{where}: unknown flags {sorted(flagset - FLAGS)}")
            if target not in ("self", "others", "", "-"):
                raise ValueError(f"{where}: bad target {target}")
            groups = tuple(tuple(a.strip() for a in g.split("|") if a.strip()) for g in anchors.split("&"))
            if not groups or not all(groups):
                raise ValueError(f"{where}: no anchors")
            anchor_list = tuple(a for g in groups for a in g)
            src = _expand(pattern, macros, where)
            compiled = _compile(src, where)
            width = _max_width(compiled)
            entries.append(Entry(
                id=eid, kind=kind, level=int(level), target=(target if target in ("self", "others") else None),
                flags=flagset, anchors=anchor_list, anchor_groups=groups, source=src, regex=compiled,
                example=example, comment=comment, file=path.name,
                full_bits=(1 << len(groups)) - 1, back=min(width, MAX_BACK), ahead=min(width, MAX_AHEAD),
                needles=needles(relax_doubles(src)),
            ))

    direct: dict[str, list[Entry]] = {}
    for e in entries:
        for a in e.anchors:
            direct.setdefault(a, []).append(e)
    stems = sorted(direct)
    by_anchor: dict[str, tuple[Entry, ...]] = {}
    for stem in stems:
        acc: dict[str, Entry] = {}
        for k in range(1, len(stem) + 1):
            for e in direct.get(stem[:k], ()):
                acc[e.id] = e
        by_anchor[stem] = tuple(acc.values())
    anchor_re = re.compile(r"(?<![a-z])" + trie_regex(stems))
    return Lexicon(tuple(entries), by_anchor, anchor_re, modifiers, macros)
