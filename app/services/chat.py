"""Live rooms: who may join and speak, lines stored before they are broadcast, facilitator
controls, presence, retention, and one-to-one peer chats.

"Can this member speak in this room?" is answered by `check_can_speak` and nowhere else; the
socket handlers and the HTTP pages both call these functions.
"""

from __future__ import annotations

import re
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from threading import Lock

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError

from app.i18n import N_, parse_stored, register_stored, stored
from app.extensions import db, socketio
from app.models import (
    Category, ChatMessage, Member, Notification, PeerRequest, Room, RoomFacilitator, RoomParticipant, RoomPresence,
    RoomReminder,
)
from app.models.base import utcnow
from app.services import audit, directory, forums, permissions, safety, workers
from app.services.errors import Forbidden, Invalid, NotFound, RateLimited
from app.services.text import clean_text

NS = "/chat"
LINE_MAX = 2000
HISTORY = 50
CATCH_UP_MAX = 500
CLIENT_ID_RE = re.compile(r"^[\w.:-]{1,64}$")

REMOVED = _l("A facilitator removed you from this session.")
LOCKED = _l("The room is locked: only facilitators can write for now.")
ENDED = _l("This session has ended.")
NOT_OPEN = _l("This session hasn't started yet. It opens when a facilitator arrives.")
RULES = _l("Please read and accept the ground rules first.")

# System lines and the names of private rooms are stored in English and shown in each reader's
# language (app.i18n: stored texts).
PRIVATE_ROOM_NAME = N_("Private conversation with a peer supporter")
SYSTEM_LINES = (
    N_("The facilitator opened the session. Welcome."),
    N_("The session has ended. Thank you for being here."),
    N_("The facilitator unpinned the message."),
    N_("The facilitator pinned a message."),
    N_("Slow mode is on: one line every %(num)s seconds each."),
    N_("Slow mode is off."),
    N_("The facilitator locked the room: reading only for now."),
    N_("The room is open for everyone to write again."),
    N_("Sharing circle: raise your hand to speak, and the facilitator will give you the floor."),
    N_("The sharing circle is over: everyone can write."),
    N_("%(name)s has the floor."),
    N_("The facilitator muted %(name)s for %(num)s minute."),
    N_("The facilitator muted %(name)s for %(num)s minutes."),
    N_("The facilitator unmuted %(name)s."),
    N_("The facilitator removed %(name)s from the session."),
    N_("The facilitator deleted a line."),
    N_("A peer supporter is here. This conversation is private: only the two of you can read it."),
    N_("The conversation has ended. You can always ask to talk again."),
)
SESSION_STARTED = N_("The session “%(name)s” has started.")
register_stored(PRIVATE_ROOM_NAME, SESSION_STARTED)
register_stored(*SYSTEM_LINES, group="chat")


def room_channel(room_id: int) -> str:
    return f"room:{room_id}"


def staff_channel(room_id: int) -> str:
    """Facilitators of a room (and peers present) hear alerts here."""
    return f"room-staff:{room_id}"


def member_channel(member_id: int) -> str:
    return f"member:{member_id}"


# ---------------------------------------------------------------- reading rooms

def is_room_facilitator(actor: Member | None, room: Room) -> bool:
    if actor is None:
        return False
    if permissions.is_admin(actor):
        return True
    if room.kind == "private":
        return False
    listed = db.session.scalar(select(RoomFacilitator.id).where(
        RoomFacilitator.room_id == room.id, RoomFacilitator.member_id == actor.id))
    return listed is not None or (room.kind == "standing" and permissions.is_facilitator(actor))


def _private_member(actor: Member, room: Room) -> bool:
    return db.session.scalar(select(PeerRequest.id).where(
        PeerRequest.room_id == room.id, or_(PeerRequest.member_id == actor.id, PeerRequest.peer_id == actor.id))) is not None


def can_see_room(actor: Member | None, room: Room) -> bool:
    if room.archived_at is not None:
        return False
    if room.kind == "private":
        return actor is not None and _private_member(actor, room)
    if room.group_category_id is not None:
        category = db.session.get(Category, room.group_category_id)
        return category is None or forums.can_read_category(actor, category)
    return True


def get_room_for(actor: Member | None, room_id: object) -> Room:
    """The room, if actor may see it. NotFound otherwise (a private room never says it exists)."""
    if not isinstance(room_id, int) or isinstance(room_id, bool) or not 0 < room_id < 2**62:
        raise Invalid(_("Which room? Send its number."), "room")
    room = db.session.get(Room, room_id)
    if room is None or not can_see_room(actor, room):
        raise NotFound(_("There's no such room, or you can't join it."))
    return room


def room_state(room: Room) -> str:
    """standing | waiting (scheduled, no facilitator yet) | open | ended."""
    if room.ended_at is not None:
        return "ended"
    if room.kind in ("standing", "private"):
        return "open"
    return "open" if room.opened_at is not None else "waiting"


@dataclass
class RoomListing:
    standing: list[Room]
    sessions: list[Room]
    reminders: set[int]
    mine_private: list[Room]


def list_rooms(actor: Member | None) -> RoomListing:
    rooms = list(db.session.scalars(select(Room).where(Room.archived_at.is_(None), Room.kind != "private")
                                    .order_by(Room.starts_at.is_(None).desc(), Room.starts_at, Room.id)))
    visible = [r for r in rooms if can_see_room(actor, r)]
    now = utcnow()
    standing = [r for r in visible if r.kind == "standing"]
    sessions = [r for r in visible if r.kind == "session" and r.ended_at is None
                and (r.ends_at is None or r.ends_at > now - timedelta(hours=1))]
    reminders: set[int] = set()
    private: list[Room] = []
    if actor:
        reminders = set(db.session.scalars(select(RoomReminder.room_id).where(RoomReminder.member_id == actor.id)))
        private = list(db.session.scalars(
            select(Room).join(PeerRequest, PeerRequest.room_id == Room.id)
            .where(or_(PeerRequest.member_id == actor.id, PeerRequest.peer_id == actor.id),
                   PeerRequest.state == "accepted")))
    return RoomListing(standing, sessions, reminders, private)


