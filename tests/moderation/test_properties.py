"""Property tests: assess never raises and always returns a well-formed result."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moderation import assess

FRAGMENTS = [
    "I want to die", "kill myself", "tonight", "pills", "not", "never", "lol", "jk", "'", '"',
    "k1ll", "m y s e l f", "\u200b", "😭", "my friend", "years ago", "undetectable", "?", ".",
    "I'll kill him", "infect", "on purpose", "rope", "bridge", "goodbye", "aaaaaa", "$", "@",
    "dying to know", "\n", "İ", "ß", "\ud83d", "ｋｉｌｌ",
]

texts = st.one_of(
    st.text(max_size=3000),
    st.lists(st.sampled_from(FRAGMENTS), max_size=60).map(" ".join),
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=20)), max_size=40).map("".join),
)


def _well_formed(a, text):
    assert isinstance(a.level, int) and 0 <= a.level <= 3
    assert a.target in (None, "self", "others")
    assert (a.target is None) == (a.level == 0)
    assert all(isinstance(r, str) for r in a.reasons)
    for s, e in a.spans:
        assert 0 <= s < e <= len(text)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
def test_assess_never_raises(text):
    _well_formed(assess(text), text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts, st.lists(texts, max_size=5))
def test_assess_with_context_never_raises(text, context):
    _well_formed(assess(text, context=context), text)
