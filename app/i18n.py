"""Interface languages (Flask-Babel).

A member's chosen language wins; otherwise the browser's Accept-Language picks among the
shipped languages (nothing else about the browser is read, and nothing is stored for visitors
who are not signed in); otherwise English. The crisis detector is English-only whatever the
interface language (see services.safety and moderation/language.py).

Adding a language: docs/translating.md.
"""

from __future__ import annotations

from functools import lru_cache

import re
from datetime import datetime

from babel import Locale
from babel.dates import format_skeleton
from flask import Flask, request
from flask.globals import _cv_app
from babel.numbers import format_decimal as _babel_format_decimal
from flask_babel import Babel, format_date, format_decimal, format_percent, get_locale, get_translations, gettext
from jinja2 import pass_context
from markupsafe import Markup

# Shipped interface languages: code -> the language's own name (shown in the picker).
LANGUAGES: dict[str, str] = {"en": "English", "fr": "Français"}
DEFAULT_LANGUAGE = "en"

babel = Babel()


def select_locale() -> str:
    from app.services import sessions

    try:
        member = sessions.current_member()
    except RuntimeError:  # outside a request (CLI, background jobs)
        member = None
    chosen = getattr(member, "language", None) if member is not None else None
    if chosen in LANGUAGES:
        return chosen
    if request:
        best = best_accepted(request.accept_languages)
        if best:
            return best
    return DEFAULT_LANGUAGE


def best_accepted(accepted) -> str | None:
    """The shipped language the browser prefers most. Unlike Werkzeug's best_match (which takes
    any exact match first), "fr-CA, en;q=0.5" means French: each tag in the browser's order of
    preference matches exactly or by its primary language."""
    shipped = {code.lower().replace("_", "-"): code for code in LANGUAGES}
    for tag, quality in accepted:  # highest quality first
        if quality <= 0 or not isinstance(tag, str):
            continue
        tag = tag.lower().replace("_", "-")
        if tag in shipped:
            return shipped[tag]
        primary = tag.split("-", 1)[0]
        if primary in shipped:
            return shipped[primary]
    return None


def current_language() -> str:
    """The language of the page being built, as a BCP 47 tag for <html lang>."""
    locale = get_locale()
    return str(locale).replace("_", "-") if locale else DEFAULT_LANGUAGE


# ------------------------------------------------------------------ the hot path
#
# A thread page asks for the locale and the translations ~150 times; Flask-Babel's own
# get_locale()/get_translations() walk its context each time (~5 µs). These read what it already
# cached for the request (and stay right after flask_babel.refresh(), which clears it).

_DEFAULT_LOCALE = Locale.parse("en")


def _babel_ns():
    app_ctx = _cv_app.get(None)
    return None if app_ctx is None else app_ctx.g.__dict__.get("_flask_babel")


# Flask-Babel parses a new Locale for every request; the LRU caches below (dates, numbers) key on
# it, and an equal-but-not-identical key costs a Locale.__eq__ (~1.5 µs, 30 dates a page). So the
# request's locale is swapped, once per request, for the first equal one this process saw.
_CANONICAL_LOCALES: dict[str, Locale] = {}


def fast_locale() -> Locale:
    ns = _babel_ns()
    locale = getattr(ns, "babel_locale", None) if ns is not None else None
    if locale is None:
        locale = get_locale()
        if locale is None:
            return _DEFAULT_LOCALE
        ns = _babel_ns()
        if ns is None or getattr(ns, "babel_locale", None) is not locale:
            return locale
    cached = getattr(ns, "kindred_locale", None)
    if cached is not None and cached[0] is locale:
        return cached[1]
    key = str(locale)
    canonical = _CANONICAL_LOCALES.get(key)
    if canonical is None:
        if len(_CANONICAL_LOCALES) > 100:  # shipped languages only; a bound that is never reached
            _CANONICAL_LOCALES.clear()
        canonical = _CANONICAL_LOCALES[key] = locale
    ns.kindred_locale = (locale, canonical)
    return canonical


def fast_translations():
    ns = _babel_ns()
    if ns is not None:
        locale = getattr(ns, "babel_locale", None)
        cached = getattr(ns, "kindred_translations", None)
        if locale is not None and cached is not None and cached[0] is locale:
            return cached[1]
    translations = get_translations()
    ns = _babel_ns()
    if ns is not None and getattr(ns, "babel_locale", None) is not None:
        ns.kindred_translations = (ns.babel_locale, translations)
    return translations


