"""The lexicon files load, every entry is documented and matches its example."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moderation.detector import LEXICON
from moderation.loader import KINDS, relax_doubles, trie_regex
from moderation.normalise import normalise


@pytest.mark.parametrize("entry", LEXICON.entries, ids=lambda e: e.id)
def test_entry_is_documented_and_matches_its_example(entry):
    assert entry.kind in KINDS
    assert 0 <= entry.level <= 3
    assert entry.comment, "every entry needs a comment"
    assert entry.example, "every entry needs an example"
    text = normalise(entry.example).text
    assert entry.regex.search(text), f"{entry.id}: pattern does not match its example"
    for group in entry.anchor_groups:
        starts = [a.rstrip("$") for a in group]
        words = re.findall(r"[a-z0-9']+", text)
        assert any(w.startswith(s) for w in words for s in starts), \
            f"{entry.id}: none of the anchors {group} occurs in the example"


@pytest.mark.parametrize("entry", [e for e in LEXICON.entries if e.kind not in ("benign",) and e.level >= 2],
                         ids=lambda e: e.id)
def test_high_entries_raise_their_example(entry):
    from moderation import assess
    a = assess(entry.example)
    assert a.level >= 2, (entry.id, a.reasons)


def test_relax_doubles():
    assert relax_doubles("kill") == "kill?"
    assert re.fullmatch(relax_doubles(r"\bkill(?:ing)?\b"), "kiling")
    assert relax_doubles(r"[ll]\d{2}(?:x)") == r"[ll]\d{2}(?:x)"


def test_trie_regex_finds_longest_and_whole_words():
    rx = re.compile(r"(?<![a-z])" + trie_regex(["kil", "killing", "sh$", "self"]))
    assert [m.group() for m in rx.finditer("killing kills she sh self")] == ["killing", "kil", "sh", "self"]


@pytest.mark.parametrize("raw,norm", [
    ("I WANT", "i want"),
    ("k1ll", "kill"),
    ("d13", "die"),
    ("$uicide", "suicide"),
    ("soooo", "so"),
    ("k\u200bill", "kill"),
    ("kіll", "kill"),
    ("I’m", "i'm"),
    ("k*ll", "kill"),
    ("28 days 500mg", "28 days 500mg"),
])
def test_normalise(raw, norm):
    assert normalise(raw).text == norm


@pytest.mark.parametrize("raw,norm", [
    ("she has cd4 of 500 and k1ll3d it", "she has cda of 500 and killed it"),
    ("d13 d13 d13", "die die die"),
    ("$uicide at the end k1ll", "suicide at the end kill"),
])
def test_normalise_undoes_leetspeak_anywhere_in_a_long_text(raw, norm):
    pad = "viral load undetectable. " * 30
    assert normalise(pad + raw + " " + pad).text == pad + norm + " " + pad


def _plain_has_triple(t: str) -> bool:
    return any(c * 3 in t for c in "aeiouylsh")


@given(st.text(alphabet="aelsbz .\x00\x7f", max_size=900), st.integers(0, 900))
@settings(max_examples=400, deadline=None)
def test_one_pass_triple_check_agrees_with_nine_searches(text, at):
    """normalise._has_triple (integer arithmetic over the bytes of a long
    text) must say what nine substring searches say."""
    from moderation.normalise import _has_triple
    pad = "a e l s b z " * 40  # long enough for the one-pass check
    for t in (text, pad + text, text + pad, pad[:at] + "sss" + pad[at:], "eee" + pad, pad + "lll",
              pad.replace("e", "ee"), "\x00" * 500):
        assert _has_triple(t) == _plain_has_triple(t), t


def test_normalise_maps_back_to_the_original():
    raw = "Ok… I\u200b waaaant"
    n = normalise(raw)
    i = n.text.index("want")
    s, e = n.to_original(i, i + 4)
    assert raw[s:e] == "waaaant"


def test_fast_compile_matches_plain_re():
    """loader.fast_compile regroups alternations; it must find exactly what re.compile finds."""
    from pathlib import Path

    from moderation.loader import fast_compile
    texts = [e.example for e in LEXICON.entries]
    cases = Path(__file__).resolve().parent / "cases.tsv"
    texts += [line.split("\t", 2)[2] for line in cases.read_text(encoding="utf-8").splitlines()[1:] if line.strip()]
    # and a share of the written sets: long, oblique, misspelt text
    for path in sorted((Path(__file__).resolve().parent / "written").glob("*.tsv"))[::2]:
        rows = path.read_text(encoding="utf-8").splitlines()[1::7]
        texts += [row.split("\t", 2)[2] for row in rows if row.count("\t") >= 2]
    texts = [normalise(t).text for t in texts]
    patterns = [e.source for e in LEXICON.entries] + [rx.pattern for rx in LEXICON.modifiers.values()]
    for src in patterns:
        plain, fast = re.compile(relax_doubles(src)), fast_compile(relax_doubles(src))
        for t in texts:
            assert [m.span() for m in plain.finditer(t)] == [m.span() for m in fast.finditer(t)], src[:80]


def test_any_order_compile_starts_matches_where_plain_re_does():
    """fast_compile(any_order=True) may try alternatives in any order: a match
    must still start at exactly the positions where plain re finds one."""
    from pathlib import Path

    from moderation.loader import fast_compile
    cases = Path(__file__).resolve().parent / "cases.tsv"
    texts = [line.split("\t", 2)[2] for line in cases.read_text(encoding="utf-8").splitlines()[1:] if line.strip()]
    texts = [normalise(t).text for t in texts] + [
        "so glad i'm still here", "glad i'm still here", "i'm fine now", "im ok now", "six months on art",
        "12 years on meds", "see you all next week", "see ya at group", "back tomorrow x", "xback tomorrow",
    ]
    checked = 0
    for name, rx in LEXICON.modifiers.items():
        plain, fast = re.compile(rx.pattern), fast_compile(rx.pattern, any_order=True)
        for t in texts:
            starts = [i for i in range(len(t) + 1) if plain.match(t, i)]
            assert starts == [i for i in range(len(t) + 1) if fast.match(t, i)], (name, t[:60])
            checked += len(starts)
    assert checked > 500


def test_needles_are_in_every_match():
    """Entry.needles lets the detector skip a regex when none of them is in the
    window; that is only safe if every match contains one of them."""
    from pathlib import Path

    cases = Path(__file__).resolve().parent / "cases.tsv"
    texts = [e.example for e in LEXICON.entries]
    texts += [line.split("\t", 2)[2] for line in cases.read_text(encoding="utf-8").splitlines()[1:] if line.strip()]
    texts = [normalise(t).text for t in texts]
    checked = 0
    for e in LEXICON.entries:
        if not e.needles:
            continue
        for t in texts:
            for m in e.regex.finditer(t):
                assert any(n in m.group() for n in e.needles), (e.id, m.group())
                checked += 1
    assert checked > 100


def test_modifier_prefilters_are_in_every_match():
    """detector._search skips a context list when none of its prefilter strings
    is in the text; that is only safe if every match contains one of them."""
    from pathlib import Path

    from moderation.detector import _QUICK
    from moderation.loader import prefilter

    assert prefilter(r"\b(?:jk|just kidding|kidding)\b|/s") == ("/s", "jk", "kidding")
    assert prefilter(r"\bsong\b|[\u266a\u266b]") == ("\u266a", "\u266b", "song")
    assert prefilter(r"\b\w+\b") == ()
    cases = Path(__file__).resolve().parent / "cases.tsv"
    texts = [line.split("\t", 2)[2] for line in cases.read_text(encoding="utf-8").splitlines()[1:] if line.strip()]
    texts += ["i'm kidding lol", "jk jk", "/s", "obviously not serious haha", "not literally", "\u266a la \u266b"]
    texts = [normalise(t).text for t in texts]
    checked = 0
    for name, needles in _QUICK.items():
        for t in texts:
            for m in LEXICON.modifiers[name].finditer(t):
                assert any(n in m.group() for n in needles), (name, m.group())
                checked += 1
    assert checked > 20


def test_every_anchor_is_found_whole():
    """No anchor hides a longer one: a whole-word anchor "can$" once made the
    scan read "can't" as "can" (the apostrophe is not a letter), so every
    "can't ..." entry silently stopped being tried."""
    hidden = []
    for key in LEXICON.by_anchor:
        stem = key.rstrip("$")
        m = LEXICON.anchor_re.match(stem)
        if m is None or m.group() != stem:
            hidden.append((stem, m.group() if m else None))
    assert not hidden, hidden


def test_no_unbounded_lookahead():
    """A cue is tried only in a window around its anchors (loader.MAX_AHEAD), so a
    look-ahead that reads to the end of the sentence silently sees only the window:
    write the context as a bounded part of the match instead ([^.!?]{0,60}?...)."""
    bad = [e.id for e in LEXICON.entries if "(?=[^.!?]*" in e.source or "(?=.*" in e.source]
    assert not bad, bad