# ---------------------------------------------------------------- creating rooms

def _clean_name(value: object, label: str = _l("The name")) -> str:
    return " ".join(clean_text(value, field="name", label=label, max_length=120, min_length=3,
                               multiline=False).split())


def create_room(actor: Member | None, *, kind: object, name: object, description: object = "",
                ground_rules: object = "", starts_at: datetime | None = None, ends_at: datetime | None = None,
                capacity: object = None, retention_days: object = 30, vanish_on_end: bool = False,
                group_category_id: int | None = None) -> Room:
    """Facilitators schedule sessions; admins also make standing rooms. Raises Invalid, Forbidden."""
    actor = permissions.require_member(actor)
    if kind not in ("standing", "session"):
        raise Invalid(_("Choose a standing room or a scheduled session."), "kind")
    if kind == "standing" and not permissions.is_admin(actor):
        raise Forbidden(_("Only admins can create standing rooms."))
    if not permissions.is_facilitator(actor):
        raise Forbidden(_("Only facilitators can schedule sessions."))
    room = Room(kind=kind, name=_clean_name(name),
                description=clean_text(description or "", field="description", label=_("The description"),
                                       max_length=1000).strip(),
                ground_rules=clean_text(ground_rules or "", field="ground_rules", label=_("The ground rules"),
                                        max_length=4000).strip(),
                created_by_id=actor.id, vanish_on_end=bool(vanish_on_end))
    room.retention_days = _bounded_int(retention_days, "retention_days", _("The retention"), 1, 3650, 30)
    if capacity not in (None, ""):
        room.capacity = _bounded_int(capacity, "capacity", _("The capacity"), 2, 1000, None)
    if kind == "session":
        if starts_at is None:
            raise Invalid(_("When does the session start?"), "starts_at")
        if ends_at is not None and ends_at <= starts_at:
            raise Invalid(_("The session has to end after it starts."), "ends_at")
        room.starts_at, room.ends_at = starts_at, ends_at
    room.group_category_id = group_category_id
    db.session.add(room)
    db.session.flush()
    if kind == "session":
        db.session.add(RoomFacilitator(room_id=room.id, member_id=actor.id))
    audit.record(actor, "room.created", None, room_id=room.id, kind=kind)
    db.session.commit()
    return room


def set_retention(actor: Member | None, room: Room, days: object, vanish_on_end: bool) -> None:
    actor = permissions.require_admin(actor)
    room.retention_days = _bounded_int(days, "retention_days", _("The retention"), 1, 3650, 30)
    room.vanish_on_end = bool(vanish_on_end)
    audit.record(actor, "room.retention", None, room_id=room.id, days=room.retention_days,
                 vanish_on_end=room.vanish_on_end)
    db.session.commit()


def _bounded_int(value: object, field: str, label: str, low: int, high: int, default):
    if value in (None, ""):
        return default
    try:
        number = int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise Invalid(_("%(label)s should be a whole number.", label=label), field) from None
    if not low <= number <= high:
        raise Invalid(_("%(label)s should be between %(low)s and %(high)s.", label=label, low=low, high=high), field)
    return number


def set_reminder(actor: Member | None, room: Room, on: bool) -> None:
    actor = permissions.require_member(actor)
    row = db.session.scalar(select(RoomReminder).where(RoomReminder.room_id == room.id,
                                                       RoomReminder.member_id == actor.id))
    if on and row is None:
        db.session.add(RoomReminder(room_id=room.id, member_id=actor.id))
    elif not on and row is not None:
        db.session.delete(row)
    db.session.commit()


# ---------------------------------------------------------------- joining

def participant(actor: Member, room: Room) -> RoomParticipant | None:
    return db.session.scalar(select(RoomParticipant).where(RoomParticipant.room_id == room.id,
                                                           RoomParticipant.member_id == actor.id))


def accept_rules(actor: Member | None, room: Room, anonymous: bool = False) -> RoomParticipant:
    """Read-and-accept the ground rules once; optionally join under a per-room alias."""
    actor = permissions.require_member(actor)
    room = get_room_for(actor, room.id)
    p = participant(actor, room)
    if p is None:
        p = RoomParticipant(room_id=room.id, member_id=actor.id)
        db.session.add(p)
    if p.removed_at is not None:
        raise Forbidden(REMOVED)
    p.accepted_rules_at = p.accepted_rules_at or utcnow()
    if anonymous and p.alias_number is None and room.kind != "private":
        room.alias_count = (room.alias_count or 0) + 1
        p.alias_number = room.alias_count
    db.session.commit()
    return p


def label_for(actor: Member, p: RoomParticipant | None) -> str:
    if p is not None and p.alias_number is not None:
        return f"{forums.ANONYMOUS} {p.alias_number}"  # stored with each line: English, like a pseudonym
    return actor.pseudonym


def _needs_rules(room: Room) -> bool:
    return room.kind == "session" and bool(room.ground_rules)


