"""Behaviour of moderation.assess, one real sentence per case."""

from __future__ import annotations

import dataclasses
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from moderation import Assessment, assess

CASES = Path(__file__).resolve().parent / "cases.tsv"


def _cases():
    rows = []
    with CASES.open(encoding="utf-8") as fh:
        next(fh)
        for line in fh:
            line = line.rstrip("\n")
            if line.strip():
                level, target, text = line.split("\t", 2)
                rows.append(pytest.param(int(level), target or None, text, id=text[:50]))
    return rows


@pytest.mark.parametrize("level,target,text", _cases())
def test_cases_tsv(level, target, text):
    a = assess(text)
    assert (a.level, a.target) == (level, target), a.reasons


def check(text, level, target):
    a = assess(text)
    assert (a.level, a.target) == (level, target), (text, a.reasons)


@pytest.mark.parametrize("text", [
    "I want to die",
    "everyone would be better off without me",
    "I won't be around much longer",
    "Goodbye everyone, thank you for everything.",
    "I've been giving away my things, I won't need them soon.",
    "how many of my pills would it take to not wake up",
    "I don't want to live anymore",
    "I just wish I could sleep forever and never wake up",
])
def test_direct_and_indirect_ideation_is_level_2_or_more(text):
    a = assess(text)
    assert a.level >= 2 and a.target == "self", a.reasons


@pytest.mark.parametrize("text", [
    "I've saved up pills for weeks and I want to die.",
    "I want to end my life, I'm going to the bridge tonight.",
    "I've got a rope and I want to kill myself.",
    "After the appointment tomorrow I'm going to kill myself.",
    "i've taken the whole packet of my tablets",
])
def test_plan_means_and_timing_raise_to_3(text):
    check(text, 3, "self")


@pytest.mark.parametrize("text,level", [
    ("I've stopped taking my ARVs on purpose so I can die.", 2),
    ("I'm going to let the virus take me.", 2),
    ("Been saving my HIV meds, I've got two months' worth stashed.", 2),
    ("I've stopped my meds so HIV can kill me and I want it over by Friday.", 3),
])
def test_hiv_specific_danger(text, level):
    check(text, level, "self")


@pytest.mark.parametrize("text,level", [
    ("I'm going to infect him on purpose, he deserves it.", 2),
    ("I'm going to stab my flatmate.", 2),
    ("I'll kill that doctor for what he did.", 2),
    ("I've got a knife and I'm going round to his house tonight to kill him.", 3),
])
def test_harm_to_others(text, level):
    check(text, level, "others")


@pytest.mark.parametrize("text", [
    "I'm not suicidal anymore.",
    "I would never kill myself, I love my life.",
    "Two years ago I wanted to die; today I'm undetectable and happy.",
    "I used to cut myself, but I've been free of it for years. It gets better.",
    "My friend said she wants to die, how do I help?",
    "He told me he wants to kill himself. What do I do?",
    "What are the warning signs that someone is suicidal?",
    "My girlfriend said 'I want to die' when she saw the bill, lol.",
    "I'm dying to know what you thought.",
    "You're killing it!",
    "I'd kill for a coffee.",
    "My meds are killing the virus.",
    "PEP saved my life.",
    "The side effects almost killed me but I'm fine now.",
    "In the song she sings 'I want to die young' and I love it.",
    "Suicide prevention training is on Tuesday.",
    "I'm scared I might pass HIV to my partner, how likely is it?",
    "I'm going to kill this presentation tomorrow.",
])
def test_not_flagged(text):
    a = assess(text)
    assert a.level == 0 and a.target is None, a.reasons


@pytest.mark.parametrize("text", [
    "i want to dye",
    "I WANT TO DIE",
    "i wnat to die",
    "i want 2 die",
    "i want to diiiiie",
    "k1ll mys3lf",
    "kms",
    "i want to unalive myself",
    "thinking about ctb",
    "i want to k*ll myself",
    "I want\u200b to die",          # zero-width space
    "I want to dіe",                # Cyrillic i
    "iwanttodie but with spaces: i want to die",
    "im going to kill my self",
])
def test_misspelling_caps_leet_and_abbreviations(text):
    a = assess(text)
    assert a.level >= 2 and a.target == "self", a.reasons


def test_spans_point_into_the_original_text():
    text = "😭😭 ok so… I waaaant to diiiie tonight"
    a = assess(text)
    assert a.level == 3
    covered = " ".join(text[s:e] for s, e in a.spans)
    assert "waaaant to diiiie" in covered
    assert "tonight" in covered
    for s, e in a.spans:
        assert 0 <= s < e <= len(text)


def test_reasons_name_the_plan():
    a = assess("I'm going to kill myself tonight")
    assert any(r.startswith("plan: timing") and "tonight" in r for r in a.reasons)


