"""Is this text English? The crisis detector reads English only, so the app needs to know when a
post or chat line was written in a language nobody has assessed (services.safety).

A small standard-library heuristic, no model and no network:
- text mostly in a non-Latin script (Arabic, Cyrillic, Devanagari, CJK, Ethiopic...) is not English;
- otherwise, count common function words ("the", "and", "I'm"...) of English against those of
  the other languages Kindred's members most often write in (French, Portuguese, Spanish,
  Italian, German, Dutch, Swahili). Function words are what every sentence is made of, so a few
  of them decide reliably; topic words (HIV, PrEP, CD4) are the same in every language and are
  ignored.

Doubt counts as English, so the text is still assessed: short texts, URLs, emoji, numbers, or
text with no function words of any language. Only clear evidence of another language makes a
text "not assessed".
"""

from __future__ import annotations

import re
import unicodedata

# Fewer letters than this: too little to tell (and "ok", "merci", "thanks!" need no screening
# by language; the detector still reads them).
MIN_LETTERS = 12
MIN_WORDS = 3

ENGLISH = frozenset("""
a about after again all also am an and any are aren't as at be because been before being but by
can can't could couldn't did didn't do does doesn't don't down even ever every for from get got
had hadn't has hasn't have haven't he he's her here him his how i i'd i'll i'm i've if in into is
isn't it it's its just know like me more most my myself never no not now of off on once only or
other our out over please really she should shouldn't so some still such than that that's the
their them then there there's these they they're this those through to too under until up very
was wasn't we we're were weren't what what's when where which while who why will with won't would
wouldn't you you're your yours yourself anyone someone something nothing feel feeling want going
""".split())

OTHER = {
    "fr": """
        je tu il elle nous vous ils elles le la les un une des du et est sont suis es être avoir ai
        avec pour dans sur pas ne ce cette ces mon ma mes ton ta tes son sa ses leur leurs qui que quoi
        mais ou où donc car très plus moins aussi tout tous toute toutes rien personne j'ai c'est
        n'est je suis suis fait faire peux veux dois comme quand parce pourquoi comment déjà encore
        toujours jamais moi toi lui eux y en au aux ça cela j'en d'un d'une qu'il qu'on l'on merci
        bonjour salut""",
    "pt": """
        eu tu ele ela nós vós eles elas o os um uma uns umas e é são sou estou está estão com para
        por em na no nas nos não que mas ou muito mais menos também tudo todos nada ninguém meu minha
        meus minhas seu sua seus suas dele dela isso isto aquilo quando porque porquê como já ainda
        sempre nunca mim você vocês da do das dos ao aos pelo pela tenho tem ter fazer posso quero
        obrigado obrigada olá""",
    "es": """
        yo tú él ella nosotros vosotros ellos ellas el los las un una unos unas y es son soy estoy
        está están con para por en que pero muy más menos también todo todos nada nadie mi mis tu
        tus su sus esto eso cuando porque cómo como ya todavía siempre nunca mí usted ustedes del al
        tengo tiene tener hacer puedo quiero gracias hola pero qué""",
    "it": """
        io tu lui lei noi voi loro il lo la gli le un uno una e è sono sei siamo con per che ma
        molto più meno anche tutto tutti niente nessuno mio mia miei mie tuo tua suo sua questo
        quello quando perché come già ancora sempre mai mi ti ci si del della dei delle nel nella
        ho hai ha abbiamo fare posso voglio grazie ciao non""",
    "de": """
        ich du er sie wir ihr der die das den dem des ein eine einen einem einer und ist sind bin
        bist mit für auf nicht kein keine aber oder sehr mehr weniger auch alles alle nichts niemand
        mein meine dein deine sein seine ihre dieser diese dieses wenn weil wie schon noch immer nie
        mich dich mir dir uns euch habe hast hat haben machen kann will danke hallo ja nein""",
    "nl": """
        ik jij je hij zij wij jullie het een en zijn ben bent met voor op niet geen maar of heel
        meer minder ook alles allemaal niets niemand mijn jouw zijn haar onze deze dit wanneer
        omdat hoe al nog altijd nooit mij jou ons heb heeft hebben doen kan wil dank hallo ja nee""",
    "sw": """
        mimi wewe yeye sisi nyinyi wao na ni kwa katika lakini au sana zaidi pia kila yote hakuna
        wangu wako wake wetu wenu wao hii hiyo huyu kwamba kama bado sasa tena siku nina una ana
        tuna mna wana kufanya naweza nataka asante habari ndiyo hapana sijui nimechoka""",
}

# Words of another language that are also common English words ("a", "in", "me", "no", "on"...)
# prove nothing: only words that are not English count.
_OTHER = {lang: frozenset(words.split()) - ENGLISH for lang, words in OTHER.items()}

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_HANDLE = re.compile(r"[@#][\w.-]+")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")


def _is_latin(ch: str) -> bool:
    try:
        return unicodedata.name(ch).startswith("LATIN")
    except ValueError:
        return False


def looks_english(text: str | None) -> bool:
    """True when the text is English or too short or unclear to tell (it is then assessed);
    False only when it is clearly written in another language or script."""
    if not text:
        return True
    text = _HANDLE.sub(" ", _URL.sub(" ", str(text)[:20_000]))
    letters = [ch for ch in text if ch.isalpha()]
    if len(letters) < MIN_LETTERS:
        return True
    non_latin = sum(1 for ch in letters if not _is_latin(ch))
    if non_latin > len(letters) / 2:
        return False
    words = [w.replace("’", "'") for w in _WORD.findall(text.casefold())]
    if len(words) < MIN_WORDS:
        return True
    english = sum(1 for w in words if w in ENGLISH)
    other = max(sum(1 for w in words if w in vocabulary) for vocabulary in _OTHER.values())
    # Another language wins only with clear evidence: at least two of its function words and
    # more than English has (mixed messages with as much English as not are assessed).
    return not (other >= 2 and other > english)