def check_can_join(actor: Member, room: Room) -> RoomParticipant:
    """May actor enter this room now? Returns their participant row (created for open rooms
    without rules). Raises Forbidden with a sentence for a person."""
    p = participant(actor, room)
    facilitator = is_room_facilitator(actor, room)
    if p is not None and p.removed_at is not None and not facilitator:
        raise Forbidden(REMOVED)
    if _needs_rules(room) and not facilitator and (p is None or p.accepted_rules_at is None):
        raise Forbidden(RULES)
    if room.capacity and not facilitator and p is None:
        count = db.session.scalar(select(func.count(RoomParticipant.id)).where(
            RoomParticipant.room_id == room.id, RoomParticipant.removed_at.is_(None))) or 0
        if count >= room.capacity:
            raise Forbidden(_("This session is full."))
    if p is None:
        p = RoomParticipant(room_id=room.id, member_id=actor.id, accepted_rules_at=utcnow())
        db.session.add(p)
        db.session.flush()
    return p


@dataclass
class Joined:
    room: Room
    participant: RoomParticipant
    state: str
    facilitator: bool
    messages: list[ChatMessage]
    arrived: bool  # this member's first open socket in the room


def join(actor: Member | None, room_id: object, since: object = None, sid: str | None = None) -> Joined:
    """Enter a room: checks, presence, and the lines the client has not seen (after `since`,
    in order) or the recent history. Raises Invalid, NotFound, Forbidden."""
    actor = permissions.require_member(actor)
    room = get_room_for(actor, room_id)
    p = check_can_join(actor, room)
    if since is not None and (not isinstance(since, int) or isinstance(since, bool) or since < 0):
        raise Invalid(_("`since` should be the id of the last line you saw."), "since")
    arrived = False
    if sid:
        mine = set(db.session.scalars(select(RoomPresence.sid).where(RoomPresence.room_id == room.id,
                                                                     RoomPresence.member_id == actor.id)))
        if sid not in mine:
            workers.ensure_registered()
            db.session.add(RoomPresence(room_id=room.id, member_id=actor.id, sid=sid,
                                        worker_id=workers.worker_id()))
            arrived = not mine
    db.session.commit()
    return Joined(room, p, room_state(room), is_room_facilitator(actor, room), history(room, since), arrived)


def history(room: Room, since: int | None = None) -> list[ChatMessage]:
    q = select(ChatMessage).where(ChatMessage.room_id == room.id, ChatMessage.deleted_at.is_(None))
    if since is not None:
        return list(db.session.scalars(q.where(ChatMessage.id > since).order_by(ChatMessage.id).limit(CATCH_UP_MAX)))
    return list(reversed(list(db.session.scalars(q.order_by(ChatMessage.id.desc()).limit(HISTORY)))))


def leave(actor: Member, room_id: int, sid: str) -> None:
    """A socket leaves a room; the room hears of it if that was the member's last socket there."""
    _forget(sid, [room_id])


def drop_socket(sid: str) -> None:
    """A socket closed: forget its presence everywhere (and tell rooms it was the last one of)."""
    _forget(sid, list(db.session.scalars(select(RoomPresence.room_id).where(RoomPresence.sid == sid))))


def _forget(sid: str, room_ids: list[int]) -> None:
    rows = list(db.session.scalars(select(RoomPresence).where(RoomPresence.sid == sid,
                                                              RoomPresence.room_id.in_(room_ids))))
    if not rows:
        return
    for row in rows:
        db.session.delete(row)
    db.session.commit()
    for row in rows:
        still_here = db.session.scalar(select(RoomPresence.id).where(
            RoomPresence.room_id == row.room_id, RoomPresence.member_id == row.member_id).limit(1))
        room = db.session.get(Room, row.room_id)
        member = db.session.get(Member, row.member_id)
        if still_here is None and room is not None and member is not None:
            publish_presence(room, left=presence_entry(member, room))


def presence_entry(member: Member, room: Room) -> dict:
    p = participant(member, room)
    listed = db.session.scalar(select(RoomFacilitator.id).where(RoomFacilitator.room_id == room.id,
                                                                RoomFacilitator.member_id == member.id))
    return {"name": label_for(member, p), "facilitator": listed is not None}


def presence_count(room: Room) -> int:
    return db.session.scalar(select(func.count(func.distinct(RoomPresence.member_id)))
                             .where(RoomPresence.room_id == room.id)) or 0


def publish_presence(room: Room, joined: dict | None = None, left: dict | None = None) -> None:
    """Tell the room who arrived or left: one small event, never the whole list (the join ack
    carries the list; a full list to everyone on every join grows with the square of the room)."""
    payload = {"room": room.id, "count": presence_count(room)}
    if joined is not None:
        payload["joined"] = joined
    if left is not None:
        payload["left"] = left
    socketio.emit("room:presence", payload, to=room_channel(room.id), namespace=NS)


def presence(room: Room) -> list[dict]:
    """Who is here, by alias or pseudonym, one entry per member (not per tab)."""
    rows = db.session.execute(
        select(RoomPresence.member_id, Member.pseudonym, RoomParticipant.alias_number)
        .join(Member, Member.id == RoomPresence.member_id)
        .outerjoin(RoomParticipant, (RoomParticipant.room_id == RoomPresence.room_id)
                   & (RoomParticipant.member_id == RoomPresence.member_id))
        .where(RoomPresence.room_id == room.id)).all()
    seen: dict[int, dict] = {}
    facilitators = set(db.session.scalars(select(RoomFacilitator.member_id).where(RoomFacilitator.room_id == room.id)))
    for member_id, pseudonym, alias in rows:
        seen[member_id] = {"name": f"Anonymous {alias}" if alias is not None else pseudonym,
                           "facilitator": member_id in facilitators}
    return sorted(seen.values(), key=lambda x: (not x["facilitator"], x["name"].casefold()))


