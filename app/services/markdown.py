"""Markdown for posts: markdown-it-py (CommonMark + tables, strikethrough, autolinks), then a
bleach allow-list. Raw HTML in the source comes out as text; images are never fetched (a remote
image would tell its host who is reading); every link is nofollow/noopener/noreferrer/ugc."""

from __future__ import annotations

import re
from functools import lru_cache

import bleach
from bleach.linkifier import Linker
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "del", "s", "code", "pre", "blockquote", "ul", "ol", "li", "a",
    "h3", "h4", "h5", "h6", "hr", "table", "thead", "tbody", "tr", "th", "td", "span",
}
ALLOWED_ATTRIBUTES = {
    "a": ["href", "title", "rel"],
    "th": ["class"],
    "td": ["class"],
    "ol": ["start"],
    "span": ["class"],
}
ALLOWED_PROTOCOLS = {"http", "https"}
LINK_REL = "nofollow noopener noreferrer ugc"


@lru_cache(maxsize=1)
def _md() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": True, "typographer": False})
    md.enable(["table", "strikethrough", "linkify"])
    md.disable("image")  # ![x](url) stays text-and-link; nothing is ever loaded from elsewhere

    # Headings inside a post start at h3 so they never compete with the page's own.
    def heading_open(self, tokens, idx, options, env):
        tag = tokens[idx].tag
        level = min(6, int(tag[1]) + 2)
        tokens[idx].tag = f"h{level}"
        return md.renderer.renderToken(tokens, idx, options, env)

    def heading_close(self, tokens, idx, options, env):
        tag = tokens[idx].tag
        level = min(6, int(tag[1]) + 2)
        tokens[idx].tag = f"h{level}"
        return md.renderer.renderToken(tokens, idx, options, env)

    md.add_render_rule("heading_open", heading_open)
    md.add_render_rule("heading_close", heading_close)
    return md


def _set_rel(attrs, new=False):
    href = attrs.get((None, "href"), "")
    if not href.startswith(("http://", "https://")):
        attrs.pop((None, "href"), None)
    attrs[(None, "rel")] = LINK_REL
    return attrs


_cleaner = bleach.Cleaner(tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                          protocols=ALLOWED_PROTOCOLS, strip=True, strip_comments=True)
_linker = Linker(callbacks=[_set_rel], skip_tags={"pre", "code"}, parse_email=False)


def render(source: str) -> str:
    """Markdown source -> safe HTML (no script, no event handler, no style, no image)."""
    html = _md().render(source)
    # markdown-it writes table alignment as an inline style; a class survives the CSP.
    html = _ALIGN.sub(r' class="align-\1"', html)
    html = _cleaner.clean(html)
    return _linker.linkify(html)


_ALIGN = re.compile(r' style="text-align:(left|right|center)"')
