"""The posts of a thread page and the threads of a category page, written out in Python.

This is the forum's hottest markup: thirty articles a page, each with a dozen conditions, and
for members a reactions form and a list of actions. Jinja spent about 14 µs an article
(anonymous) and over 40 µs (member) on attribute lookups, escaping and yields; the same markup
built here costs a fraction of that. Everything that comes from people is escaped with
markupsafe.escape (`_e`); the post bodies are HTML sanitised at write time (as `|safe` was);
words are the catalog's, as Jinja's autoescaping gettext gives them (Markup).

The markup is the one templates/forums/thread.html had (kept byte for byte); change it here.
"""

from __future__ import annotations

from flask import url_for
from markupsafe import Markup
from markupsafe import escape as _e

from app.i18n import N_, fast_translations, fixed_markup, number, per_catalog, when

# Words shown on every post, looked up once per catalog (Markup, like {{ _('...') }}).
_WORDS = {
    "link": N_("Link to this post"), "edited": N_("(edited)"), "new": N_("new"),
    "held": N_("waiting for a moderator"), "deleted": N_("This post was deleted."),
    "hidden": N_("Hidden by the moderators."), "select": N_("(select to read)"), "quote": N_("Quote"),
    "bookmark": N_("Bookmark"), "unbookmark": N_("Remove bookmark"), "edit": N_("Edit"),
    "delete": N_("Delete"), "confirm_delete": N_("Delete this post for good?"), "report": N_("Report"),
    "worried": N_("I'm worried about them"), "support": N_("I'd like support"),
    "not_assessed": N_("language not assessed"),
    # staff and admins only
    "release": N_("Release"), "restore": N_("Restore"), "hide": N_("Hide"), "remove": N_("Remove"),
    "history": N_("Edit history"), "reveal": N_("Reveal writer"),
}


def _words() -> dict[str, Markup]:
    return per_catalog("post_words", lambda t: {k: fixed_markup(msgid, t) for k, msgid in _WORDS.items()})


