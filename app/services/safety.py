"""Screening every post (and, later, every chat line) for crisis language.

`screen` is the one place that turns the detector's assessment into consequences:
- level 0: nothing;
- level 1-3: a Flag for the peers' queue, and support resources shown privately to the writer;
- level 2-3: the writer is also offered a peer supporter;
- level 2-3 aimed at others: the post is held for review until a moderator releases it.
A crisis flag never hides, silences or punishes a writer who is at risk themselves.

The detector reads English only. Text in another language (moderation/language.py) is marked
"language not assessed" (on the post or line and on its flag) so peers never read a silent
detector as "nothing of concern", and it gets a level-0 queue item of kind "unassessed" (one per
post, one per writer and room for chat lines while it is open) so a peer who reads the language
can look at it. The writer can always ask for the support panel themselves ("I'd like support").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from app.i18n import N_
from app.extensions import db
from app.models import Flag, Member, Post, SupportResource
from app.models.base import utcnow

# Stored in English in the flag's reasons (peers read reasons in English, like the detector's)
# and shown translated where the app knows them (reasons_text).
REPORT_REASONS = {
    "crisis": N_("Someone may be in danger"),
    "outing": N_("It could identify someone (outing)"),
    "harassment": N_("Harassment or hate"),
    "misinformation": N_("Harmful health misinformation"),
    "spam": N_("Spam or advertising"),
    "other": N_("Something else"),
}


def report_reason_choices() -> list[tuple[str, str]]:
    """The report form's choices, in the reader's language."""
    return [(key, _(label)) for key, label in REPORT_REASONS.items()]


def reasons_text(reasons: list[str] | None) -> str:
    """A flag's reasons for peers: the app's own (report reasons) translated, the English-only
    detector's as they are."""
    return "; ".join(_(r) if r in _KNOWN_REASONS else r for r in (reasons or []))


_KNOWN_REASONS = set(REPORT_REASONS.values())


@dataclass(frozen=True)
class Screening:
    level: int = 0
    target: str | None = None
    reasons: tuple[str, ...] = ()
    flag: Flag | None = field(default=None, repr=False)
    # Written in a language the detector doesn't read: nobody has assessed it.
    not_assessed: bool = False

    @property
    def show_support(self) -> bool:
        return self.level >= 1

    @property
    def offer_peer(self) -> bool:
        return self.level >= 2

    @property
    def hold(self) -> bool:
        return self.level >= 2 and self.target == "others"


CONTEXT_WINDOW = timedelta(hours=6)
CONTEXT_LINES = 3


def assess_text(text: str, context: list[str] | None = None):
    """The detector, behind one door (so the app never imports it elsewhere)."""
    from moderation import assess

    return assess(text, context=context or None)


def _recent_posts(writer: Member, exclude_id: int | None) -> list[str]:
    """The writer's last few posts (oldest first): a mild line after a crisis stays elevated."""
    since = utcnow() - CONTEXT_WINDOW
    q = (select(Post.body_md).where(Post.author_id == writer.id, Post.created_at >= since,
                                    Post.deleted_at.is_(None))
         .order_by(Post.id.desc()).limit(CONTEXT_LINES))
    if exclude_id is not None:
        q = q.where(Post.id != exclude_id)
    return list(reversed(list(db.session.scalars(q))))


def is_assessable(text: str) -> bool:
    """Can the (English-only) detector read this? Short or unclear texts count as English."""
    from moderation.language import looks_english

    return looks_english(text)


def _unassessed_flag(writer: Member, text: str, **where) -> Flag:
    """A level-0 queue item so a peer who reads the language can look; reuses the open one for
    the same post (or the same writer in the same room)."""
    q = select(Flag).where(Flag.kind == "unassessed", Flag.state == "open", Flag.subject_id == writer.id)
    for column, value in where.items():
        if column != "chat_message_id":
            q = q.where(getattr(Flag, column) == value)
    existing = db.session.scalar(q.limit(1))
    if existing is not None:
        existing.excerpt = excerpt(text)
        return existing
    flag = Flag(kind="unassessed", level=0, reasons=[], subject_id=writer.id, excerpt=excerpt(text),
                language_not_assessed=True, created_at=utcnow(), **where)
    db.session.add(flag)
    return flag


def screen_post(writer: Member, post: Post, text: str) -> Screening:
    """Assess a new or edited post (with the writer's recent posts as context); record a Flag at
    level 1+, hold threats to others. Text the detector can't read is marked "language not
    assessed" and queued at level 0. Adds to the current transaction; the caller commits."""
    assessable = is_assessable(text)
    post.language_not_assessed = not assessable
    a = assess_text(text, _recent_posts(writer, post.id))
    if a.level <= 0:
        if not assessable:
            if post.id is None:
                db.session.flush()
            return Screening(not_assessed=True, flag=_unassessed_flag(writer, text, post_id=post.id))
        return Screening()
    flag = Flag(kind="crisis", level=a.level, target=a.target, reasons=list(a.reasons),
                post=post, subject_id=writer.id, excerpt=excerpt(text), created_at=utcnow(),
                language_not_assessed=not assessable)
    flag.escalate_at = escalation_deadline(flag)
    db.session.add(flag)
    result = Screening(level=a.level, target=a.target, reasons=tuple(a.reasons), flag=flag,
                       not_assessed=not assessable)
    if result.hold:
        post.held_at = utcnow()
    return result