def test_assessment_is_frozen():
    a = assess("I want to die")
    assert isinstance(a, Assessment)
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.level = 0  # type: ignore[misc]


@pytest.mark.parametrize("text", [
    "", " ", "\x00\x01\x02", "\ud800 lone surrogate", "🙂" * 1000, "مرحبا بالعالم", "死にたい",
    "Ｉ　ｗａｎｔ　ｔｏ　ｄｉｅ", "\n" * 5000, "a" * 100_000, "'" * 3000 + '"' * 3000, "k*" * 5000,
])
def test_never_raises_on_odd_input(text):
    a = assess(text)
    assert 0 <= a.level <= 3
    for s, e in a.spans:
        assert 0 <= s < e <= len(text)


def test_non_str_input_is_handled():
    assert assess(None).level == 0  # type: ignore[arg-type]
    assert assess(b"I want to die").level == 2  # type: ignore[arg-type]


def test_long_input_is_capped_and_says_so():
    padding = "We talked about the weather and the bus timetable. " * 2000
    text = padding + "I want to die tonight."
    a = assess(text)
    assert a.level == 3  # the end of a long post is still read
    assert any("long input" in r for r in a.reasons)
    s, e = a.spans[0]
    assert text[s:e].lower().startswith("want to die")


def test_same_result_from_many_threads():
    texts = [p.values[2] for p in _cases()]
    expected = [assess(t) for t in texts]
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(assess, texts * 3))
    assert got == expected * 3


# --- context: recent lines by the same writer, oldest first ---

def test_mild_line_after_level_2_stays_elevated():
    a = assess("anyway whatever", context=["I want to die", "nobody would care"])
    assert (a.level, a.target) == (2, "self")
    assert any("context" in r for r in a.reasons)


def test_timing_after_recent_ideation_is_level_3():
    a = assess("probably tonight", context=["I keep thinking about killing myself"])
    assert (a.level, a.target) == (3, "self")


def test_context_threat_keeps_target_others():
    a = assess("he knows what he did", context=["I'm going to kill my ex"])
    assert (a.level, a.target) == (2, "others")


def test_benign_context_changes_nothing():
    assert assess("anyway whatever", context=["lol my phone died", "PEP saved my life"]).level == 0


def test_recovery_story_in_context_changes_nothing():
    ctx = ["Years ago I wanted to die. Now I'm doing well and undetectable."]
    assert assess("thanks for listening", context=ctx).level == 0


def test_context_does_not_lower_a_high_line():
    a = assess("I have the pills in front of me", context=["feeling better today"])
    assert a.level == 3


def test_bad_context_values_are_ignored():
    assert assess("hello", context=[None, 5, b"bytes"]).level == 0  # type: ignore[list-item]
    assert assess("hello", context="I want to die").level == 2


def test_context_level_3_then_distress_stays_3():
    a = assess("I'm so scared", context=["I have the pills in front of me right now"])
    assert (a.level, a.target) == (3, "self")
    assert any("recent level 3" in r for r in a.reasons)


def test_context_only_the_last_ten_lines_count():
    # oldest first: the ideation line is 11 lines back, so it has dropped out
    assert assess("anyway", context=["I want to die"] + ["had lunch"] * 10).level == 0
    assert assess("anyway", context=["had lunch"] * 9 + ["I want to die"]).level == 2


@pytest.mark.parametrize("context", [
    ("I want to die",),
    ["i cant do this anymore"],
    (line for line in ["I tried to end it in the spring and part of me still wants to"]),
])
def test_context_accepts_any_sequence_of_lines(context):
    a = assess("ok whatever", context=context)
    assert (a.level, a.target) == (2, "self"), a.reasons


def test_context_marked_joke_does_not_elevate():
    assert assess("anyway", context=["I want to die jk"]).level == 0


def test_context_timing_after_new_pattern_is_level_3_with_spans_in_current_text():
    text = "tomorrow after work"
    a = assess(text, context=["i cant do this anymore"])
    assert (a.level, a.target) == (3, "self")
    assert a.spans and all(0 <= s < e <= len(text) for s, e in a.spans)
    assert "tomorrow" in [text[s:e] for s, e in a.spans]


def test_empty_context_changes_nothing():
    for ctx in (None, [], (), ""):
        assert assess("thanks everyone", context=ctx).level == 0