def clear_presence() -> None:
    """At start-up (one process): nobody is connected yet."""
    db.session.execute(delete(RoomPresence))
    db.session.commit()


# ---------------------------------------------------------------- speaking

class _Flood:
    """Per-member line rate limit, in memory: N lines per window seconds."""

    def __init__(self):
        self._lock = Lock()
        self._hits: dict[int, deque] = {}

    def hit(self, member_id: int, limit: int, window: float) -> float | None:
        now = time.monotonic()
        with self._lock:
            q = self._hits.setdefault(member_id, deque())
            while q and now - q[0] > window:
                q.popleft()
            if len(q) >= limit:
                return window - (now - q[0])
            q.append(now)
            return None


class _SharedFlood:
    """The same limit counted in Redis, so a member's sockets on several workers share it (a
    moving window from the `limits` library, which Flask-Limiter uses too). If Redis is away,
    this worker's own memory counts meanwhile."""

    def __init__(self, url: str, prefix: str):
        from limits.storage import storage_from_string
        from limits.strategies import MovingWindowRateLimiter

        self._limiter = MovingWindowRateLimiter(storage_from_string(url))
        self._prefix = prefix
        self._local = _Flood()

    def hit(self, member_id: int, limit: int, window: float) -> float | None:
        from limits import RateLimitItemPerSecond

        item = RateLimitItemPerSecond(limit, max(1, int(window)))
        key = f"{self._prefix}:chat-lines:{member_id}"
        try:
            if self._limiter.hit(item, key):
                return None
            reset_at, _remaining = self._limiter.get_window_stats(item, key)
            return max(0.1, reset_at - time.time())
        except Exception:  # Redis away: count in memory until it is back
            return self._local.hit(member_id, limit, window)


def _flood() -> _Flood | _SharedFlood:
    """One limiter per app (tests build many apps; production has one per worker), counting in
    Redis when the app has it."""
    flood = current_app.extensions.get("kindred_chat_flood")
    if flood is None:
        url = current_app.config.get("REDIS_URL")
        flood = (_SharedFlood(url, current_app.config.get("RATELIMIT_KEY_PREFIX", "kindred")) if url
                 else _Flood())
        current_app.extensions["kindred_chat_flood"] = flood
    return flood


def check_can_speak(actor: Member, room: Room, p: RoomParticipant | None) -> RoomParticipant:
    """The one answer to "can this member speak in this room now?". Raises Forbidden or
    RateLimited with a sentence for a person."""
    facilitator = is_room_facilitator(actor, room)
    state = room_state(room)
    if state == "ended":
        raise Forbidden(ENDED)
    if state == "waiting" and not facilitator:
        raise Forbidden(NOT_OPEN)
    if p is None:
        p = check_can_join(actor, room)
    if p.removed_at is not None and not facilitator:
        raise Forbidden(REMOVED)
    if _needs_rules(room) and p.accepted_rules_at is None and not facilitator:
        raise Forbidden(RULES)
    if facilitator:
        return p
    now = utcnow()
    if p.muted_until is not None and p.muted_until > now:
        reason = (p.mute_reason or "").strip()
        muted = _("You're muted in this room until %(time)s UTC.", time=p.muted_until.strftime("%H:%M"))
        raise Forbidden(f"{muted} {reason}".strip())
    if room.locked:
        raise Forbidden(LOCKED)
    if room.raise_hand and room.floor_member_id != actor.id:
        raise Forbidden(_("It's a sharing circle: raise your hand and wait for the facilitator to give you the floor."))
    if room.slow_mode_seconds and p.last_line_at is not None:
        wait = room.slow_mode_seconds - (now - p.last_line_at).total_seconds()
        if wait > 0:
            raise RateLimited(_("Slow mode is on: you can send one line every %(num)s seconds. "
                                "Please wait %(wait)s more.", num=room.slow_mode_seconds, wait=int(wait) + 1),
                              retry_after=int(wait) + 1)
    return p


@dataclass
class Sent:
    message: ChatMessage
    duplicate: bool
    screening: safety.Screening


def post_message(actor: Member | None, room_id: object, body: object, client_id: object = None) -> Sent:
    """Store a line, screen it, then (after commit) broadcast it. A resend with the same
    client_id returns the stored line instead of a second copy. Raises Invalid, NotFound,
    Forbidden, RateLimited."""
    actor = permissions.require_member(actor)
    room = get_room_for(actor, room_id)
    text = clean_text(body, field="body", label=_("Your message"), max_length=LINE_MAX, min_length=1)
    cid = _client_id(client_id)
    dup = _sent_before(actor, room, cid)
    if dup is not None:
        return Sent(dup, True, safety.Screening())
    p = _ready_to_speak(actor, room)
    now = utcnow()
    msg = ChatMessage(room_id=room.id, author_id=actor.id, author_label=label_for(actor, p), kind="line",
                      body=text, client_id=cid, created_at=now)
    db.session.add(msg)
    p.last_line_at = now
    try:
        db.session.flush()
    except IntegrityError:  # the same client_id raced itself
        db.session.rollback()
        return Sent(_sent_before(actor, room, cid), True, safety.Screening())
    screening = safety.screen_line(actor, msg, room, text)
    db.session.commit()
    # Stored and committed first, then broadcast: a line nobody could load again is never shown.
    _publish_line(room.id, message_payload(msg))
    if screening.flag is not None and screening.level >= 2:
        _alert_staff(room, msg, screening)
        safety.announce(screening)
    return Sent(msg, False, screening)


