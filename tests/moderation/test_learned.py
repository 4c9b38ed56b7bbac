"""The learned second stage: its file, its reader, and how assess uses it."""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import pytest

from moderation import assess, detector
from moderation.learned import MODEL_PATH, load_model
from moderation.normalise import normalise

ROOT = Path(__file__).resolve().parents[2]
MODEL = load_model()


def test_the_model_ships_and_loads():
    assert MODEL_PATH.is_file()
    assert MODEL is not None and detector.MODEL is not None
    assert 0.5 <= MODEL.threshold < 1.0
    assert MODEL.max_chars >= 200
    assert len(MODEL.idf) > 1000 and set(MODEL.weights) == {"high", "others"}


def test_it_was_trained_on_the_files_in_this_repository_as_they_are():
    """Every training file it names is here, unchanged since training (else
    retrain: python -m moderation.train), and none is held out or shared."""
    files = {k[len("train:"):]: v for k, v in MODEL.meta.items() if k.startswith("train:")}
    assert files, "the model names its training files"
    for rel, digest in files.items():
        path = ROOT / rel
        assert path.is_file(), rel
        assert "heldout" not in path.name and "shared" not in rel, rel
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, f"{rel} changed since training"
    written = ROOT / "tests" / "moderation" / "written"
    for path in sorted(written.glob("dev-*.tsv")) + sorted(written.glob("train-*.tsv")) + \
            sorted(written.glob("everyday-*.tsv")):
        assert str(path.relative_to(ROOT)) in files, f"{path.name} is not in the model: retrain"


def test_reader_builds_a_unit_tfidf_vector_of_known_words_and_pairs():
    text = normalise("I just want to sleep and not wake up. i just want to sleep").text
    vec = MODEL.features(text)
    assert vec and all(f in MODEL.idf for f in vec)
    assert any(" " in f for f in vec), "word pairs are features too"
    assert math.isclose(math.sqrt(sum(v * v for v in vec.values())), 1.0)
    # binary tf: a word said twice counts once
    assert "sleep sleep" not in MODEL.idf
    assert MODEL.features("sleep, sleep") == pytest.approx(MODEL.features("sleep")) == {"sleep": 1.0}
    p = MODEL.probability("high", vec)
    assert 0.0 <= p <= 1.0
    assert MODEL.p_high(text) == pytest.approx(p, abs=1e-12)
    assert MODEL.features("") == {} and MODEL.features("zzqx qqzx") == {}


OBLIQUE = [
    # a person at risk, in words the rules' lists do not hold (today)
    "i keep thinking everyone would be fine if i just stopped existing",
    "honestly I am so done, I've given everything away already",
]


@pytest.mark.parametrize("text", OBLIQUE)
def test_it_reads_oblique_messages_the_rules_miss(text):
    rules = detector._assess(text, None, use_model=False)
    a = assess(text)
    assert a.level >= 2, a.reasons
    if rules.level < 2:
        assert any(r.startswith("learned model") for r in a.reasons), a.reasons
        assert a.spans and all(0 <= s < e <= len(text) for s, e in a.spans)


@pytest.mark.parametrize("text", [
    "morning all, anyone going to the Thursday group?",
    "I think so, yes.",
    "picked up my refill, the pharmacist was lovely for once",
    "my godmother passed in 1994. I think about what her life would be like with today's meds",
    "thanks everyone, see you next week x",
])
def test_everyday_messages_stay_at_zero(text):
    a = assess(text)
    assert a.level == 0, a.reasons


@pytest.mark.parametrize("text", [
    "my friend said she wants to die, how do I help?",
    "I'm not suicidal anymore, just tired of the side effects",
    "two years ago I wanted to die; today I'm undetectable",
])
def test_what_the_rules_set_aside_is_not_overruled(text):
    res = detector._analyse(text)
    assert any(c.why_not for c in res.cues), "the rules read a phrase and set it aside"
    assert not detector._model_may_read(text, res, MODEL.max_chars)
    assert assess(text).level < 2


def test_long_posts_are_left_to_the_rules():
    post = " ".join(["Had my bloods done today and the nurse was lovely."] * 12) + " " + OBLIQUE[0]
    assert len(post) > MODEL.max_chars
    assert not any(r.startswith("learned model") for r in assess(post).reasons)


def test_plan_means_or_timing_with_a_learned_flag_is_level_3():
    text = "honestly I am so done, I've given everything away already. tonight's the night"
    assert detector._assess(text, None, use_model=False).level < 2
    a = assess(text)
    assert a.level == 3, a.reasons


def test_raisers_found_without_a_second_reading_are_the_same():
    """When the model raises a message, _raisers_anywhere reuses the first
    analysis; it must find what a fresh analysis with every raiser finds."""
    import glob
    texts = []
    for path in sorted(glob.glob(str(ROOT / "tests" / "moderation" / "written" / "dev-*.tsv")))[:4]:
        texts += [line.split("\t", 2)[2] for line in Path(path).read_text(encoding="utf-8").splitlines()[1:]
                  if line.strip()]
    texts += ["pills saved. tonight. nobody will miss me", "dying to know!! tablets at 9 tomorrow"]

    def key(cues):
        return sorted((c.entry.id, c.start, c.end) for c in cues)

    for text in texts:
        fresh = detector._analyse(text, want_raisers=True)
        want = [c for c in fresh.cues if c.entry.kind in detector.RAISER_KINDS and c.why_not is None]
        res = detector._analyse(text)
        if res.doc is None:
            assert not want
            continue
        assert key(detector._raisers_anywhere(res)) == key(want), text
