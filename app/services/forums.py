"""Forums: who may read what, writing threads and replies, and everything members do with posts.

Visibility is decided here and nowhere else:
- a peer group's threads and posts are seen only by its approved members and by staff
  (peer supporters, facilitators, admins, who answer its flags);
- hidden or deleted threads are seen by staff only;
- a post held for review (a threat to others) is seen by its writer and staff only.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache

from flask import current_app, g, has_app_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, and_, bindparam, case, func, literal, null, or_, select, union_all, update
from sqlalchemy.exc import IntegrityError

from app.i18n import N_, fast_translations, register_stored, stored
from app.extensions import db
from app.models import (
    Bookmark, Category, GroupMembership, Member, Notification, Post, PostRevision, Reaction, Thread,
    ThreadAlias, ThreadFollow, ThreadRead,
)
from app.models.base import utcnow
from app.services import audit, events, markdown, permissions, safety, search
from app.services.errors import Forbidden, Invalid, NotFound
from app.services.text import clean_text

TITLE_MIN, TITLE_MAX = 3, 150
BODY_MAX = 20_000
WARNING_MAX = 100
THREADS_PER_PAGE = 30
POSTS_PER_PAGE = 30
UNREAD_WINDOW = timedelta(days=14)
REACTIONS = {"hug": _l("Hug"), "me_too": _l("Me too"), "thank_you": _l("Thank you"),
             "strength": _l("Sending strength")}
# Stored in English where a label is written down (chat lines of a deleted member); shown
# through anonymous_label / deleted_label in the reader's language.
ANONYMOUS = "Anonymous"
DELETED_MEMBER = "deleted member"


_ANONYMOUS_N, _DELETED = N_("Anonymous %(num)s"), N_("deleted member")


def anonymous_label(number: int) -> str:
    # What gettext(...) gives, through the request's cached catalog (Flask-Babel's gettext walks
    # its context on each call; a page shows these once a post).
    return fast_translations().ugettext(_ANONYMOUS_N) % {"num": number}


def deleted_label() -> str:
    return fast_translations().ugettext(_DELETED)


# Notifications are stored in English and shown in the reader's language (app.i18n).
REPLIED = N_("%(name)s replied in “%(title)s”")
MENTIONED = N_("%(name)s mentioned you in “%(title)s”")
GROUP_JOINED = N_("You're now a member of the peer group “%(name)s”.")
THREAD_NOTES = {
    "lock": N_("Moderators locked your thread “%(title)s”: %(reason)s"),
    "unlock": N_("Moderators unlocked your thread “%(title)s”: %(reason)s"),
    "pin": N_("Moderators pinned your thread “%(title)s”: %(reason)s"),
    "unpin": N_("Moderators unpinned your thread “%(title)s”: %(reason)s"),
    "hide": N_("Moderators hid your thread “%(title)s”: %(reason)s"),
    "unhide": N_("Moderators made your thread “%(title)s” visible again: %(reason)s"),
    "delete": N_("Moderators deleted your thread “%(title)s”: %(reason)s"),
}
THREAD_MOVED = N_("Moderators moved your thread “%(title)s” from %(old)s to %(new)s: %(reason)s")
POST_NOTES = {
    "hide": N_("Moderators hid your post in “%(title)s”: %(reason)s"),
    "unhide": N_("Moderators restored your post in “%(title)s”: %(reason)s"),
    "delete": N_("Moderators removed your post in “%(title)s”: %(reason)s"),
    "release": N_("Moderators released your post in “%(title)s”: %(reason)s"),
}
register_stored(REPLIED, MENTIONED, GROUP_JOINED, THREAD_MOVED, *THREAD_NOTES.values(), *POST_NOTES.values())


# ---------------------------------------------------------------- who sees what

def is_staff(actor: Member | None) -> bool:
    return permissions.is_peer(actor) or permissions.is_facilitator(actor)


def _approved_group_ids(actor: Member | None) -> set[int]:
    if actor is None:
        return set()
    return set(db.session.scalars(select(GroupMembership.category_id).where(
        GroupMembership.member_id == actor.id, GroupMembership.status == "approved")))


def readable_category_filter(actor: Member | None):
    """A SQL condition on Category: the categories whose threads actor may read."""
    if is_staff(actor):
        return Category.id.isnot(None)
    groups = _approved_group_ids(actor)
    if groups:
        return or_(Category.is_group.is_(False), Category.id.in_(groups))
    return Category.is_group.is_(False)


def can_read_category(actor: Member | None, category: Category) -> bool:
    return not category.is_group or is_staff(actor) or category.id in _approved_group_ids(actor)


def list_categories(actor: Member | None, include_archived: bool = False) -> list[Category]:
    q = select(Category).order_by(Category.position, Category.id)
    if not include_archived:
        q = q.where(Category.archived_at.is_(None))
    return list(db.session.scalars(q))


def get_category_for(actor: Member | None, slug: str) -> Category:
    """The category, if actor may see its contents. A group's page exists for everyone (so they
    can ask to join); its threads are filtered by the functions below."""
    category = db.session.scalar(select(Category).where(Category.slug == slug))
    if category is None:
        raise NotFound(_("There's no such category."))
    return category


def get_thread_for(actor: Member | None, thread_id: int) -> Thread:
    """The thread, if actor may read it; NotFound otherwise (never "forbidden": that would tell
    an outsider a group thread exists)."""
    found = db.session.execute(select(Thread, Category).join(Category, Category.id == Thread.category_id)
                               .where(Thread.id == thread_id)).first()
    return _readable(actor, found[0] if found else None)


def _readable(actor: Member | None, thread):
    """The thread (ORM or ThreadView) if actor may read it; NotFound otherwise."""
    if thread is None or not can_read_category(actor, thread.category):
        raise NotFound(_("There's no such thread, or it isn't visible to you."))
    if (thread.deleted_at or thread.hidden_at) and not is_staff(actor):
        raise NotFound(_("This thread has been removed."))
    return thread


# ---------------------------------------------------------------- reading pages, as plain rows
#
# The category and thread pages are the forum's busiest: they read their category and thread as
# plain rows through statements built once (building a select and loading ORM objects cost more
# than the queries themselves). The same visibility rules as get_category_for / get_thread_for.

_T, _C, _P, _M = Thread.__table__.c, Category.__table__.c, Post.__table__.c, Member.__table__.c


@dataclass(frozen=True, slots=True)
class CategoryView:
    id: int
    slug: str
    name: str
    description: str
    is_group: bool
    archived_at: datetime | None


@dataclass(frozen=True, slots=True)
class ThreadView:
    """What the thread page reads of a thread (an ORM Thread has the same attributes)."""

    id: int
    category_id: int
    title: str
    author_id: int | None
    opener_alias: int | None
    last_post_at: datetime
    last_post_id: int | None
    post_count: int
    pinned: bool
    locked: bool
    hidden_at: datetime | None
    deleted_at: datetime | None
    category: CategoryView


_CATEGORY_VIEW_COLUMNS = (_C.id, _C.slug, _C.name, _C.description, _C.is_group, _C.archived_at)
_CATEGORY_BY_SLUG = select(*_CATEGORY_VIEW_COLUMNS).where(_C.slug == bindparam("slug"))
_THREAD_VIEW_COLUMNS = (_T.id, _T.category_id, _T.title, _T.author_id, _T.opener_alias, _T.last_post_at,
                        _T.last_post_id, _T.post_count, _T.pinned, _T.locked, _T.hidden_at, _T.deleted_at)
_THREAD_BY_ID = (select(*_THREAD_VIEW_COLUMNS, *_CATEGORY_VIEW_COLUMNS)
                 .join(Category.__table__, _C.id == _T.category_id).where(_T.id == bindparam("thread_id")))


def _run(statement, params):
    """A Core statement of the reading pages (table columns only: nothing for the ORM to load or
    flush) on the session's connection, in its transaction: what db.session.execute does for such a
    statement, without its ORM dispatch (~11 µs a query; a member's thread page runs five)."""
    return db.session.connection().execute(statement, params)


def category_view_for(actor: Member | None, slug: str) -> CategoryView:
    """get_category_for as a plain row, for the category page."""
    row = _run(_CATEGORY_BY_SLUG, {"slug": slug}).first()
    if row is None:
        raise NotFound(_("There's no such category."))
    return CategoryView(*row)


def thread_view_for(actor: Member | None, thread_id: int) -> ThreadView:
    """get_thread_for as a plain row (its category joined in), for the thread page: the same
    rules, the same answers."""
    row = _run(_THREAD_BY_ID, {"thread_id": thread_id}).first()
    n = len(_THREAD_VIEW_COLUMNS)
    return _readable(actor, ThreadView(*row[:n], category=CategoryView(*row[n:])) if row is not None else None)


def get_post_for(actor: Member | None, post_id: int) -> Post:
    post = db.session.get(Post, post_id)
    if post is None:
        raise NotFound(_("There's no such post."))
    get_thread_for(actor, post.thread_id)
    if post.held_at and not (is_staff(actor) or (actor and post.author_id == actor.id)):
        raise NotFound(_("There's no such post."))
    return post


def visible_post_filter(actor: Member | None):
    """A SQL condition on Post: held posts only for their writer and staff."""
    condition = _visible_posts(_reader(actor), actor.id if actor else None)
    return Post.id.isnot(None) if condition is None else condition


def _reader(actor: Member | None) -> str:
    return "staff" if is_staff(actor) else ("member" if actor else "anonymous")


def _visible_posts(reader: str, me):
    """The rule itself, for a kind of reader (_reader) and their id (a value, or a bound parameter
    in a statement built once): held posts only for their writer and staff. None: every post."""
    if reader == "staff":
        return None
    held_at = Post.__table__.c.held_at
    if reader == "anonymous":
        return held_at.is_(None)
    return or_(held_at.is_(None), Post.__table__.c.author_id == me)


def author_label(post: Post) -> str:
    """How a post's writer is shown: "Anonymous N", the pseudonym, or "deleted member"."""
    if post.alias_number is not None:
        return anonymous_label(post.alias_number)
    if post.author is None:
        return deleted_label()
    return post.author.pseudonym


@lru_cache(maxsize=8192)  # a category page slugs 30 titles, the same ones view after view
def slugify(title: str) -> str:
    s = re.sub(r"[^\w]+", "-", title.casefold(), flags=re.UNICODE).strip("-")
    return s[:60] or "thread"


# ---------------------------------------------------------------- pages

@dataclass
class CategoryRow:
    category: Category
    threads: int = 0
    posts: int = 0
    unread: int = 0
    last_post_at: datetime | None = None
    readable: bool = True
    membership: str | None = None


def index_rows(actor: Member | None) -> list[CategoryRow]:
    """The home page: every live category with counts the actor is allowed to see."""
    categories = list_categories(actor)
    readable = {c.id for c in categories if can_read_category(actor, c)}
    all_stats = _category_stats()
    stats = {cid: all_stats[cid] for cid in readable if cid in all_stats}
    unread = unread_counts(actor, readable) if actor else {}
    memberships = {}
    if actor:
        memberships = dict(db.session.execute(select(GroupMembership.category_id, GroupMembership.status)
                                              .where(GroupMembership.member_id == actor.id)).all())
    rows = []
    for c in categories:
        ok = c.id in readable
        n, p, last = stats.get(c.id, (0, 0, None)) if ok else (0, 0, None)
        rows.append(CategoryRow(c, n, p, unread.get(c.id, 0) if ok else 0, last, ok, memberships.get(c.id)))
    return rows


_STATS_SECONDS = 10.0
_stats_cache: dict[str, tuple[float, dict]] = {}


def _category_stats() -> dict[int, tuple[int, int, datetime | None]]:
    """Threads, posts and last activity per category, counted over every visible thread. Kept
    for a few seconds per worker: counting a hundred thousand threads on every home page load
    costs more than slightly stale numbers."""
    import time

    key = str(db.engine.url)
    now = time.monotonic()
    hit = _stats_cache.get(key)
    if hit is not None and now - hit[0] < _STATS_SECONDS and not current_app.testing:
        return hit[1]
    stats = {
        cid: (n, p, last if not isinstance(last, str) else datetime.fromisoformat(last))
        for cid, n, p, last in db.session.execute(
            select(Thread.category_id, func.count(Thread.id), func.coalesce(func.sum(Thread.post_count), 0),
                   func.max(Thread.last_post_at))
            .where(Thread.deleted_at.is_(None), Thread.hidden_at.is_(None))
            .group_by(Thread.category_id))
    }
    _stats_cache[key] = (now, stats)
    return stats


def unread_counts(actor: Member, category_ids: set[int]) -> dict[int, int]:
    """Threads with posts the member hasn't read, per category, among threads active in the
    last 14 days (and since they joined). One grouped query."""
    if not category_ids:
        return {}
    since = max(utcnow() - UNREAD_WINDOW, actor.created_at)
    read = ThreadRead.__table__.alias("r")
    q = (select(Thread.category_id, func.count(Thread.id))
         .select_from(Thread)
         .outerjoin(read, and_(read.c.thread_id == Thread.id, read.c.member_id == actor.id))
         .where(Thread.last_post_at >= since, Thread.category_id.in_(category_ids),
                Thread.deleted_at.is_(None), Thread.hidden_at.is_(None),
                or_(read.c.id.is_(None), Thread.last_post_id > read.c.last_read_post_id))
         .group_by(Thread.category_id))
    return dict(db.session.execute(q).all())


@dataclass
class ThreadRow:
    thread: Thread
    author: str
    unread: bool
    new_posts: int | None

    @property
    def url(self) -> str:
        # Built here rather than with url_for in the template loop: it is the hot path.
        return f"/t/{self.thread.id}/{slugify(self.thread.title)}"


@dataclass
class CategoryPage:
    category: Category
    readable: bool
    pinned: list[ThreadRow] = field(default_factory=list)
    threads: list[ThreadRow] = field(default_factory=list)
    next_cursor: str | None = None


def _parse_thread_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    if not cursor:
        return None
    try:
        stamp, tid = cursor.rsplit("_", 1)
        return datetime.fromisoformat(stamp), int(tid)
    except ValueError:
        raise Invalid(_("That page link is broken. Go back to the first page.")) from None


def category_page(actor: Member | None, category: Category, cursor: str | None = None) -> CategoryPage:
    """Threads of a category, pinned first (on the first page), then by latest activity, keyset
    paginated. A fixed number of queries, however many threads there are."""
    page = CategoryPage(category, can_read_category(actor, category))
    if not page.readable:
        return page
    after = _parse_thread_cursor(cursor)
    # Plain rows with the opener's pseudonym joined in (no ORM objects on the busiest list page),
    # through statements built once.
    who = "staff" if is_staff(actor) else "reader"
    params = {"category_id": category.id}
    pinned: list = []
    if after is None:
        pinned = list(_run(_thread_list_statement(who, "pinned"), params))
        threads = list(_run(_thread_list_statement(who, "first"), params))
    else:
        stamp, tid = after
        threads = list(_run(_thread_list_statement(who, "after"), {**params, "stamp": stamp, "cursor": tid}))
    more = len(threads) > THREADS_PER_PAGE
    threads = threads[:THREADS_PER_PAGE]
    everything = pinned + threads
    reads: dict[int, int] = {}
    if actor and everything:
        reads = dict(_run(_THREADS_READ, {"me": actor.id, **_id_params(_THREAD_SLOT_KEYS, [t.id for t in everything])}).all())

    def row(t) -> ThreadRow:
        last_read = reads.get(t.id)
        unread = actor is not None and (last_read is None or (t.last_post_id or 0) > last_read)
        author = anonymous_label(t.opener_alias) if t.opener_alias is not None else (
            t.author_pseudonym or deleted_label())
        return ThreadRow(t, author, unread, None)

    page.pinned = [row(t) for t in pinned]
    page.threads = [row(t) for t in threads]
    if more and threads:
        last = threads[-1]
        page.next_cursor = f"{last.last_post_at.isoformat()}_{last.id}"
    return page


@lru_cache(maxsize=None)
def _thread_list_statement(who: str, part: str):
    """A category page's threads: pinned ones (first page), then by latest activity, from the
    start or after a (:stamp, :cursor) keyset; deleted and hidden threads for staff only."""
    q = (select(*(_T[c.key] for c in _THREAD_COLUMNS), _M.pseudonym.label("author_pseudonym"))
         .select_from(Thread.__table__).outerjoin(Member.__table__, _M.id == _T.author_id)
         .where(_T.category_id == bindparam("category_id")))
    if who != "staff":
        q = q.where(_T.deleted_at.is_(None), _T.hidden_at.is_(None))
    order = (_T.last_post_at.desc(), _T.id.desc())
    if part == "pinned":
        return q.where(_T.pinned.is_(True)).order_by(*order).limit(PINNED_PER_PAGE)
    q = q.where(_T.pinned.is_(False))
    if part == "after":
        stamp = bindparam("stamp", type_=Thread.__table__.c.last_post_at.type)
        q = q.where(or_(_T.last_post_at < stamp, and_(_T.last_post_at == stamp, _T.id < bindparam("cursor"))))
    return q.order_by(*order).limit(THREADS_PER_PAGE + 1)


# The ids of a page's rows go into IN lists of fixed length (:id0, :id1, ..., unused ones NULL,
# which match nothing), not an "expanding" parameter: SQLAlchemy rewrites a statement's SQL for an
# expanding list on every execution (~17 µs for a page's 30 ids). A page never holds more rows
# than its slots (the limits of its queries).
PINNED_PER_PAGE = 20


def _id_slots(n: int) -> tuple[list, tuple[str, ...]]:
    keys = tuple(f"id{i}" for i in range(n))
    return [bindparam(k, type_=Integer) for k in keys], keys


def _id_params(keys: tuple[str, ...], ids: list[int]) -> dict:
    if len(ids) > len(keys):
        raise ValueError(f"{len(ids)} ids for {len(keys)} slots")
    return dict(zip(keys, ids + [None] * (len(keys) - len(ids))))


_THREAD_SLOTS, _THREAD_SLOT_KEYS = _id_slots(PINNED_PER_PAGE + THREADS_PER_PAGE)
_THREADS_READ = select(ThreadRead.__table__.c.thread_id, ThreadRead.__table__.c.last_read_post_id).where(
    ThreadRead.__table__.c.member_id == bindparam("me"), ThreadRead.__table__.c.thread_id.in_(_THREAD_SLOTS))


@dataclass
class PostView:
    post: Post
    author: str
    is_mine: bool
    reactions: dict[str, int]
    my_reactions: set[str]
    bookmarked: bool
    is_new: bool
    card: object = None  # a shared directory entry (services.directory.Card), if any


@dataclass
class ThreadPage:
    thread: Thread
    posts: list[PostView]
    has_before: bool
    has_after: bool
    first_id: int | None
    last_id: int | None
    following: bool
    total: int
    unread_notifications: int | None = None  # the reader's, read with the page (None: not signed in)


def _parse_id(value: str | None, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Invalid(_("The %(name)s in the address should be a number.", name=name)) from None
    if number < 0 or number > 2**62:
        raise Invalid(_("The %(name)s in the address is out of range.", name=name))
    return number


def thread_page(actor: Member | None, thread: Thread | ThreadView, after: str | None = None,
                before: str | None = None, mark_read: bool = True) -> ThreadPage:
    """One page of a thread's posts, keyset on post id (?after=ID or ?before=ID), so a page deep
    in a 10,000-post thread costs the same as the first. Marks what the member saw as read."""
    after_id, before_id = _parse_id(after, "position"), _parse_id(before, "position")
    # Plain rows with the author's pseudonym joined in: one query, no ORM objects to build, through
    # statements built once (this is the forum's busiest page).
    who = _reader(actor)
    execute = db.session.connection().execute  # Core statements only (see _run)
    params = {"thread_id": thread.id, "me": actor.id if actor else None}
    if before_id is not None:
        rows = list(execute(_post_page_statement(who, "before"), {**params, "cursor": before_id}))
        has_before = len(rows) > POSTS_PER_PAGE
        rows = list(reversed(rows[:POSTS_PER_PAGE]))
        has_after = True
    else:
        if after_id is not None:
            rows = list(execute(_post_page_statement(who, "after"), {**params, "cursor": after_id}))
        else:
            rows = list(execute(_post_page_statement(who, "first"), params))
        has_after = len(rows) > POSTS_PER_PAGE
        rows = rows[:POSTS_PER_PAGE]
        has_before = after_id is not None and bool(rows) and rows[0].id > _first_post_id(thread)
    ids = [p.id for p in rows]
    counts: dict[int, dict[str, int]] = {}
    mine: dict[int, set[str]] = {}
    marks: set[int] = set()
    last_read = 0
    following = False
    if ids and not actor:
        for pid, kind, n in execute(_REACTION_COUNTS, _id_params(_POST_SLOT_KEYS, ids)):
            counts.setdefault(pid, {})[kind] = n
    elif ids:
        # The reactions on these posts, which of them are the reader's, and the reader's bookmarks
        # (kind NULL), in one query.
        for pid, kind, n, is_mine in execute(_REACTIONS_MINE_AND_BOOKMARKS,
                                             {"me": actor.id, **_id_params(_POST_SLOT_KEYS, ids)}):
            if kind is None:
                marks.add(pid)
                continue
            counts.setdefault(pid, {})[kind] = n
            if is_mine:
                mine.setdefault(pid, set()).add(kind)
    if actor:
        last_read, following_id, unread_notifications = execute(_READ_AND_FOLLOWING, params).one()
        last_read, following = last_read or 0, following_id is not None
    cards = {}
    shared = [(p.id, p.service_id, p.service_card) for p in rows if p.service_card is not None]
    if shared:
        from app.services import directory

        cards = directory.cards_for(shared)  # one query, however many cards
    me = actor.id if actor else None
    views = [PostView(p, _row_author(p), me is not None and p.author_id == me, counts.get(p.id, {}),
                      mine.get(p.id, set()), p.id in marks, me is not None and p.id > last_read and last_read > 0,
                      cards.get(p.id))
             for p in rows]
    if actor and mark_read and ids and max(ids) > last_read:
        _mark_read(actor, thread, max(ids))
    return ThreadPage(thread, views, has_before, has_after, ids[0] if ids else None,
                      ids[-1] if ids else None, following, thread.post_count,
                      (unread_notifications or 0) if actor else None)


_THREAD_COLUMNS = (Thread.id, Thread.title, Thread.author_id, Thread.opener_alias, Thread.last_post_at,
                   Thread.last_post_id, Thread.post_count, Thread.pinned, Thread.locked, Thread.hidden_at,
                   Thread.deleted_at)

_POST_COLUMNS = (Post.id, Post.thread_id, Post.author_id, Post.alias_number, Post.body_html, Post.content_warning,
                 Post.created_at, Post.edited_at, Post.deleted_at, Post.hidden_at, Post.held_at, Post.service_id,
                 Post.service_card, Post.language_not_assessed)


@lru_cache(maxsize=None)
def _post_page_statement(who: str, direction: str):
    """The post list of a thread page, for a reader (staff, member, anonymous) and a direction
    (first page, after a post id, before one): the rules of visible_post_filter, as a statement
    built once with bound parameters (:thread_id, :me, :cursor)."""
    q = (select(*(_P[c.key] for c in _POST_COLUMNS), _M.pseudonym.label("author_pseudonym"))
         .select_from(Post.__table__).outerjoin(Member.__table__, _M.id == _P.author_id)
         .where(_P.thread_id == bindparam("thread_id")))
    visible = _visible_posts(who, bindparam("me"))
    if visible is not None:
        q = q.where(visible)
    if direction == "before":
        return q.where(_P.id < bindparam("cursor")).order_by(_P.id.desc()).limit(POSTS_PER_PAGE + 1)
    if direction == "after":
        q = q.where(_P.id > bindparam("cursor"))
    return q.order_by(_P.id).limit(POSTS_PER_PAGE + 1)


_R = Reaction.__table__.c
_POST_SLOTS, _POST_SLOT_KEYS = _id_slots(POSTS_PER_PAGE)
_REACTION_COUNTS = (select(_R.post_id, _R.kind, func.count())
                    .where(_R.post_id.in_(_POST_SLOTS)).group_by(_R.post_id, _R.kind))
_B = Bookmark.__table__.c
_REACTIONS_MINE_AND_BOOKMARKS = union_all(
    select(_R.post_id, _R.kind, func.count().label("n"),
           func.max(case((_R.member_id == bindparam("me"), 1), else_=0)).label("mine"))
    .where(_R.post_id.in_(_POST_SLOTS)).group_by(_R.post_id, _R.kind),
    select(_B.post_id, null(), literal(0), literal(1)).where(
        _B.member_id == bindparam("me"), _B.post_id.in_(_POST_SLOTS)))
# The reader's read marker and follow for the thread, and their unread notifications (the menu's
# badge on this page; unread_notification_count would otherwise ask in a query of its own).
_READ_AND_FOLLOWING = select(
    select(ThreadRead.__table__.c.last_read_post_id).where(
        ThreadRead.__table__.c.member_id == bindparam("me"),
        ThreadRead.__table__.c.thread_id == bindparam("thread_id")).scalar_subquery(),
    select(ThreadFollow.__table__.c.id).where(
        ThreadFollow.__table__.c.member_id == bindparam("me"),
        ThreadFollow.__table__.c.thread_id == bindparam("thread_id")).limit(1).scalar_subquery(),
    select(func.count(Notification.__table__.c.id)).where(
        Notification.__table__.c.member_id == bindparam("me"),
        Notification.__table__.c.read_at.is_(None)).scalar_subquery())
_FIRST_POST_ID = select(func.min(_P.id)).where(_P.thread_id == bindparam("thread_id"))


def _row_author(row) -> str:
    if row.alias_number is not None:
        return anonymous_label(row.alias_number)
    return row.author_pseudonym or deleted_label()


def _first_post_id(thread: Thread | ThreadView) -> int:
    return _run(_FIRST_POST_ID, {"thread_id": thread.id}).scalar() or 0


def _mark_read(actor: Member, thread: Thread, post_id: int) -> None:
    updated = db.session.execute(update(ThreadRead).where(
        ThreadRead.member_id == actor.id, ThreadRead.thread_id == thread.id,
        ThreadRead.last_read_post_id < post_id).values(last_read_post_id=post_id)).rowcount
    if not updated:
        exists = db.session.scalar(select(ThreadRead.id).where(
            ThreadRead.member_id == actor.id, ThreadRead.thread_id == thread.id))
        if exists is None:
            db.session.add(ThreadRead(member_id=actor.id, thread_id=thread.id, last_read_post_id=post_id))
    try:
        db.session.commit()
    except IntegrityError:  # two tabs marked it at once; either is right
        db.session.rollback()


def post_position(actor: Member | None, post: Post) -> int | None:
    """The `after` cursor of the page that holds this post, with pages cut where reading from
    the start cuts them (so a permalink and "Later posts" show the same pages)."""
    visible = (Post.thread_id == post.thread_id, visible_post_filter(actor))
    before = db.session.scalar(select(func.count(Post.id)).where(*visible, Post.id < post.id)) or 0
    start = (before // POSTS_PER_PAGE) * POSTS_PER_PAGE
    if start == 0:
        return None
    return db.session.scalar(select(Post.id).where(*visible).order_by(Post.id).offset(start - 1).limit(1))


# ---------------------------------------------------------------- writing

@dataclass
class Written:
    thread: Thread
    post: Post
    screening: safety.Screening
    duplicate: bool = False


def new_submission_key() -> str:
    """A random key each compose form carries, so a double-submitted form makes one post."""
    return secrets.token_urlsafe(16)


def _clean_body(body: object) -> str:
    text = clean_text(body, field="body", label=_("Your post"), max_length=BODY_MAX, min_length=1)
    return text.replace("\r\n", "\n")


def _clean_title(title: object) -> str:
    text = clean_text(title, field="title", label=_("The title"), max_length=TITLE_MAX, min_length=TITLE_MIN,
                      multiline=False)
    return " ".join(text.split())


def _clean_warning(warning: object) -> str | None:
    if warning in (None, ""):
        return None
    text = clean_text(warning, field="content_warning", label=_("The content warning"), max_length=WARNING_MAX,
                      multiline=False).strip()
    return text or None


def _clean_key(key: object) -> str | None:
    if isinstance(key, str) and 8 <= len(key) <= 64 and re.fullmatch(r"[\w-]+", key):
        return key
    return None


def _existing(actor: Member, key: str | None) -> Post | None:
    if key is None:
        return None
    return db.session.scalar(select(Post).where(Post.author_id == actor.id, Post.submission_key == key))


def _alias_for(actor: Member, thread: Thread) -> int:
    row = db.session.scalar(select(ThreadAlias).where(ThreadAlias.thread_id == thread.id,
                                                      ThreadAlias.member_id == actor.id))
    if row is not None:
        return row.number
    thread.alias_count = (thread.alias_count or 0) + 1
    db.session.add(ThreadAlias(thread_id=thread.id, member_id=actor.id, number=thread.alias_count))
    return thread.alias_count


@dataclass(frozen=True)
class Preview:
    html: str
    identifying: list[str]


def preview(body: object) -> Preview:
    """Render a draft exactly as it would be posted, with any warning that it could identify
    someone, without storing anything."""
    from app.services import identify

    text = _clean_body(body)
    return Preview(markdown.render(text), identify.warnings(text))


def create_thread(actor: Member | None, category: Category, title: object, body: object,
                  anonymous: bool = False, content_warning: object = None,
                  submission_key: object = None) -> Written:
    """Start a thread. Screens the first post. Raises Invalid, Forbidden, NotFound."""
    actor = permissions.require_member(actor)
    if not can_read_category(actor, category):
        raise NotFound(_("There's no such category."))
    if category.archived_at is not None:
        raise Forbidden(_("This category is archived: you can read it, but not start new threads."))
    clean_title, clean_body = _clean_title(title), _clean_body(body)
    warning, key = _clean_warning(content_warning), _clean_key(submission_key)
    dup = _existing(actor, key)
    if dup is not None:
        return Written(dup.thread, dup, safety.Screening(), duplicate=True)
    now = utcnow()
    thread = Thread(category_id=category.id, title=clean_title, author_id=actor.id, created_at=now,
                    last_post_at=now, post_count=0)
    db.session.add(thread)
    db.session.flush()
    if anonymous:
        thread.opener_alias = _alias_for(actor, thread)
    post = _add_post(actor, thread, clean_body, warning, key, thread.opener_alias, now)
    screening = safety.screen_post(actor, post, clean_body)
    _after_post(actor, thread, post, screening, is_new_thread=True)
    db.session.commit()
    safety.announce(screening)
    return Written(thread, post, screening)


def post_reply(actor: Member | None, thread: Thread, body: object, anonymous: bool = False,
               content_warning: object = None, submission_key: object = None, service: object = None) -> Written:
    """Reply to a thread. Screens the post. With `service` (a directory entry's id; peer
    supporters, facilitators and admins only) the reply carries that entry as a card.
    Raises Invalid, Forbidden, NotFound."""
    from app.services import directory

    actor = permissions.require_member(actor)
    thread = get_thread_for(actor, thread.id)
    shared = directory.get_shareable(actor, service) if service not in (None, "") else None
    if thread.locked and not is_staff(actor):
        raise Forbidden(_("This thread is locked: you can read it, but not reply."))
    if thread.category.archived_at is not None:
        raise Forbidden(_("This category is archived: you can read it, but not reply."))
    clean_body = _clean_body(body)
    warning, key = _clean_warning(content_warning), _clean_key(submission_key)
    dup = _existing(actor, key)
    if dup is not None:
        return Written(thread, dup, safety.Screening(), duplicate=True)
    alias = _alias_for(actor, thread) if anonymous else None
    post = _add_post(actor, thread, clean_body, warning, key, alias, utcnow())
    if shared is not None:
        post.service_id, post.service_card = shared.id, directory.snapshot(shared)
    screening = safety.screen_post(actor, post, clean_body)
    _after_post(actor, thread, post, screening, is_new_thread=False)
    db.session.commit()
    safety.announce(screening)
    return Written(thread, post, screening)


def _add_post(actor, thread, body, warning, key, alias, now) -> Post:
    post = Post(thread_id=thread.id, author_id=actor.id, alias_number=alias, body_md=body,
                body_html=markdown.render(body), content_warning=warning, created_at=now, submission_key=key)
    db.session.add(post)
    db.session.flush()
    return post


def _after_post(actor: Member, thread: Thread, post: Post, screening: safety.Screening,
                is_new_thread: bool) -> None:
    search.index_post(post, thread)
    if screening.hold:
        return  # invisible until released: no counts, no notifications, no live notice
    _count_post(thread, post)
    _follow(actor, thread)
    _notify_for_new_post(actor, thread, post, is_new_thread)
    events.on_commit(_publish_new_post, thread.id, post.id)


def _count_post(thread: Thread, post: Post) -> None:
    thread.post_count = (thread.post_count or 0) + 1
    thread.last_post_at = post.created_at
    thread.last_post_id = post.id


def _publish_new_post(thread_id: int, post_id: int) -> None:
    from app.extensions import socketio

    socketio.emit("thread:new_post", {"thread_id": thread_id, "post_id": post_id},
                  to=thread_room(thread_id), namespace="/forum")


def thread_room(thread_id: int) -> str:
    return f"thread:{thread_id}"


def _follow(actor: Member, thread: Thread) -> None:
    exists = db.session.scalar(select(ThreadFollow.id).where(ThreadFollow.member_id == actor.id,
                                                             ThreadFollow.thread_id == thread.id))
    if exists is None:
        db.session.add(ThreadFollow(member_id=actor.id, thread_id=thread.id))


_MENTION = re.compile(r"(?<![\w@])@([\w.-]{3,32})", re.UNICODE)


def _notify_for_new_post(actor: Member, thread: Thread, post: Post, is_new_thread: bool) -> None:
    label = author_label(post)
    notified: set[int] = {actor.id}
    if not is_new_thread:
        for member_id in db.session.scalars(select(ThreadFollow.member_id).where(ThreadFollow.thread_id == thread.id)):
            if member_id not in notified:
                notified.add(member_id)
                db.session.add(Notification(member_id=member_id, kind="reply", actor_label=label,
                                            thread_id=thread.id, post_id=post.id,
                                            text=stored(REPLIED, name=label, title=thread.title)))
    names = {m.group(1).casefold() for m in _MENTION.finditer(post.body_md)}
    if names:
        from app.services.pseudonyms import canonical

        keys = {canonical(n) for n in list(names)[:20]}
        for member in db.session.scalars(select(Member).where(Member.pseudonym_key.in_(keys))):
            if member.id in notified or not can_read_category(member, thread.category):
                continue
            notified.add(member.id)
            db.session.add(Notification(member_id=member.id, kind="mention", actor_label=label,
                                        thread_id=thread.id, post_id=post.id,
                                        text=stored(MENTIONED, name=label, title=thread.title)))


def edit_post(actor: Member | None, post: Post, body: object, content_warning: object = None) -> safety.Screening:
    """The author edits their post: the old version is kept for moderators, "edited" is shown
    to all, and the new text is screened again. Raises Invalid, Forbidden."""
    actor = permissions.require_member(actor)
    post = get_post_for(actor, post.id)
    if post.author_id != actor.id:
        raise Forbidden(_("Only the person who wrote a post can edit it."))
    if post.deleted_at or post.hidden_at:
        raise Forbidden(_("This post can't be edited any more."))
    if post.thread.locked and not is_staff(actor):
        raise Forbidden(_("This thread is locked."))
    clean_body, warning = _clean_body(body), _clean_warning(content_warning)
    if clean_body == post.body_md and warning == post.content_warning:
        return safety.Screening()
    db.session.add(PostRevision(post_id=post.id, body_md=post.body_md, content_warning=post.content_warning))
    post.body_md, post.body_html, post.content_warning = clean_body, markdown.render(clean_body), warning
    post.edited_at = utcnow()
    was_held = post.held_at is not None
    screening = safety.screen_post(actor, post, clean_body)
    search.index_post(post, post.thread)
    if screening.hold and not was_held:
        # It was visible and now threatens someone: take it out of the counts until reviewed.
        post.thread.post_count = max(0, post.thread.post_count - 1)
    db.session.commit()
    safety.announce(screening)
    return screening


def delete_own_post(actor: Member | None, post: Post) -> None:
    """The author deletes their post: its words are erased (not just hidden). A thread whose
    only post is deleted goes too. Raises Forbidden."""
    actor = permissions.require_member(actor)
    post = get_post_for(actor, post.id)
    if post.author_id != actor.id:
        raise Forbidden(_("Only the person who wrote a post can delete it."))
    _erase_post(post)
    thread = post.thread
    remaining = db.session.scalar(select(func.count(Post.id)).where(
        Post.thread_id == thread.id, Post.deleted_at.is_(None)))
    if not remaining:
        thread.deleted_at = utcnow()
    db.session.commit()


def _erase_post(post: Post) -> None:
    for rev in db.session.scalars(select(PostRevision).where(PostRevision.post_id == post.id)):
        db.session.delete(rev)
    post.body_md, post.body_html, post.content_warning = "", "", None
    post.service_id, post.service_card = None, None
    post.deleted_at = post.deleted_at or utcnow()
    search.unindex_post(post.id)


# ---------------------------------------------------------------- reactions, bookmarks, following

def toggle_reaction(actor: Member | None, post: Post, kind: object) -> bool:
    """Add or take back a supportive reaction. Returns True when it is now on."""
    actor = permissions.require_member(actor)
    post = get_post_for(actor, post.id)
    if kind not in REACTIONS:
        raise Invalid(_("That isn't one of the reactions."), "kind")
    if post.deleted_at or post.hidden_at:
        raise Forbidden(_("You can't react to a removed post."))
    row = db.session.scalar(select(Reaction).where(Reaction.post_id == post.id, Reaction.member_id == actor.id,
                                                   Reaction.kind == kind))
    if row is not None:
        db.session.delete(row)
        db.session.commit()
        return False
    db.session.add(Reaction(post_id=post.id, member_id=actor.id, kind=kind))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
    return True


def toggle_bookmark(actor: Member | None, post: Post) -> bool:
    actor = permissions.require_member(actor)
    post = get_post_for(actor, post.id)
    row = db.session.scalar(select(Bookmark).where(Bookmark.post_id == post.id, Bookmark.member_id == actor.id))
    if row is not None:
        db.session.delete(row)
        db.session.commit()
        return False
    db.session.add(Bookmark(post_id=post.id, member_id=actor.id))
    db.session.commit()
    return True


def bookmarks(actor: Member | None) -> list[tuple[Bookmark, Post]]:
    actor = permissions.require_member(actor)
    rows = db.session.execute(
        select(Bookmark, Post).join(Post, Post.id == Bookmark.post_id).join(Thread, Thread.id == Post.thread_id)
        .join(Category, Category.id == Thread.category_id)
        .where(Bookmark.member_id == actor.id, readable_category_filter(actor), Post.deleted_at.is_(None))
        .order_by(Bookmark.id.desc()).limit(200)).all()
    return [(b, p) for b, p in rows]


def set_following(actor: Member | None, thread: Thread, follow: bool) -> None:
    actor = permissions.require_member(actor)
    thread = get_thread_for(actor, thread.id)
    row = db.session.scalar(select(ThreadFollow).where(ThreadFollow.member_id == actor.id,
                                                       ThreadFollow.thread_id == thread.id))
    if follow and row is None:
        db.session.add(ThreadFollow(member_id=actor.id, thread_id=thread.id))
    elif not follow and row is not None:
        db.session.delete(row)
    db.session.commit()


# ---------------------------------------------------------------- notifications

def unread_notification_count(actor: Member | None) -> int:
    if actor is None:
        return 0
    # A page that read the count with its own queries a moment ago (the thread page) leaves it here.
    known = g.get("kindred_unread_notifications") if has_app_context() else None
    if known is not None and known[0] == actor.id:
        return known[1]
    return _run(_UNREAD_NOTIFICATIONS, {"me": actor.id}).scalar() or 0


# Asked on every page a member sees (the menu's badge): built once.
_UNREAD_NOTIFICATIONS = select(func.count(Notification.__table__.c.id)).where(
    Notification.__table__.c.member_id == bindparam("me"), Notification.__table__.c.read_at.is_(None))


def notifications(actor: Member | None, limit: int = 50) -> list[Notification]:
    actor = permissions.require_member(actor)
    return list(db.session.scalars(select(Notification).where(Notification.member_id == actor.id)
                                   .order_by(Notification.id.desc()).limit(limit)))


def mark_notifications_read(actor: Member | None) -> None:
    actor = permissions.require_member(actor)
    db.session.execute(update(Notification).where(Notification.member_id == actor.id,
                                                  Notification.read_at.is_(None)).values(read_at=utcnow()))
    db.session.commit()


def _notify_moderation(post_or_thread_author: int | None, text: str, thread: Thread | None, post: Post | None) -> None:
    if post_or_thread_author is None:
        return
    db.session.add(Notification(member_id=post_or_thread_author, kind="moderation", actor_label="Moderators",
                                thread_id=thread.id if thread else None, post_id=post.id if post else None,
                                text=text))


# ---------------------------------------------------------------- moderation

def _require_staff(actor: Member | None) -> Member:
    actor = permissions.require_member(actor)
    if not is_staff(actor):
        raise Forbidden(_("Only peer supporters, facilitators and admins can moderate."))
    return actor


def _reason(reason: object) -> str:
    return clean_text(reason, field="reason", label=_("The reason"), max_length=500, min_length=3,
                      multiline=False).strip()


THREAD_ACTIONS = THREAD_NOTES


def moderate_thread(actor: Member | None, thread: Thread, action: object, reason: object) -> None:
    """Lock, pin, hide or delete a thread (or undo it), with a reason. The opener is told;
    the audit log keeps it. Raises Forbidden, Invalid."""
    actor = _require_staff(actor)
    thread = get_thread_for(actor, thread.id)
    if action not in THREAD_ACTIONS:
        raise Invalid(_("Choose an action."), "action")
    why = _reason(reason)
    now = utcnow()
    if action in ("lock", "unlock"):
        thread.locked = action == "lock"
    elif action in ("pin", "unpin"):
        thread.pinned = action == "pin"
    elif action in ("hide", "unhide"):
        thread.hidden_at = now if action == "hide" else None
    elif action == "delete":
        thread.deleted_at = now
    audit.record(actor, f"thread.{action}", None, thread_id=thread.id, reason=why)
    _notify_moderation(thread.author_id, stored(THREAD_NOTES[action], title=thread.title, reason=why),
                       thread, None)
    db.session.commit()


def move_thread(actor: Member | None, thread: Thread, category: Category, reason: object) -> None:
    actor = _require_staff(actor)
    thread = get_thread_for(actor, thread.id)
    why = _reason(reason)
    if category.id == thread.category_id:
        return
    old = thread.category.name
    thread.category_id = category.id
    audit.record(actor, "thread.move", None, thread_id=thread.id, to=category.slug, reason=why)
    _notify_moderation(thread.author_id, stored(THREAD_MOVED, title=thread.title, old=old, new=category.name,
                                                reason=why), thread, None)
    db.session.commit()


POST_ACTIONS = POST_NOTES


def moderate_post(actor: Member | None, post: Post, action: object, reason: object) -> None:
    """Hide, restore, delete, or release (a held post) with a reason; the writer is told."""
    actor = _require_staff(actor)
    post = get_post_for(actor, post.id)
    if action not in POST_ACTIONS:
        raise Invalid(_("Choose an action."), "action")
    why = _reason(reason)
    thread = post.thread
    if action == "hide":
        post.hidden_at = utcnow()
    elif action == "unhide":
        post.hidden_at = None
    elif action == "delete":
        _erase_post(post)
    elif action == "release":
        if post.held_at is None:
            raise Invalid(_("This post isn't held."))
        post.held_at = None
        _count_post(thread, post)
        if post.author is not None:
            _notify_for_new_post(post.author, thread, post, is_new_thread=False)
        events.on_commit(_publish_new_post, thread.id, post.id)
    audit.record(actor, f"post.{action}", None, post_id=post.id, thread_id=thread.id, reason=why)
    _notify_moderation(post.author_id, stored(POST_NOTES[action], title=thread.title, reason=why),
                       thread, post)
    db.session.commit()


def held_posts(actor: Member | None) -> list[Post]:
    _require_staff(actor)
    return list(db.session.scalars(select(Post).where(Post.held_at.isnot(None), Post.deleted_at.is_(None))
                                   .order_by(Post.held_at).limit(100)))


def revisions(actor: Member | None, post: Post) -> list[PostRevision]:
    _require_staff(actor)
    return list(db.session.scalars(select(PostRevision).where(PostRevision.post_id == post.id)
                                   .order_by(PostRevision.id.desc())))


def reveal_author(actor: Member | None, post: Post, reason: object) -> Member | None:
    """Admins only: who wrote an anonymous post. Needs a written reason; audited."""
    actor = permissions.require_admin(actor)
    why = _reason(reason)
    if post.alias_number is None:
        raise Invalid(_("This post wasn't written anonymously."))
    audit.record(actor, "post.reveal_author", post.author, post_id=post.id, reason=why)
    db.session.commit()
    return post.author


# ---------------------------------------------------------------- peer groups

def request_to_join(actor: Member | None, category: Category) -> str:
    actor = permissions.require_member(actor)
    if not category.is_group:
        raise Invalid(_("This category is open to everyone."))
    row = db.session.scalar(select(GroupMembership).where(GroupMembership.category_id == category.id,
                                                          GroupMembership.member_id == actor.id))
    if row is None:
        db.session.add(GroupMembership(category_id=category.id, member_id=actor.id, status="pending"))
        db.session.commit()
        return "pending"
    return row.status


def leave_group(actor: Member | None, category: Category) -> None:
    actor = permissions.require_member(actor)
    row = db.session.scalar(select(GroupMembership).where(GroupMembership.category_id == category.id,
                                                          GroupMembership.member_id == actor.id))
    if row is not None:
        db.session.delete(row)
        db.session.commit()


def group_requests(actor: Member | None, category: Category) -> list[GroupMembership]:
    actor = permissions.require_member(actor)
    if not permissions.is_facilitator(actor):
        raise Forbidden(_("Only facilitators can manage a peer group's members."))
    return list(db.session.scalars(select(GroupMembership).where(GroupMembership.category_id == category.id)
                                   .order_by(GroupMembership.status.desc(), GroupMembership.requested_at)))


def decide_membership(actor: Member | None, category: Category, member_id: int, approve: bool) -> None:
    """A facilitator approves or declines (or removes) a member of a peer group."""
    actor = permissions.require_member(actor)
    if not permissions.is_facilitator(actor):
        raise Forbidden(_("Only facilitators can manage a peer group's members."))
    row = db.session.scalar(select(GroupMembership).where(GroupMembership.category_id == category.id,
                                                          GroupMembership.member_id == member_id))
    if row is None:
        raise NotFound(_("That member hasn't asked to join."))
    if approve:
        row.status, row.decided_at = "approved", utcnow()
        db.session.add(Notification(member_id=member_id, kind="group", actor_label="Facilitators",
                                    text=stored(GROUP_JOINED, name=category.name)))
    else:
        db.session.delete(row)
    audit.record(actor, "group.approved" if approve else "group.declined", row.member, group=category.slug)
    db.session.commit()


# ---------------------------------------------------------------- categories (admin)

def save_category(actor: Member | None, category: Category | None, name: object, slug: object,
                  description: object, is_group: bool, position: object) -> Category:
    actor = permissions.require_admin(actor)
    name_s = clean_text(name, field="name", label=_("The name"), max_length=80, min_length=2, multiline=False).strip()
    slug_s = clean_text(slug, field="slug", label=_("The address"), max_length=64, min_length=2, multiline=False).strip()
    if not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", slug_s):
        raise Invalid(_("The address can use lower-case letters, digits and dashes only."), "slug")
    desc = clean_text(description or "", field="description", label=_("The description"), max_length=500).strip()
    try:
        pos = int(position) if position not in (None, "") else 0
    except (TypeError, ValueError):
        raise Invalid(_("The position should be a number."), "position") from None
    clash = db.session.scalar(select(Category.id).where(Category.slug == slug_s))
    if clash is not None and (category is None or clash != category.id):
        raise Invalid(_("Another category already uses that address."), "slug")
    if category is None:
        category = Category()
        db.session.add(category)
    category.name, category.slug, category.description = name_s, slug_s, desc
    category.is_group, category.position = bool(is_group), pos
    db.session.flush()
    audit.record(actor, "category.saved", None, category=slug_s)
    db.session.commit()
    return category


def set_archived(actor: Member | None, category: Category, archived: bool) -> None:
    actor = permissions.require_admin(actor)
    category.archived_at = utcnow() if archived else None
    audit.record(actor, "category.archived" if archived else "category.unarchived", None, category=category.slug)
    db.session.commit()


# ---------------------------------------------------------------- export and deletion

def _export(member: Member) -> dict:
    posts = db.session.scalars(select(Post).where(Post.author_id == member.id, Post.deleted_at.is_(None))
                               .order_by(Post.id))
    return {
        "posts": [
            {"id": p.id, "thread_id": p.thread_id, "thread_title": p.thread.title,
             "anonymous": p.alias_number is not None, "created_at": p.created_at.isoformat() + "Z",
             "edited_at": p.edited_at.isoformat() + "Z" if p.edited_at else None,
             "content_warning": p.content_warning, "body": p.body_md}
            for p in posts
        ],
        "threads_started": [
            {"id": t.id, "title": t.title, "anonymous": t.opener_alias is not None}
            for t in db.session.scalars(select(Thread).where(Thread.author_id == member.id, Thread.deleted_at.is_(None)))
        ],
        "bookmarks": list(db.session.scalars(select(Bookmark.post_id).where(Bookmark.member_id == member.id))),
        "reactions": [{"post_id": pid, "kind": kind} for pid, kind in db.session.execute(
            select(Reaction.post_id, Reaction.kind).where(Reaction.member_id == member.id))],
    }


def _erase(member: Member, choice: str) -> None:
    if choice == "remove":
        for post in db.session.scalars(select(Post).where(Post.author_id == member.id)):
            _erase_post(post)
        for thread in db.session.scalars(select(Thread).where(Thread.author_id == member.id)):
            remaining = db.session.scalar(select(func.count(Post.id)).where(
                Post.thread_id == thread.id, Post.deleted_at.is_(None), Post.author_id != member.id))
            if not remaining:
                thread.deleted_at = utcnow()
    # "keep": author_id becomes NULL by the foreign key (ON DELETE SET NULL): "deleted member".


def register_member_data() -> None:
    from app.services import member_data

    member_data.register("forum", _export, _erase)