def _client_id(client_id: object) -> str | None:
    if client_id in (None, ""):
        return None
    if not isinstance(client_id, str) or not CLIENT_ID_RE.match(client_id):
        raise Invalid(_("client_id should be up to 64 letters, digits, dots, dashes or colons."), "client_id")
    return client_id


def _sent_before(actor: Member, room: Room, cid: str | None) -> ChatMessage | None:
    """The line this member already sent with this client_id (a resend), if any."""
    if cid is None:
        return None
    return db.session.scalar(select(ChatMessage).where(ChatMessage.room_id == room.id,
                                                       ChatMessage.author_id == actor.id,
                                                       ChatMessage.client_id == cid))


def _ready_to_speak(actor: Member, room: Room) -> RoomParticipant:
    """check_can_speak, then the per-member flood limit. Raises Forbidden, RateLimited."""
    p = check_can_speak(actor, room, participant(actor, room))
    cfg = current_app.config
    wait = _flood().hit(actor.id, cfg["CHAT_LINES_PER_WINDOW"], cfg["CHAT_WINDOW_SECONDS"])
    if wait is not None:
        raise RateLimited(_("You're sending lines very fast. Please wait a moment."), retry_after=int(wait) + 1)
    return p


def share_service(actor: Member | None, room_id: object, service_id: object, client_id: object = None) -> Sent:
    """A peer supporter, facilitator or admin shares a directory entry as a card line. The same
    rules as any line apply (check_can_speak, flood limit, client_id resends). The line keeps a
    snapshot of the entry; readers see the live entry while it is approved. Not screened: the
    words are the directory's, not the sharer's. Raises Invalid, NotFound, Forbidden, RateLimited."""
    actor = permissions.require_member(actor)
    room = get_room_for(actor, room_id)
    service = directory.get_shareable(actor, service_id)
    cid = _client_id(client_id)
    dup = _sent_before(actor, room, cid)
    if dup is not None:
        return Sent(dup, True, safety.Screening())
    p = _ready_to_speak(actor, room)
    now = utcnow()
    snap = directory.snapshot(service)
    msg = ChatMessage(room_id=room.id, author_id=actor.id, author_label=label_for(actor, p), kind="card",
                      body=directory.card_from(service, snap).text(), client_id=cid, created_at=now,
                      service_id=service.id, card=snap)
    db.session.add(msg)
    p.last_line_at = now
    try:
        db.session.flush()
    except IntegrityError:  # the same client_id raced itself
        db.session.rollback()
        return Sent(_sent_before(actor, room, cid), True, safety.Screening())
    db.session.commit()
    _publish_line(room.id, message_payload(msg))
    return Sent(msg, False, safety.Screening())


def message_payload(msg: ChatMessage) -> dict:
    payload = {
        "id": msg.id,
        "room": msg.room_id,
        "kind": msg.kind,
        "author": msg.author_label,
        "body": msg.body,
        "at": msg.created_at.isoformat() + "Z",
    }
    if msg.kind == "card":
        # The entry as it is now; the snapshot (marked removed) once it leaves the directory.
        from app.models import Service

        live = db.session.get(Service, msg.service_id) if msg.service_id else None
        card = directory.card_from(live, msg.card)
        payload["card"] = card.payload() if card is not None else None
    if msg.kind == "system":
        # One payload goes to every reader: each page translates the line (docs/chat-protocol.md).
        parsed = parse_stored(msg.body)
        if parsed is not None:
            payload["i18n"] = {"msgid": parsed[0], "params": parsed[1]}
    return payload


def _publish_line(room_id: int, payload: dict) -> None:
    socketio.emit("message:new", payload, to=room_channel(room_id), namespace=NS)


def _alert_staff(room: Room, msg: ChatMessage, screening: safety.Screening) -> None:
    socketio.emit("alert:flag", {
        "room": room.id, "message_id": msg.id, "level": screening.level, "target": screening.target,
        "reasons": list(screening.reasons), "author": msg.author_label,
    }, to=staff_channel(room.id), namespace=NS)


def system_line(room: Room, text: str) -> ChatMessage:
    msg = ChatMessage(room_id=room.id, author_id=None, author_label=None, kind="system", body=text)
    db.session.add(msg)
    db.session.flush()
    return msg


def _announce(room: Room, text: str, actor: Member, action: str, **detail) -> ChatMessage:
    msg = system_line(room, text)
    audit.record(actor, f"room.{action}", None, room_id=room.id, **detail)
    db.session.commit()
    _publish_line(room.id, message_payload(msg))
    _publish_state(room)
    return msg


def room_payload(room: Room) -> dict:
    pinned = db.session.get(ChatMessage, room.pinned_message_id) if room.pinned_message_id else None
    return {
        "id": room.id, "name": room.name, "state": room_state(room), "locked": room.locked,
        "slow_mode_seconds": room.slow_mode_seconds, "raise_hand": room.raise_hand,
        "pinned": message_payload(pinned) if pinned and not pinned.deleted_at else None,
    }


def _publish_state(room: Room) -> None:
    socketio.emit("room:state", room_payload(room), to=room_channel(room.id), namespace=NS)


# ---------------------------------------------------------------- facilitator controls

def _require_facilitator(actor: Member | None, room_id: object) -> tuple[Member, Room]:
    actor = permissions.require_member(actor)
    room = get_room_for(actor, room_id)
    if not is_room_facilitator(actor, room):
        raise Forbidden(_("Only this room's facilitators can do that."))
    return actor, room


def _reason(value: object, required: bool = True) -> str:
    if value in (None, "") and not required:
        return ""
    return " ".join(clean_text(value, field="reason", label=_("The reason"), max_length=300,
                               min_length=3 if required else 0, multiline=False).split())