def screen_line(writer: Member, message, room, text: str) -> Screening:
    """Assess a chat line (with the writer's recent lines in that room as context); record a
    Flag at level 1+. Lines are never held: the room's facilitator and the peers are alerted
    instead. Adds to the current transaction; the caller commits."""
    from app.models import ChatMessage

    recent = list(reversed(list(db.session.scalars(
        select(ChatMessage.body).where(ChatMessage.room_id == room.id, ChatMessage.author_id == writer.id,
                                       ChatMessage.id != message.id, ChatMessage.created_at >= utcnow() - CONTEXT_WINDOW)
        .order_by(ChatMessage.id.desc()).limit(CONTEXT_LINES)))))
    assessable = is_assessable(text)
    message.language_not_assessed = not assessable
    a = assess_text(text, recent)
    if a.level <= 0:
        if not assessable:
            return Screening(not_assessed=True, flag=_unassessed_flag(
                writer, text, room_id=room.id, chat_message_id=message.id))
        return Screening()
    flag = Flag(kind="crisis", level=a.level, target=a.target, reasons=list(a.reasons),
                chat_message_id=message.id, room_id=room.id, subject_id=writer.id, excerpt=excerpt(text),
                created_at=utcnow(), language_not_assessed=not assessable)
    flag.escalate_at = escalation_deadline(flag)
    db.session.add(flag)
    return Screening(level=a.level, target=a.target, reasons=tuple(a.reasons), flag=flag,
                     not_assessed=not assessable)


def excerpt(text: str) -> str:
    """A short excerpt for peers (never logged)."""
    text = " ".join((text or "").split())
    return text[:237] + "…" if len(text) > 240 else text


def escalation_deadline(flag: Flag):
    """Unclaimed level 3 flags escalate after ESCALATE_L3_SECONDS, level 2 after ESCALATE_L2_SECONDS."""
    from flask import current_app

    if flag.level < 2 or flag.kind not in ("crisis", "concern"):
        return None
    seconds = current_app.config["ESCALATE_L3_SECONDS" if flag.level >= 3 else "ESCALATE_L2_SECONDS"]
    return flag.created_at + timedelta(seconds=seconds)


def announce(screening: Screening) -> None:
    """After the commit: alert the peers on duty about a level 2-3 flag."""
    if screening.flag is not None and screening.level >= 2:
        from app.services import duty

        duty.announce(screening.flag)


def report_post(reporter: Member, post: Post, reason: object, note: object) -> Flag:
    """A member's report about a post: a Flag of kind "report" for the peers' queue.
    The reported writer never learns who reported. Raises Invalid."""
    from app.services.errors import Invalid
    from app.services.text import clean_text

    if reason not in REPORT_REASONS:
        raise Invalid(_("Please choose why you're reporting this post."), "reason")
    text = clean_text(note or "", field="note", label=_("The note"), max_length=1000)
    existing = db.session.scalar(select(Flag).where(
        Flag.kind == "report", Flag.post_id == post.id, Flag.reporter_id == reporter.id, Flag.state == "open"))
    if existing is not None:
        return existing
    level = 1 if reason == "crisis" else 0
    flag = Flag(kind="report", level=level, post=post, subject_id=post.author_id, reporter_id=reporter.id,
                report_reason=reason, report_note=text.strip() or None, reasons=[REPORT_REASONS[reason]],
                language_not_assessed=bool(post.language_not_assessed))
    db.session.add(flag)
    db.session.commit()
    return flag


def support_resources() -> list[SupportResource]:
    """Crisis lines first, then services, in the admin's order."""
    return list(db.session.scalars(
        select(SupportResource).where(SupportResource.active.is_(True))
        .order_by(SupportResource.is_crisis_line.desc(), SupportResource.position, SupportResource.id)))


def save_resource(actor: Member | None, resource: SupportResource | None, name: object, description: object,
                  contact: object, url: object, is_crisis_line: bool, position: object,
                  hours: object = "") -> SupportResource:
    """Admins add or change a support resource. Raises Invalid, Forbidden."""
    from urllib.parse import urlsplit

    from app.services import audit, permissions
    from app.services.errors import Invalid
    from app.services.text import clean_text

    actor = permissions.require_admin(actor)
    name_s = clean_text(name, field="name", label=_("The name"), max_length=120, min_length=2, multiline=False).strip()
    desc = clean_text(description or "", field="description", label=_("The description"), max_length=500).strip()
    contact_s = clean_text(contact or "", field="contact", label=_("The contact"), max_length=200,
                           multiline=False).strip()
    url_s = clean_text(url or "", field="url", label=_("The web address"), max_length=300, multiline=False).strip()
    hours_s = clean_text(hours or "", field="hours", label=_("The opening hours"), max_length=200, multiline=False).strip()
    if url_s:
        parts = urlsplit(url_s)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise Invalid(_("Enter a full web address starting with https://"), "url")
    try:
        pos = int(position) if position not in (None, "") else 0
    except (TypeError, ValueError):
        raise Invalid(_("The position should be a number."), "position") from None
    if resource is None:
        resource = SupportResource()
        db.session.add(resource)
    resource.name, resource.description, resource.contact = name_s, desc, contact_s
    resource.url, resource.is_crisis_line, resource.position = url_s or None, bool(is_crisis_line), pos
    resource.hours = hours_s
    resource.is_example = False
    audit.record(actor, "resource.saved", None, name=name_s)
    db.session.commit()
    return resource


def set_resource_active(actor: Member | None, resource: SupportResource, active: bool) -> None:
    from app.services import audit, permissions

    actor = permissions.require_admin(actor)
    resource.active = bool(active)
    audit.record(actor, "resource.shown" if active else "resource.hidden", None, name=resource.name)
    db.session.commit()


def all_resources() -> list[SupportResource]:
    return list(db.session.scalars(select(SupportResource).order_by(
        SupportResource.is_crisis_line.desc(), SupportResource.position, SupportResource.id)))
