"""Full-text search over posts, behind one function whatever the database.

SQLite: an FTS5 table `post_fts` (rowid = post id, columns title and body) kept in step by
index_post/unindex_post, ranked with bm25 and shown with highlighted snippets. PostgreSQL: a
table `post_search` (post id, weighted tsvector of title and body, GIN index; migration 0009),
ranked with ts_rank_cd and shown with ts_headline. Both get the same words the same way: all
required, the last one as a prefix. Every visibility
rule of the forums applies: groups, hidden and deleted threads, held posts. Posts written as
Anonymous are never found by their writer's pseudonym.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text

from app.extensions import db
from app.models import Member, Post, Thread

PAGE_SIZE = 20
MAX_TERMS = 12
# Snippet markers that can't appear in stored text (controls are refused at input), so the
# snippet can be escaped whole and only our own <mark> tags put back.
_OPEN, _CLOSE = "\x02", "\x03"


def _sqlite() -> bool:
    return db.engine.dialect.name == "sqlite"


_PG_VECTOR = ("setweight(to_tsvector('english', :title), 'A') || "
              "setweight(to_tsvector('english', :body), 'B')")


def index_post(post: Post, thread: Thread) -> None:
    """(Re)index one post. Part of the caller's transaction."""
    if not _sqlite():
        if post.deleted_at is None and post.body_md:
            db.session.execute(text(
                f"INSERT INTO post_search (post_id, vector) VALUES (:id, {_PG_VECTOR}) "
                f"ON CONFLICT (post_id) DO UPDATE SET vector = EXCLUDED.vector"),
                {"id": post.id, "title": thread.title, "body": post.body_md})
        else:
            unindex_post(post.id)
        return
    db.session.execute(text("DELETE FROM post_fts WHERE rowid = :id"), {"id": post.id})
    if post.deleted_at is None and post.body_md:
        db.session.execute(text("INSERT INTO post_fts(rowid, title, body) VALUES (:id, :title, :body)"),
                           {"id": post.id, "title": thread.title, "body": post.body_md})


def unindex_post(post_id: int) -> None:
    table, column = ("post_fts", "rowid") if _sqlite() else ("post_search", "post_id")
    db.session.execute(text(f"DELETE FROM {table} WHERE {column} = :id"), {"id": post_id})


def fts_query(q: str) -> str | None:
    """A member's words -> a safe FTS5 query: each word quoted (so no operator or column syntax
    can be injected), all required, the last one as a prefix."""
    words = re.findall(r"\w+", q, flags=re.UNICODE)[:MAX_TERMS]
    if not words:
        return None
    quoted = ['"' + w.replace('"', '""') + '"' for w in words]
    quoted[-1] += "*"
    return " ".join(quoted)


def tsquery(q: str) -> str | None:
    """The same words as a PostgreSQL to_tsquery: each a quoted lexeme (\\w has no quote or
    operator character), all required (&), the last one as a prefix (:*)."""
    words = re.findall(r"\w+", q, flags=re.UNICODE)[:MAX_TERMS]
    if not words:
        return None
    quoted = ["'" + w + "'" for w in words]
    quoted[-1] += ":*"
    return " & ".join(quoted)


@dataclass
class Hit:
    post_id: int
    thread_id: int
    thread_title: str
    category_name: str
    author: str
    created_at: object
    snippet: str  # already escaped HTML with <mark> around matches


def search(actor: Member | None, q: str, category_id: int | None = None, author: str | None = None,
           offset: int = 0) -> tuple[list[Hit], bool]:
    """Posts matching q that actor may read, best first. Returns (hits, has_more)."""
    from markupsafe import escape

    from app.services import forums
    from app.services.pseudonyms import canonical

    sqlite = _sqlite()
    match = fts_query(q) if sqlite else tsquery(q)
    if match is None:
        return [], False
    params: dict = {"match": match, "limit": PAGE_SIZE + 1, "offset": max(0, min(offset, 1000))}
    where = ["post_fts MATCH :match" if sqlite else "s.vector @@ to_tsquery('english', :match)",
             "p.deleted_at IS NULL", "p.hidden_at IS NULL", "t.deleted_at IS NULL", "t.hidden_at IS NULL"]
    staff = forums.is_staff(actor)
    if not staff:
        groups = sorted(forums._approved_group_ids(actor))
        if groups:
            where.append("(NOT c.is_group OR c.id IN (%s))" % ",".join(str(int(g)) for g in groups))
        else:
            where.append("NOT c.is_group")
        if actor is None:
            where.append("p.held_at IS NULL")
        else:
            where.append("(p.held_at IS NULL OR p.author_id = :me)")
            params["me"] = actor.id
    if category_id:
        where.append("c.id = :cat")
        params["cat"] = int(category_id)
    if author:
        # By pseudonym: only posts shown under that pseudonym, never its anonymous ones.
        where.append("m.pseudonym_key = :author AND p.alias_number IS NULL")
        params["author"] = canonical(author)[:64]
    if sqlite:
        sql = f"""
            SELECT p.id, t.id, t.title, c.name, p.alias_number, m.pseudonym, p.created_at,
                   snippet(post_fts, 1, '{_OPEN}', '{_CLOSE}', ' … ', 24)
            FROM post_fts
            JOIN post p ON p.id = post_fts.rowid
            JOIN thread t ON t.id = p.thread_id
            JOIN category c ON c.id = t.category_id
            LEFT JOIN member m ON m.id = p.author_id
            WHERE {" AND ".join(f"({w})" for w in where)}
            ORDER BY bm25(post_fts, 2.0, 1.0), p.id DESC
            LIMIT :limit OFFSET :offset
        """
    else:
        # Rank and page first, then build headlines for that page only (ts_headline re-parses
        # the text, so it must not run for every match).
        params["headline"] = (f"StartSel={_OPEN}, StopSel={_CLOSE}, MaxWords=30, MinWords=12, "
                              f"MaxFragments=2, FragmentDelimiter=\" … \"")
        sql = f"""
            SELECT page.id, page.tid, page.title, page.cname, page.alias_number, page.pseudonym,
                   page.created_at,
                   ts_headline('english', page.body_md, to_tsquery('english', :match), :headline)
            FROM (
                SELECT p.id, t.id AS tid, t.title, c.name AS cname, p.alias_number, m.pseudonym,
                       p.created_at, p.body_md,
                       ts_rank_cd(s.vector, to_tsquery('english', :match)) AS rank
                FROM post_search s
                JOIN post p ON p.id = s.post_id
                JOIN thread t ON t.id = p.thread_id
                JOIN category c ON c.id = t.category_id
                LEFT JOIN member m ON m.id = p.author_id
                WHERE {" AND ".join(f"({w})" for w in where)}
                ORDER BY rank DESC, p.id DESC
                LIMIT :limit OFFSET :offset
            ) AS page
            ORDER BY page.rank DESC, page.id DESC
        """
    rows = db.session.execute(text(sql), params).all()
    hits = []
    for pid, tid, title, cname, alias, pseudonym, created, snip in rows[:PAGE_SIZE]:
        who = forums.anonymous_label(alias) if alias is not None else (pseudonym or forums.deleted_label())
        safe = str(escape(snip)).replace(_OPEN, "<mark>").replace(_CLOSE, "</mark>")
        if isinstance(created, str):  # raw SQL on SQLite returns the stored text
            created = datetime.fromisoformat(created)
        hits.append(Hit(pid, tid, title, cname, who, created, safe))
    return hits, len(rows) > PAGE_SIZE