def open_session(actor: Member | None, room_id: object) -> Room:
    actor, room = _require_facilitator(actor, room_id)
    if room.kind != "session":
        raise Invalid(_("Only scheduled sessions are opened and ended."))
    if room.ended_at is not None:
        raise Forbidden(ENDED)
    if room.opened_at is None:
        room.opened_at = utcnow()
        for member_id in db.session.scalars(select(RoomReminder.member_id).where(RoomReminder.room_id == room.id)):
            db.session.add(Notification(member_id=member_id, kind="session", actor_label="Facilitators",
                                        text=stored(SESSION_STARTED, name=room.name)))
        _announce(room, stored("The facilitator opened the session. Welcome."), actor, "opened")
    return room


def end_session(actor: Member | None, room_id: object) -> Room:
    actor, room = _require_facilitator(actor, room_id)
    if room.kind != "session":
        raise Invalid(_("Only scheduled sessions are opened and ended."))
    if room.ended_at is None:
        room.ended_at = utcnow()
        _announce(room, stored("The session has ended. Thank you for being here."), actor, "ended")
        if room.vanish_on_end:
            db.session.execute(delete(ChatMessage).where(ChatMessage.room_id == room.id))
            room.pinned_message_id = None
            db.session.commit()
    return room


def pin(actor: Member | None, room_id: object, message_id: object) -> Room:
    actor, room = _require_facilitator(actor, room_id)
    if message_id is None:
        room.pinned_message_id = None
        _announce(room, stored("The facilitator unpinned the message."), actor, "unpinned")
        return room
    msg = db.session.get(ChatMessage, message_id) if isinstance(message_id, int) else None
    if msg is None or msg.room_id != room.id or msg.deleted_at:
        raise NotFound(_("There's no such line in this room."))
    room.pinned_message_id = msg.id
    _announce(room, stored("The facilitator pinned a message."), actor, "pinned", message_id=msg.id)
    return room


def set_slow_mode(actor: Member | None, room_id: object, seconds: object) -> Room:
    actor, room = _require_facilitator(actor, room_id)
    room.slow_mode_seconds = _bounded_int(seconds, "seconds", _("Slow mode"), 0, 600, 0)
    text = (stored("Slow mode is on: one line every %(num)s seconds each.", num=room.slow_mode_seconds)
            if room.slow_mode_seconds else stored("Slow mode is off."))
    _announce(room, text, actor, "slow_mode", seconds=room.slow_mode_seconds)
    return room


def set_locked(actor: Member | None, room_id: object, locked: object) -> Room:
    actor, room = _require_facilitator(actor, room_id)
    room.locked = bool(locked)
    _announce(room, stored("The facilitator locked the room: reading only for now.") if room.locked
              else stored("The room is open for everyone to write again."), actor, "locked" if room.locked else "unlocked")
    return room


def set_raise_hand(actor: Member | None, room_id: object, on: object) -> Room:
    actor, room = _require_facilitator(actor, room_id)
    room.raise_hand = bool(on)
    room.floor_member_id = None
    _announce(room, stored("Sharing circle: raise your hand to speak, and the facilitator will give you the floor.")
              if room.raise_hand else stored("The sharing circle is over: everyone can write."), actor, "raise_hand",
              on=room.raise_hand)
    return room


def _local_alias(name: str) -> re.Match | None:
    """ "Anonyme 3" for a facilitator reading the room in French: the alias in their language."""
    label = _("Anonymous %(num)s", num="\x00")
    before, _sep, after = label.partition("\x00")
    return re.fullmatch(re.escape(before) + r"(\d{1,9})" + re.escape(after), name, re.IGNORECASE)


def _target(room: Room, member_ref: object) -> RoomParticipant:
    """A participant by the name shown in the room (alias or pseudonym)."""
    if not isinstance(member_ref, str) or not 1 <= len(member_ref) <= 64:
        raise Invalid(_("Who? Send the name shown in the room."), "member")
    alias = re.fullmatch(r"Anonymous (\d{1,9})", member_ref.strip()) or _local_alias(member_ref.strip())
    q = select(RoomParticipant).where(RoomParticipant.room_id == room.id)
    if alias:
        p = db.session.scalar(q.where(RoomParticipant.alias_number == int(alias.group(1))))
    else:
        from app.services.pseudonyms import canonical

        p = db.session.scalar(q.join(Member, Member.id == RoomParticipant.member_id)
                              .where(Member.pseudonym_key == canonical(member_ref), RoomParticipant.alias_number.is_(None)))
    if p is None:
        raise NotFound(_("There's nobody by that name in this room."))
    return p


def raise_hand(actor: Member | None, room_id: object, up: bool = True) -> None:
    actor = permissions.require_member(actor)
    room = get_room_for(actor, room_id)
    p = check_can_join(actor, room)
    if not room.raise_hand:
        raise Invalid(_("Hands aren't needed right now: just write."))
    p.hand_raised_at = utcnow() if up else None
    db.session.commit()
    socketio.emit("hand:queue", {"room": room.id, "queue": hand_queue(room)}, to=room_channel(room.id), namespace=NS)


def hand_queue(room: Room) -> list[str]:
    rows = db.session.scalars(select(RoomParticipant).where(RoomParticipant.room_id == room.id,
                                                            RoomParticipant.hand_raised_at.isnot(None))
                              .order_by(RoomParticipant.hand_raised_at))
    return [label_for(p.member, p) for p in rows]