def per_catalog(name: str, make, translations=None):
    """What `make(translations)` gives, made once per catalog (per language, for the process) and
    kept on the catalog: words, markup and forms that are the same on every page in a language."""
    if translations is None:
        translations = fast_translations()
    attribute = "_kindred_" + name
    try:
        return getattr(translations, attribute)
    except AttributeError:
        value = make(translations)
        setattr(translations, attribute, value)
        return value


def _fixed_words(translations) -> dict:
    """Per catalog: the markup of each text a template translates without values (the same on
    every page, so looked up and escaped once per process)."""
    return per_catalog("fixed_words", lambda _t: {}, translations)


def fixed_markup(msgid: str, translations=None) -> Markup:
    """{{ _(msgid) }} of a text without values, as an autoescaping template gives it (Markup,
    %-formatted): looked up once per catalog."""
    if translations is None:
        translations = fast_translations()
    words = _fixed_words(translations)
    rv = words.get(msgid)
    if rv is None:
        if len(words) > 5000:  # texts come from templates and code: a bound that is never reached
            words.clear()
        rv = words[msgid] = Markup(translations.ugettext(msgid)) % {}
    return rv


@pass_context
def _jinja_gettext(__context, __string: str, **variables):
    """Jinja's newstyle gettext (the same result: translated, Markup under autoescape, always
    %-formatted), in one call rather than three, remembering the texts that take no values."""
    translations = fast_translations()
    if not __context.eval_ctx.autoescape:
        return translations.ugettext(__string) % variables
    if variables:
        return Markup(translations.ugettext(__string)) % variables
    return fixed_markup(__string, translations)


@pass_context
def _jinja_ngettext(__context, __singular: str, __plural: str, __num: int, **variables):
    """Jinja's newstyle ngettext, in one call."""
    variables.setdefault("num", __num)
    rv = fast_translations().ungettext(__singular, __plural, __num)
    if __context.eval_ctx.autoescape:
        rv = Markup(rv)
    return rv % variables


# ------------------------------------------------------------------ dates and numbers

def when_text(value: datetime | None) -> str:
    """A date and time in the page's language, always in UTC and always with the month spelled
    out (no 03/04 ambiguity): "Jan 3, 2026, 14:05 UTC", "3 janv. 2026, 14:05 UTC"."""
    if value is None:
        return ""
    return _when_text(fast_locale(), value.replace(second=0, microsecond=0))


@lru_cache(maxsize=16384)
def _when_text(locale: Locale, value: datetime) -> str:
    # Cached: Babel's formatting costs ~0.2 ms a date, and a thread page shows dozens of them,
    # the same ones on every view (a minute is the finest thing shown).
    day = format_skeleton("yMMMd", value, locale=locale)
    time = format_skeleton("Hm", value, locale=locale)  # 24-hour clock in every language
    pattern = str(locale.datetime_formats.get("medium", "{1}, {0}"))
    return pattern.replace("{1}", day).replace("{0}", time) + " UTC"


def when(value: datetime | None) -> Markup:
    """when_text inside <time datetime="..."> so machines (and the i18n test) see the instant."""
    if value is None:
        return Markup("")
    return _when_markup(fast_locale(), value.replace(microsecond=0))


@lru_cache(maxsize=16384)
def _when_markup(locale: Locale, value: datetime) -> Markup:
    return Markup('<time datetime="{}Z">{}</time>').format(
        value.isoformat(), _when_text(locale, value.replace(second=0)))


def day(value: datetime | None) -> Markup:
    """A date in the page's language ("Jan 3, 2026", "3 janv. 2026")."""
    if value is None:
        return Markup("")
    return Markup('<time datetime="{}">{}</time>').format(value.date().isoformat(),
                                                          format_date(value, "medium"))


def clock(value: datetime | None) -> str:
    """A 24-hour UTC time of day, the same in every language here ("18:30")."""
    return value.strftime("%H:%M") if value is not None else ""