def test_one_pass_and_trigger_prefilter_find_the_same_cues_as_a_full_scan():
    """_find_phase1 (sentence ends and anchors in one pass) and the trigger
    prefilter of _find are shortcuts: every sentence scanned gives the same cues."""
    from moderation import detector
    texts = [p.values[2] for p in _cases()]
    # edges of the one-pass scan: an anchor at the very start, right after a
    # sentence end, after digits ("15": anchors "1" and "5"), only punctuation
    texts += ["want to die", ".want to die", "took 15 pills.took 40 tablets", "!!!", "", "a",
              "i took 150 of my pills\n\nwant to die?!want to die", "x9 pills 1 2 3 tonight.."]
    texts.append(" ".join(texts))  # one long post of many sentences
    for text in texts:
        def ids(cues):
            return [(c.entry.id, c.start, c.end, c.sent) for c in cues]
        full, trig, one, plain = [], [], [], []
        detector._find(detector._Doc(text, lambda p: p), detector._ANCHOR1, detector._PHASE1, full)
        # the plain lookbehind scan (a pattern _find has no shortcut for)
        detector._find(detector._Doc(text, lambda p: p), re.compile(detector._ANCHOR1.pattern),
                       detector._PHASE1, plain)
        assert ids(full) == ids(plain), text[:80]
        detector._find(detector._Doc(text, lambda p: p), detector._ANCHOR1, detector._PHASE1, trig,
                       trigger_re=detector._TRIGGER1)
        doc = detector._Doc(text, lambda p: p)
        detector._find_phase1(doc, one)
        assert ids(one) == ids(full) == ids(trig), text[:80]
        assert doc.ends == [m.end() for m in detector._SENT_RE.finditer(doc.t)]


def test_fast_whole_post_searches_agree_with_plain_search():
    """_Doc.recovery and _Doc.not_goodbye look for a non-word character before
    each candidate (a shortcut for re's search loop); they must answer as
    RECOVERY.search and NOT_GOODBYE.search do."""
    from moderation import detector
    from moderation.normalise import normalise
    texts = [p.values[2] for p in _cases()] + [
        "today i'm fine", "xtoday i'm fine", "...now i'm ok", "survivor", "a survivors' group",
        "it gets better", "it gets betterment", "_survived", "9survived", "i've been there.", "",
        "years ago i wanted to die. today i'm undetectable", "I'm here for you!!", "hang in there\n",
        "see you next week", "xsee you next week", "back tomorrow", "(back tomorrow)", "for sale: ps5",
        "bye everyone. moving house next week", "merry xmas all", "happy new year!",
    ]
    texts.append(" ".join(texts))
    import re
    recovery, not_goodbye = re.compile(detector._MOD["RECOVERY"].pattern), re.compile(detector._MOD["NOT_GOODBYE"].pattern)
    for text in texts:
        for t in (normalise(text).text, text):
            doc = detector._Doc("", lambda p: p)
            doc.t = t
            assert doc.recovery == (recovery.search(t) is not None), t[:80]
            assert doc.not_goodbye == (not_goodbye.search(t) is not None), t[:80]


@pytest.mark.parametrize("text,level", [
    ("honestly what's the point anymore", 2),
    ("I can't keep doing this.", 2),
    ("I relapsed and cut again last night", 2),
    ("I have a noose ready", 3),  # an existing imminent-danger row
    ("I've got a rope in my wardrobe and I'm doing it tonight", 3),
    ("thought about jumping off the car park roof", 3),
    ("I hate being alive", 2),
    ("I've written my note", 2),
    ("I'm saying goodbye.", 2),
    ("I don't think I'll be here much longer", 2),
    ("suicidal again tonight", 3),  # timing in the same sentence raises
    ("I'm going to take all my pills", 2),
    ("there's no reason for me to live anymore", 2),
    ("death seems like the only option", 2),
])
def test_indirect_phrasings_second_review(text, level):
    a = assess(text)
    assert (a.level, a.target) == (level, "self"), (text, a)


@pytest.mark.parametrize("text", [
    "what's the point of the gym if you don't eat well",
    "I can't keep doing this commute every day",
    "I bought some rope for the tent",
    "thinking about jumping in the pool later",
    "You seem suicidal again, please call your therapist",
    "I'm going to take all my meds with food from now on",
    "I left a note for the teacher",
    "I'll kill him /s",
    "I would die of embarrassment",
])
def test_look_alikes_second_review(text):
    assert assess(text).level == 0, (text, assess(text))


def test_cached_plans_are_not_watched_by_the_garbage_collector():
    """The plan cache holds up to 8,192 plans per phase; made of ints only,
    they drop out of the collector's sight, so a full collection in a busy
    server does not walk tens of thousands of tuples (a 13 ms pause)."""
    import gc

    from moderation import detector
    plan_for = detector._PLANS[id(detector._PHASE1)]
    plan = plan_for(("want", "die"))
    assert plan and all(isinstance(eno, int) and all(isinstance(k, int) for k in idx) for eno, idx in plan)
    assert {detector._ENTRIES[eno].id for eno, _ in plan} >= {"want_die"}
    for _ in range(3):
        gc.collect()
    assert not gc.is_tracked(plan)