def give_floor(actor: Member | None, room_id: object, member_ref: object) -> None:
    actor, room = _require_facilitator(actor, room_id)
    if not room.raise_hand:
        raise Invalid(_("Turn on the sharing circle first."))
    p = _target(room, member_ref)
    room.floor_member_id = p.member_id
    p.hand_raised_at = None
    name = label_for(p.member, p)
    _announce(room, stored("%(name)s has the floor.", name=name), actor, "floor", member_id=p.member_id)
    socketio.emit("hand:queue", {"room": room.id, "queue": hand_queue(room)}, to=room_channel(room.id), namespace=NS)


def mute(actor: Member | None, room_id: object, member_ref: object, minutes: object, reason: object) -> None:
    actor, room = _require_facilitator(actor, room_id)
    p = _target(room, member_ref)
    if is_room_facilitator(p.member, room):
        raise Invalid(_("Facilitators can't be muted."))
    mins = _bounded_int(minutes, "minutes", _("The mute"), 1, 24 * 60, 10)
    why = _reason(reason)
    p.muted_until, p.mute_reason = utcnow() + timedelta(minutes=mins), why
    name = label_for(p.member, p)
    muted = ("The facilitator muted %(name)s for %(num)s minute." if mins == 1
             else "The facilitator muted %(name)s for %(num)s minutes.")
    _announce(room, stored(muted, name=name, num=mins), actor, "muted",
              member_id=p.member_id, minutes=mins, reason=why)
    socketio.emit("member:muted", {"room": room.id, "minutes": mins, "reason": why,
                                   "until": p.muted_until.isoformat() + "Z"},
                  to=member_channel(p.member_id), namespace=NS)


def unmute(actor: Member | None, room_id: object, member_ref: object) -> None:
    actor, room = _require_facilitator(actor, room_id)
    p = _target(room, member_ref)
    p.muted_until, p.mute_reason = None, None
    _announce(room, stored("The facilitator unmuted %(name)s.", name=label_for(p.member, p)), actor, "unmuted",
              member_id=p.member_id)


def remove(actor: Member | None, room_id: object, member_ref: object, reason: object) -> None:
    actor, room = _require_facilitator(actor, room_id)
    p = _target(room, member_ref)
    if is_room_facilitator(p.member, room):
        raise Invalid(_("Facilitators can't be removed."))
    why = _reason(reason)
    p.removed_at, p.remove_reason = utcnow(), why
    sids = list(db.session.scalars(select(RoomPresence.sid).where(RoomPresence.room_id == room.id,
                                                                  RoomPresence.member_id == p.member_id)))
    db.session.execute(delete(RoomPresence).where(RoomPresence.room_id == room.id,
                                                  RoomPresence.member_id == p.member_id))
    _announce(room, stored("The facilitator removed %(name)s from the session.", name=label_for(p.member, p)),
              actor, "removed",
              member_id=p.member_id, reason=why)
    socketio.emit("member:removed", {"room": room.id, "reason": why}, to=member_channel(p.member_id), namespace=NS)
    if sids:
        publish_presence(room, left=presence_entry(p.member, room))
    # Stop their sockets hearing the room (every later event of theirs is refused anyway).
    for sid in sids:
        try:
            socketio.server.leave_room(sid, room_channel(room.id), namespace=NS)
        except (KeyError, ValueError):
            pass


def delete_line(actor: Member | None, room_id: object, message_id: object) -> None:
    actor, room = _require_facilitator(actor, room_id)
    msg = db.session.get(ChatMessage, message_id) if isinstance(message_id, int) else None
    if msg is None or msg.room_id != room.id or msg.kind not in ("line", "card"):
        raise NotFound(_("There's no such line in this room."))
    if msg.deleted_at is None:
        msg.deleted_at = utcnow()
        msg.body = ""
        msg.card, msg.service_id = None, None
        if room.pinned_message_id == msg.id:
            room.pinned_message_id = None
        _announce(room, stored("The facilitator deleted a line."), actor, "line_deleted", message_id=msg.id)
        socketio.emit("message:deleted", {"room": room.id, "id": msg.id}, to=room_channel(room.id), namespace=NS)


# ---------------------------------------------------------------- retention

def purge_expired(now: datetime | None = None) -> int:
    """Delete lines older than each room's retention period. Returns how many went."""
    now = now or utcnow()
    total = 0
    for room in db.session.scalars(select(Room)):
        cutoff = now - timedelta(days=room.retention_days or 30)
        total += db.session.execute(delete(ChatMessage).where(ChatMessage.room_id == room.id,
                                                              ChatMessage.created_at < cutoff)).rowcount or 0
    db.session.commit()
    return total


# ---------------------------------------------------------------- one-to-one peer chat

PEER_OUTCOMES = {
    "supported": _l("Reached and supported"),
    "resources": _l("Resources shared"),
    "no_response": _l("No response"),
    "referred": _l("Referred to emergency services"),
    "other": _l("Other"),
}


def request_peer(actor: Member | None, source: object = "page") -> PeerRequest:
    """Ask to talk to a peer supporter now. One open request per member."""
    actor = permissions.require_member(actor)
    src = source if source in ("page", "support", "room", "queue") else "page"
    open_req = db.session.scalar(select(PeerRequest).where(PeerRequest.member_id == actor.id,
                                                           PeerRequest.state.in_(("waiting", "accepted"))))
    if open_req is not None:
        return open_req
    req = PeerRequest(member_id=actor.id, source=src)
    db.session.add(req)
    db.session.commit()
    socketio.emit("peer:request", {"id": req.id}, to="peers", namespace=NS)
    from app.services import duty

    socketio.emit("peer:request", {"id": req.id, "where": "/support/requests"}, to=duty.PEERS_ROOM,
                  namespace=duty.NS)
    return req