def number(value) -> str:
    """A number in the page's language (1,234 / 1 234)."""
    if value is None:
        return ""
    if type(value) is int:  # counts: the same few values on every page (Babel takes ~10 µs each)
        return _int_text(fast_locale(), value)
    return format_decimal(value)


@lru_cache(maxsize=16384)
def _int_text(locale: Locale, value: int) -> str:
    return _babel_format_decimal(value, locale=locale)


# ------------------------------------------------------------------ words stored in the database
#
# A few texts are written once and read later by people who may use other languages: system
# lines in a live room (one line, every reader), notifications, the names of private rooms.
# They are stored in English, made only from the message ids registered here, and translated
# when shown: `translate_stored` recognises the message id (and its %(name)s values) in the
# stored text. Values (pseudonyms, titles, reasons) stay as they were written.


@lru_cache(maxsize=1)
def alias_words() -> tuple[str, ...]:
    """The word before the number in "Anonymous N", in every shipped language ("anonymous",
    "anonyme"): pseudonyms may not start with one, so no member can pass for an alias."""
    from pathlib import Path

    from babel.support import Translations

    folder = Path(__file__).parent / "translations"
    words = {"anonymous"}
    for code in LANGUAGES:
        label = Translations.load(str(folder), [code]).gettext("Anonymous %(num)s")
        word = label.split("%(num)s")[0].strip().casefold()
        if word:
            words.add(word)
    return tuple(sorted(words))


def N_(message: str) -> str:
    """Mark a message id for extraction without translating it (it is stored in English)."""
    return message


_stored: dict[str, re.Pattern[str]] = {}
_groups: dict[str, list[str]] = {}


def register_stored(*message_ids: str, group: str = "") -> None:
    """Register message ids stored in English; `group` names a set a page script needs
    ("chat": live-room system lines)."""
    for msgid in message_ids:
        if group:
            _groups.setdefault(group, []).append(msgid)
        parts = re.split(r"%\((\w+)\)s", msgid)
        pattern = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(parts))
        _stored[msgid] = re.compile(pattern, re.DOTALL)


def stored(msgid: str, **params: object) -> str:
    """The English text to store for a registered message id."""
    if msgid not in _stored:
        raise KeyError(f"not a registered stored message: {msgid!r}")
    return msgid % params if params else msgid


def parse_stored(text: str | None) -> tuple[str, dict[str, str]] | None:
    """(message id, values) when `text` was made by `stored`, else None."""
    if not text:
        return None
    if text in _stored:
        return text, {}
    # Longest ids first: the most specific pattern wins.
    for msgid in sorted(_stored, key=len, reverse=True):
        m = _stored[msgid].fullmatch(text)
        if m:
            return msgid, m.groupdict()
    return None


def translate_stored(text: str | None) -> str:
    """A stored English text in the reader's language (unknown texts are returned as they are)."""
    parsed = parse_stored(text)
    if parsed is None:
        return text or ""
    msgid, params = parsed
    return gettext(msgid, **params) if params else gettext(msgid)


def stored_catalog(group: str) -> dict[str, str]:
    """A group's message ids and their translations, for a page script (the live room's)."""
    return {msgid: gettext(msgid) for msgid in _groups.get(group, ())}


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "UTC")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(app.root_path + "/translations"))
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.install_gettext_callables(  # Flask-Babel's, through the fast path above
        gettext=lambda s: fast_translations().ugettext(s),
        ngettext=lambda s, p, n: fast_translations().ungettext(s, p, n),
        pgettext=lambda c, s: fast_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: fast_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    # The two the pages call dozens of times, without Jinja's three layers of wrappers.
    app.jinja_env.globals.update(gettext=_jinja_gettext, _=_jinja_gettext, ngettext=_jinja_ngettext)
    # {% trans %} blocks collapse their whitespace, so msgids don't depend on indentation
    # (babel.cfg extracts them the same way).
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.jinja_env.filters["when"] = when
    app.jinja_env.filters["day"] = day
    app.jinja_env.filters["clock"] = clock
    app.jinja_env.filters["number"] = number
    app.jinja_env.filters["stored"] = translate_stored
    app.jinja_env.globals["format_decimal"] = format_decimal
    app.jinja_env.globals["format_percent"] = format_percent
    app.jinja_env.globals["current_language"] = current_language
    app.jinja_env.globals["LANGUAGES"] = LANGUAGES