def render_posts(posts, *, thread, me, staff: bool, is_admin: bool, reactions: dict[str, Markup],
                 csrf: str | None) -> Markup:
    """The <article> of each PostView in posts, for this reader (me: the signed-in member or None;
    staff and is_admin: what they may do; csrf: the page's token, for members' forms)."""
    w = _words()
    out: list[str] = []
    add = out.append
    service_card = None
    if me:
        # A member's forms and actions, made once a page: per post only the id and the counts vary.
        token = _e(csrf)
        quote_ok = not thread.locked
        quote_prefix = f'<li><a href="/t/{_e(thread.id)}/reply?quote='
        react_rest = f'/react" class="reactions">\n        <input type="hidden" name="csrf_token" value="{token}">'
        buttons = [(kind, f'\n        <button type="submit" name="kind" value="{kind}" class="reaction" '
                          f'aria-pressed="false">{label}',
                    f'\n        <button type="submit" name="kind" value="{kind}" class="reaction on" '
                    f'aria-pressed="true">{label}') for kind, label in reactions.items()]
        bookmark_rest = (f'/bookmark" class="inline-form"><input type="hidden" name="csrf_token" value="{token}">'
                         f'<button type="submit" class="link-button">')
        bookmark_done = (f'{bookmark_rest}{w["unbookmark"]}</button></form></li>', f'{bookmark_rest}{w["bookmark"]}'
                         f'</button></form></li>')
        own_support = f'">{w["edit"]}</a></li>\n        <li><a href="/support">{w["support"]}</a></li>\n        <li><form method="post" action="/p/'
        own_rest = (f'/delete" class="inline-form confirm" data-confirm="{w["confirm_delete"]}"><input type="hidden" '
                    f'name="csrf_token" value="{token}"><button type="submit" class="link-button">{w["delete"]}'
                    f'</button></form></li>')
        others_report = f'/report">{w["report"]}</a></li>\n        <li><a href="/p/'
        others_rest = f'/worried">{w["worried"]}</a></li>'
    for v in posts:
        p = v.post
        pid = p.id
        held, hidden, deleted = p.held_at, p.hidden_at, p.deleted_at
        add(f'\n  <article class="post{" is-new" if v.is_new else ""}{" held" if held else ""}" id="p{pid}" '
            f'aria-labelledby="p{pid}-by">\n    <header class="post-head">\n      <span class="author" id="p{pid}-by">'
            f'{_e(v.author)}</span>\n      <a class="when" href="/p/{pid}" title="{w["link"]}">{when(p.created_at)}</a>')
        if p.edited_at:
            add(f' <span class="muted">{w["edited"]}</span>')
        if v.is_new:
            add(f' <span class="tag new">{w["new"]}</span>')
        if held:
            add(f' <span class="tag">{w["held"]}</span>')
        if staff and p.language_not_assessed:
            add(f' <span class="tag">{w["not_assessed"]}</span>')
        add("\n    </header>")
        if deleted:
            add(f'\n    <p class="muted"><em>{w["deleted"]}</em></p>')
        elif hidden:
            add(f'\n    <p class="muted"><em>{w["hidden"]}</em></p>')
        else:
            card = ""
            if v.card:
                if service_card is None:
                    from flask import get_template_attribute

                    service_card = get_template_attribute("directory/_macros.html", "service_card")
                card = service_card(v.card)
            if p.content_warning:
                # (The message id is extracted from forums/_macros.html, which shows it too.)
                summary = Markup(fast_translations().ugettext("Content warning: %(warning)s")) % {
                    "warning": p.content_warning}
                add(f'\n    <details class="cw">\n      <summary>{summary} <span class="muted">{w["select"]}</span>'
                    f'</summary>\n      <div class="post-body">{Markup(p.body_html)}</div>{card}\n    </details>')
            else:
                add(f'\n    <div class="post-body">{Markup(p.body_html)}</div>{card}')
        if deleted:
            add("\n  </article>")
            continue
        add('\n    <footer class="post-foot">')
        counts = v.reactions
        if me and not hidden:
            add(f'\n      <form method="post" action="/p/{pid}{react_rest}')
            mine = v.my_reactions
            for kind, off, on in buttons:
                n = counts.get(kind)
                add(f'{on if kind in mine else off} <span class="count">{_e(number(n))}</span></button>' if n
                    else f'{on if kind in mine else off}</button>')
            add("\n      </form>")
        elif counts:
            add('\n      <p class="reactions">')
            for kind, label in reactions.items():
                n = counts.get(kind)
                if n:
                    add(f'<span class="reaction">{label} <span class="count">{_e(number(n))}</span></span> ')
            add("</p>")
        if me:
            add('\n      <ul class="post-actions">')
            if quote_ok and not hidden:
                add(f'{quote_prefix}{pid}">{w["quote"]}</a></li>')
            add(f'\n        <li><form method="post" action="/p/{pid}{bookmark_done[0] if v.bookmarked else bookmark_done[1]}')
            if v.is_mine and not hidden:
                add(f'\n        <li><a href="/p/{pid}/edit{own_support}{pid}{own_rest}')
            elif not v.is_mine:
                add(f'\n        <li><a href="/p/{pid}{others_report}{pid}{others_rest}')
            if staff:
                if held:
                    add(f'<li><a href="{_e(url_for("forums.moderate_post", post_id=pid, action="release"))}">'
                        f'{w["release"]}</a></li>')
                add(f'\n        <li><a href="{_e(url_for("forums.moderate_post", post_id=pid, action="unhide" if hidden else "hide"))}">'
                    f'{w["restore"] if hidden else w["hide"]}</a></li>\n        <li><a href="'
                    f'{_e(url_for("forums.moderate_post", post_id=pid, action="delete"))}">{w["remove"]}</a></li>')
                if p.edited_at:
                    add(f'<li><a href="{_e(url_for("forums.history", post_id=pid))}">{w["history"]}</a></li>')
            if is_admin and p.alias_number is not None:
                add(f'<li><a href="{_e(url_for("forums.reveal", post_id=pid))}">{w["reveal"]}</a></li>')
            add("\n      </ul>")
        add("\n    </footer>\n  </article>")
    return Markup("".join(out))


_ROW_WORDS = {"pinned": N_("pinned"), "locked": N_("locked"), "hidden": N_("hidden"), "deleted": N_("deleted"),
              "new": N_("new")}


def render_thread_rows(rows) -> Markup:
    """The <li> of each ThreadRow of a category page (the markup templates/forums/category.html
    had, byte for byte)."""
    translations = fast_translations()
    w = {k: fixed_markup(msgid, translations) for k, msgid in _ROW_WORDS.items()}
    # Filled with plain % and values escaped here: what Markup(text) % values gives, without its
    # per-value wrapping (two texts a row).
    last_text = translations.ugettext("last %(when)s")
    ungettext = translations.ungettext
    out: list[str] = []
    add = out.append
    for row in rows:
        t = row.thread
        add(f'\n  <li class="thread-row{" unread" if row.unread else ""}">\n    <a class="thread-title" '
            f'href="{_e(row.url)}">{_e(t.title)}</a>')
        if t.pinned:
            add(f' <span class="tag">{w["pinned"]}</span>')
        if t.locked:
            add(f' <span class="tag">{w["locked"]}</span>')
        if t.hidden_at:
            add(f' <span class="tag">{w["hidden"]}</span>')
        if t.deleted_at:
            add(f' <span class="tag">{w["deleted"]}</span>')
        if row.unread:
            add(f' <span class="tag new">{w["new"]}</span>')
        n = t.post_count
        count = ungettext("%(num)s post", "%(num)s posts", n) % {"num": _e(number(n))}
        add(f'\n    <div class="meta">{_e(row.author)} · {count} · {last_text % {"when": when(t.last_post_at)}}'
            f'</div>\n  </li>')
    return Markup("".join(out))