def get_request_for(actor: Member | None, request_id: int) -> PeerRequest:
    actor = permissions.require_member(actor)
    req = db.session.get(PeerRequest, request_id)
    if req is None or (req.member_id != actor.id and req.peer_id != actor.id and not permissions.is_peer(actor)):
        raise NotFound(_("There's no such request."))
    _expire_if_unanswered(req)
    return req


def _expire_if_unanswered(req: PeerRequest) -> None:
    if req.state == "waiting":
        limit = timedelta(seconds=current_app.config["PEER_REQUEST_TIMEOUT_SECONDS"])
        if utcnow() - req.created_at > limit:
            req.state = "unanswered"
            req.ended_at = utcnow()
            db.session.commit()


def waiting_requests(actor: Member | None) -> list[PeerRequest]:
    actor = permissions.require_member(actor)
    if not permissions.is_peer(actor):
        raise Forbidden(_("Only peer supporters can see requests to talk."))
    rows = list(db.session.scalars(select(PeerRequest).where(PeerRequest.state == "waiting")
                                   .order_by(PeerRequest.created_at)))
    for r in rows:
        _expire_if_unanswered(r)
    return [r for r in rows if r.state == "waiting"]


def accept_request(actor: Member | None, request_id: int) -> PeerRequest:
    """A peer takes a request: a private room only the two of them can read."""
    actor = permissions.require_member(actor)
    if not permissions.is_peer(actor):
        raise Forbidden(_("Only peer supporters can accept requests to talk."))
    req = get_request_for(actor, request_id)
    if req.state != "waiting":
        raise Invalid(_("Someone else has already answered this request, or it has ended."))
    if req.member_id == actor.id:
        raise Invalid(_("You can't answer your own request."))
    room = Room(kind="private", name=stored(PRIVATE_ROOM_NAME), retention_days=30,
                created_by_id=actor.id)
    db.session.add(room)
    db.session.flush()
    for member_id in (req.member_id, actor.id):
        db.session.add(RoomParticipant(room_id=room.id, member_id=member_id, accepted_rules_at=utcnow()))
    req.state, req.peer_id, req.room_id, req.accepted_at = "accepted", actor.id, room.id, utcnow()
    system_line(room, stored("A peer supporter is here. This conversation is private: only the two of you can read it."))
    audit.record(actor, "peer.accepted", None, request_id=req.id, room_id=room.id)
    db.session.commit()
    socketio.emit("peer:accepted", {"request": req.id, "room": room.id}, to=member_channel(req.member_id), namespace=NS)
    return req


def end_private(actor: Member | None, request_id: int, outcome: object = None, note: object = None) -> PeerRequest:
    actor = permissions.require_member(actor)
    req = get_request_for(actor, request_id)
    if req.state == "waiting" and req.member_id == actor.id:
        req.state, req.ended_at = "cancelled", utcnow()
        db.session.commit()
        return req
    if req.state != "accepted":
        raise Invalid(_("This conversation has already ended."))
    is_peer = req.peer_id == actor.id
    if is_peer:
        if outcome not in PEER_OUTCOMES:
            raise Invalid(_("Please record how the conversation went."), "outcome")
        req.outcome = outcome
        req.outcome_note = clean_text(note or "", field="note", label=_("The note"), max_length=2000).strip() or None
    elif req.member_id != actor.id:
        raise Forbidden(_("Only the two people in this conversation can end it."))
    req.state, req.ended_at = "ended", utcnow()
    room = db.session.get(Room, req.room_id)
    if room is not None:
        room.ended_at = utcnow()
        msg = system_line(room, stored("The conversation has ended. You can always ask to talk again."))
        audit.record(actor, "peer.ended", None, request_id=req.id, outcome=req.outcome)
        db.session.commit()
        _publish_line(room.id, message_payload(msg))
        _publish_state(room)
    else:
        db.session.commit()
    return req


def record_outcome(actor: Member | None, request_id: int, outcome: object, note: object = None) -> PeerRequest:
    """The peer records (or corrects) the outcome after the member ended the conversation."""
    actor = permissions.require_member(actor)
    req = get_request_for(actor, request_id)
    if req.peer_id != actor.id:
        raise Forbidden(_("Only the peer supporter in this conversation records its outcome."))
    if outcome not in PEER_OUTCOMES:
        raise Invalid(_("Please choose an outcome."), "outcome")
    req.outcome = outcome
    req.outcome_note = clean_text(note or "", field="note", label=_("The note"), max_length=2000).strip() or None
    db.session.commit()
    return req


# ---------------------------------------------------------------- export and deletion

def _export(member: Member) -> dict:
    lines = db.session.scalars(select(ChatMessage).where(ChatMessage.author_id == member.id,
                                                         ChatMessage.deleted_at.is_(None)).order_by(ChatMessage.id))
    return {"chat_lines": [{"id": m.id, "room": m.room_id, "at": m.created_at.isoformat() + "Z", "body": m.body,
                            "shown_as": m.author_label} for m in lines]}


def _erase(member: Member, choice: str) -> None:
    if choice == "remove":
        db.session.execute(delete(ChatMessage).where(ChatMessage.author_id == member.id))
    else:
        # Lines stay, but a pseudonym label would still name them: show "deleted member".
        from sqlalchemy import update

        db.session.execute(update(ChatMessage).where(ChatMessage.author_id == member.id,
                                                     ~ChatMessage.author_label.like("Anonymous %"))
                           .values(author_label=forums.DELETED_MEMBER))


def register_member_data() -> None:
    from app.services import member_data

    member_data.register("chat", _export, _erase)
