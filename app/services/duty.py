"""Routing crises to people: who is on duty, live alerts, the review queue, claims, escalation,
outcomes, and the figures that show whether Kindred keeps its promise.

Only peer supporters, facilitators and admins ("staff") see flags, excerpts and notes. A member
never learns which peer was alerted about them, and never sees another member's flags.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, delete, func, select, update

from app.i18n import N_, register_stored, stored
from app.extensions import db, socketio
from app.models import DutyPeriod, DutySocket, DutyStatus, Flag, FlagNote, Member, Post, Role, SafetyPlan
from app.models.base import utcnow
from app.services import audit, forums, permissions
from app.services.errors import Forbidden, Invalid, NotFound
from app.services.text import clean_text

NS = "/duty"
PEERS_ROOM = "duty:peers"        # everyone on duty
SENIOR_ROOM = "duty:senior"      # facilitators and admins on duty (level 3 and escalations)
OUTCOMES = {
    "supported": _l("Reached and supported"),
    "resources": _l("Resources shared"),
    "no_response": _l("No response"),
    "false_alarm": _l("False alarm"),
    "emergency": _l("Referred to emergency services (community policy)"),
    "removed": _l("Content removed"),
}
KINDS = {"crisis": _l("Crisis language"), "report": _l("Report"), "concern": _l("Someone is worried"),
         "unassessed": _l("Language not assessed")}
TARGETS = {"self": _l("self"), "others": _l("others")}
STATES = {"open": _l("open"), "claimed": _l("claimed"), "closed": _l("closed")}
CHECK_IN_ROOM_NAME = N_("A peer supporter would like to check in with you")
CHECK_IN_LINE = N_("A peer supporter opened this private conversation to check in with you. "
                   "Only the two of you can read it. You don't have to reply.")
CHECK_IN_NOTE = N_("A peer supporter would like to check in with you, privately.")
register_stored(CHECK_IN_ROOM_NAME, CHECK_IN_NOTE)
register_stored(CHECK_IN_LINE, group="chat")

# A controllable clock: tests move time forward without sleeping.
_clock = utcnow


def now() -> datetime:
    return _clock()


def set_clock(fn) -> None:
    global _clock
    _clock = fn or utcnow


# ---------------------------------------------------------------- on duty

def _require_staff(actor: Member | None) -> Member:
    actor = permissions.require_member(actor)
    if not forums.is_staff(actor):
        raise Forbidden(_("Only peer supporters, facilitators and admins can do that."))
    return actor


def _status(member: Member) -> DutyStatus:
    row = db.session.get(DutyStatus, member.id)
    if row is None:
        row = DutyStatus(member_id=member.id, sockets=0)
        db.session.add(row)
    return row


def go_on_duty(actor: Member | None) -> None:
    actor = _require_staff(actor)
    row = _status(actor)
    if row.on_since is None:
        row.on_since = now()
        db.session.add(DutyPeriod(member_id=actor.id, started_at=row.on_since))
        audit.record(actor, "duty.on", actor)
    db.session.commit()


def go_off_duty(actor: Member | None) -> None:
    actor = _require_staff(actor)
    row = _status(actor)
    if row.on_since is not None:
        _end_period(actor.id)
        row.on_since = None
        audit.record(actor, "duty.off", actor)
    db.session.commit()


def _end_period(member_id: int) -> None:
    db.session.execute(update(DutyPeriod).where(DutyPeriod.member_id == member_id, DutyPeriod.ended_at.is_(None))
                       .values(ended_at=now()))


def socket_opened(member: Member, sid: str) -> None:
    """A duty page connected (one row per socket, tagged with its worker: see services.workers)."""
    from app.services import workers

    workers.ensure_registered()
    _status(member)
    if db.session.get(DutySocket, sid) is None:
        db.session.add(DutySocket(sid=sid, member_id=member.id, worker_id=workers.worker_id()))
    workers.recount_duty_sockets(member.id, now())
    db.session.commit()


def socket_closed(member_id: int, sid: str) -> None:
    from app.services import workers

    db.session.execute(delete(DutySocket).where(DutySocket.sid == sid))
    workers.recount_duty_sockets(member_id, now())
    db.session.commit()


def grace() -> timedelta:
    return timedelta(seconds=current_app.config["DUTY_GRACE_SECONDS"])


def expire_absent() -> int:
    """Take off duty anyone whose every duty tab has been closed for longer than the grace
    period. Returns how many."""
    cutoff = now() - grace()
    rows = list(db.session.scalars(select(DutyStatus).where(
        DutyStatus.on_since.isnot(None), DutyStatus.sockets <= 0,
        (DutyStatus.last_socket_at.is_(None)) | (DutyStatus.last_socket_at < cutoff),
        DutyStatus.on_since < cutoff)))
    for row in rows:
        _end_period(row.member_id)
        row.on_since = None
    if rows:
        db.session.commit()
    return len(rows)


def on_duty() -> list[Member]:
    expire_absent()
    return list(db.session.scalars(select(Member).join(DutyStatus, DutyStatus.member_id == Member.id)
                                   .where(DutyStatus.on_since.isnot(None)).order_by(Member.pseudonym_key)))


def is_on_duty(member: Member) -> bool:
    row = db.session.get(DutyStatus, member.id)
    return row is not None and row.on_since is not None


def anyone_on_duty() -> bool:
    return bool(on_duty())


# ---------------------------------------------------------------- alerts

def where_of(flag: Flag) -> str:
    if flag.post_id:
        return f"/p/{flag.post_id}"
    if flag.room_id:
        return f"/rooms/{flag.room_id}" + (f"#m{flag.chat_message_id}" if flag.chat_message_id else "")
    return f"/queue/{flag.id}"


def alert_payload(flag: Flag, escalated: bool = False) -> dict:
    return {
        "id": flag.id, "kind": flag.kind, "level": flag.level, "target": flag.target,
        "reasons": list(flag.reasons or []), "where": where_of(flag), "excerpt": flag.excerpt or "",
        "escalated": escalated, "queue": f"/queue/{flag.id}",
    }


def open_alerts(actor: Member | None) -> list[dict]:
    """The alerts a duty page would be showing now: open, unclaimed level 2-3 flags (level 3 and
    escalated only, for facilitators and admins who are not peer supporters). A page asks for
    them after live delivery was interrupted, so nothing raised meanwhile goes unseen."""
    actor = _require_staff(actor)
    q = select(Flag).where(Flag.state == "open", Flag.claimed_by_id.is_(None), Flag.level >= 2,
                           Flag.kind.in_(("crisis", "concern")))
    if not actor.has_role(Role.PEER):
        q = q.where((Flag.level >= 3) | Flag.escalated_at.isnot(None))
    flags = db.session.scalars(q.order_by(Flag.id.desc()).limit(50))
    return [alert_payload(f, escalated=f.escalated_at is not None) for f in reversed(list(flags))]


def announce(flag: Flag) -> None:
    """A new level 2-3 flag has been committed: alert every peer on duty; level 3 also reaches
    facilitators and admins on duty."""
    if flag.level >= 2 and flag.kind in ("crisis", "concern"):
        _emit_alert(flag, escalated=False)


def _emit_alert(flag: Flag, escalated: bool) -> None:
    payload = alert_payload(flag, escalated)
    socketio.emit("flag:new", payload, to=PEERS_ROOM, namespace=NS)
    if flag.level >= 3 or escalated:
        socketio.emit("flag:new", payload, to=SENIOR_ROOM, namespace=NS)


def escalate_due() -> int:
    """Re-alert unclaimed urgent flags whose deadline has passed (run by a background task;
    deadlines are stored, so a restart loses nothing). Returns how many escalated."""
    candidates = list(db.session.scalars(select(Flag.id).where(
        Flag.state == "open", Flag.escalate_at.isnot(None), Flag.escalate_at <= now(),
        Flag.escalated_at.is_(None))))
    escalated = []
    for flag_id in candidates:
        # Conditional update: if several workers run this loop, exactly one escalates each flag.
        won = db.session.execute(update(Flag).where(Flag.id == flag_id, Flag.escalated_at.is_(None),
                                                    Flag.state == "open").values(escalated_at=now())).rowcount
        if won:
            audit.record(None, "flag.escalated", None, flag_id=flag_id)
            escalated.append(flag_id)
        db.session.commit()
    for flag_id in escalated:
        flag = db.session.get(Flag, flag_id)
        if flag is not None:
            _emit_alert(flag, escalated=True)
    return len(escalated)


# ---------------------------------------------------------------- the queue

@dataclass
class QueueItem:
    flag: Flag
    claimed_by: str | None
    age_minutes: int


def queue(actor: Member | None, level: object = None, kind: object = None, state: object = "open") -> list[QueueItem]:
    """Flags and reports ranked by level (highest first), then age (oldest first)."""
    actor = _require_staff(actor)
    q = select(Flag).order_by(Flag.level.desc(), Flag.created_at, Flag.id)
    states = {"open": ("open", "claimed"), "closed": ("closed",), "all": ("open", "claimed", "closed")}
    q = q.where(Flag.state.in_(states.get(state, states["open"])))
    if level not in (None, ""):
        try:
            q = q.where(Flag.level == int(level))
        except (TypeError, ValueError):
            raise Invalid(_("The level should be 0, 1, 2 or 3."), "level") from None
    if kind not in (None, ""):
        if kind not in KINDS:
            raise Invalid(_("Choose a kind: crisis, report or concern."), "kind")
        q = q.where(Flag.kind == kind)
    flags = list(db.session.scalars(q.limit(200)))
    names = {}
    ids = {f.claimed_by_id for f in flags if f.claimed_by_id}
    if ids:
        names = dict(db.session.execute(select(Member.id, Member.pseudonym).where(Member.id.in_(ids))).all())
    t = now()
    return [QueueItem(f, names.get(f.claimed_by_id), int((t - f.created_at).total_seconds() // 60)) for f in flags]


def get_flag_for(actor: Member | None, flag_id: int) -> Flag:
    actor = _require_staff(actor)
    flag = db.session.get(Flag, flag_id)
    if flag is None:
        raise NotFound(_("There's no such item."))
    return flag


def open_items(actor: Member) -> int:
    return db.session.scalar(select(func.count(Flag.id)).where(
        Flag.claimed_by_id == actor.id, Flag.state == "claimed", Flag.level >= 2)) or 0


def claim(actor: Member | None, flag_id: int) -> Flag:
    """Claim an item. Exactly one of two peers claiming at once wins (a conditional UPDATE).
    A peer holds at most PEER_MAX_OPEN crisis items. Raises Invalid, Forbidden."""
    actor = _require_staff(actor)
    flag = get_flag_for(actor, flag_id)
    limit = current_app.config["PEER_MAX_OPEN"]
    if flag.level >= 2 and open_items(actor) >= limit:
        raise Forbidden(_("You're already holding %(num)s open crisis items. Close or return one first, "
                          "or ask another peer on duty.", num=limit))
    won = db.session.execute(update(Flag).where(Flag.id == flag_id, Flag.state == "open")
                             .values(state="claimed", claimed_by_id=actor.id, claimed_at=now())).rowcount
    if not won:
        db.session.rollback()
        raise Invalid(_("Someone else has already claimed this item."))
    audit.record(actor, "flag.claimed", None, flag_id=flag_id)
    db.session.commit()
    db.session.refresh(flag)
    socketio.emit("flag:claimed", {"id": flag.id, "by": actor.pseudonym}, to=PEERS_ROOM, namespace=NS)
    socketio.emit("flag:claimed", {"id": flag.id, "by": actor.pseudonym}, to=SENIOR_ROOM, namespace=NS)
    return flag


def return_to_queue(actor: Member | None, flag_id: int) -> Flag:
    actor = _require_staff(actor)
    flag = get_flag_for(actor, flag_id)
    if flag.state == "open":
        return flag
    flag.state, flag.claimed_by_id, flag.claimed_at = "open", None, None
    flag.closed_at, flag.outcome = None, None
    audit.record(actor, "flag.returned", None, flag_id=flag.id)
    db.session.commit()
    socketio.emit("flag:returned", {"id": flag.id}, to=PEERS_ROOM, namespace=NS)
    return flag


def close(actor: Member | None, flag_id: int, outcome: object, note: object = None) -> Flag:
    """Close an item with an outcome (and an optional private note)."""
    actor = _require_staff(actor)
    flag = get_flag_for(actor, flag_id)
    if outcome not in OUTCOMES:
        raise Invalid(_("Choose an outcome."), "outcome")
    if flag.state == "closed":
        raise Invalid(_("This item is already closed."))
    if flag.state == "claimed" and flag.claimed_by_id != actor.id and not permissions.is_admin(actor):
        raise Forbidden(_("Someone else has claimed this item; they close it (or return it to the queue)."))
    text = clean_text(note or "", field="note", label=_("The note"), max_length=2000).strip()
    flag.state, flag.outcome, flag.closed_at = "closed", outcome, now()
    if flag.claimed_by_id is None:
        flag.claimed_by_id, flag.claimed_at = actor.id, now()
    if text:
        db.session.add(FlagNote(flag_id=flag.id, author_id=actor.id, body=text))
    audit.record(actor, "flag.closed", None, flag_id=flag.id, outcome=outcome)
    db.session.commit()
    socketio.emit("flag:closed", {"id": flag.id}, to=PEERS_ROOM, namespace=NS)
    return flag


def add_note(actor: Member | None, flag_id: int, body: object) -> FlagNote:
    actor = _require_staff(actor)
    flag = get_flag_for(actor, flag_id)
    text = clean_text(body, field="body", label=_("The note"), max_length=2000, min_length=1).strip()
    note = FlagNote(flag_id=flag.id, author_id=actor.id, body=text)
    db.session.add(note)
    db.session.commit()
    return note


def notes(actor: Member | None, flag: Flag) -> list[FlagNote]:
    _require_staff(actor)
    return list(db.session.scalars(select(FlagNote).where(FlagNote.flag_id == flag.id).order_by(FlagNote.id)))


def reach_out(actor: Member | None, flag_id: int):
    """Open a private one-to-one room between the peer and the writer of the flagged words.
    The writer appears as "Anonymous 1" there: the peer never needs their pseudonym."""
    from app.models import PeerRequest, Room, RoomParticipant
    from app.services import chat

    actor = _require_staff(actor)
    flag = get_flag_for(actor, flag_id)
    if flag.subject_id is None:
        raise Invalid(_("The writer's account no longer exists."))
    if flag.subject_id == actor.id:
        raise Invalid(_("This is about you: ask another peer on duty to reach out."))
    if flag.state == "open":
        claim(actor, flag_id)
    room = Room(kind="private", name=stored(CHECK_IN_ROOM_NAME), created_by_id=actor.id,
                retention_days=30)
    db.session.add(room)
    db.session.flush()
    db.session.add(RoomParticipant(room_id=room.id, member_id=flag.subject_id, accepted_rules_at=now(),
                                   alias_number=1))
    db.session.add(RoomParticipant(room_id=room.id, member_id=actor.id, accepted_rules_at=now()))
    req = PeerRequest(member_id=flag.subject_id, state="accepted", source="queue", peer_id=actor.id,
                      room_id=room.id, accepted_at=now())
    db.session.add(req)
    chat.system_line(room, stored(CHECK_IN_LINE))
    from app.models import Notification

    db.session.add(Notification(member_id=flag.subject_id, kind="support", actor_label="A peer supporter",
                                text=stored(CHECK_IN_NOTE)))
    audit.record(actor, "flag.reached_out", None, flag_id=flag.id, room_id=room.id)
    db.session.commit()
    socketio.emit("peer:accepted", {"request": req.id, "room": room.id}, to=chat.member_channel(flag.subject_id),
                  namespace=chat.NS)
    return room


# ---------------------------------------------------------------- members' side

def raise_concern(actor: Member | None, post: Post, note: object) -> Flag:
    """"I'm worried about someone": a private concern about a post. Peers see it in the
    queue; the writer never learns who raised it."""
    actor = permissions.require_member(actor)
    return _concern(actor, note, post.body_md, post=post, subject_id=post.author_id)


def raise_line_concern(actor: Member | None, room_id: object, message_id: object, note: object = None) -> Flag:
    """The same, about a line in a live room the member can see."""
    from app.models import ChatMessage
    from app.services import chat

    actor = permissions.require_member(actor)
    room = chat.get_room_for(actor, room_id)
    msg = db.session.get(ChatMessage, message_id) if isinstance(message_id, int) and not isinstance(message_id, bool) else None
    if msg is None or msg.room_id != room.id or msg.kind != "line" or msg.deleted_at is not None:
        raise NotFound(_("There's no such line in this room."))
    if msg.author_id == actor.id:
        raise Invalid(_("That's your own line. If you need support, you can talk to a peer supporter now."))
    return _concern(actor, note, msg.body, chat_message_id=msg.id, room_id=room.id, subject_id=msg.author_id)


def _concern(actor: Member, note: object, words: str, **where) -> Flag:
    """Record a concern as a level 2 flag (with its escalation deadline) and alert the peers."""
    from app.services import safety

    text = clean_text(note or "", field="note", label=_("What worries you"), max_length=1000).strip()
    flag = Flag(kind="concern", level=2, target="self", reporter_id=actor.id, report_note=text or None,
                reasons=["a member is worried about this writer"], excerpt=safety.excerpt(words),
                created_at=now(), **where)
    flag.escalate_at = safety.escalation_deadline(flag)
    db.session.add(flag)
    db.session.commit()
    announce(flag)
    return flag


def plan_for(actor: Member | None) -> SafetyPlan | None:
    actor = permissions.require_member(actor)
    return db.session.get(SafetyPlan, actor.id)


PLAN_FIELDS = ("warning_signs", "coping", "people_places", "people_to_ask", "professionals",
               "safe_environment", "reasons_to_live")


def save_plan(actor: Member | None, **fields) -> SafetyPlan:
    actor = permissions.require_member(actor)
    plan = db.session.get(SafetyPlan, actor.id) or SafetyPlan(member_id=actor.id)
    for name in PLAN_FIELDS:
        value = fields.get(name) or ""
        setattr(plan, name, clean_text(value, field=name, label=_("This part"), max_length=4000).strip())
    plan.updated_at = now()
    db.session.add(plan)
    db.session.commit()
    return plan


def draft_check(text: object) -> dict:
    """For the composer, while the member types: how worried should we be, and does it identify
    anyone? Nothing is stored or logged."""
    from app.services import identify, safety

    if not isinstance(text, str) or len(text) > forums.BODY_MAX:
        raise Invalid(_("Send the draft as text, at most 20,000 characters."), "body")
    level = safety.assess_text(text).level if text.strip() else 0
    return {"level": level, "support": level >= 2, "identifying": identify.warnings(text),
            "on_duty": anyone_on_duty() if level >= 2 else None}


# ---------------------------------------------------------------- figures

@dataclass
class Dashboard:
    per_day: list[tuple[str, dict[str, int]]]
    claim_p50: float | None
    claim_p90: float | None
    claimed_in_target: float | None
    outcomes: dict[str, int]
    false_alarm_by_rule: list[tuple[str, int, int, float]]
    hours_uncovered: float
    on_duty_now: list[Member]


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    k = max(0, min(len(values) - 1, int(round(q * (len(values) - 1)))))
    return values[k]


def dashboard(actor: Member | None, days: int = 14) -> Dashboard:
    permissions.require_admin(actor)
    since = now() - timedelta(days=days)
    flags = list(db.session.scalars(select(Flag).where(Flag.created_at >= since)))
    per_day: dict[str, dict[str, int]] = {}
    for f in flags:
        day = f.created_at.strftime("%Y-%m-%d")
        key = f"{f.kind} L{f.level}"
        per_day.setdefault(day, {}).setdefault(key, 0)
        per_day[day][key] += 1
    urgent = [f for f in flags if f.level >= 2 and f.kind in ("crisis", "concern")]
    waits = [(f.claimed_at - f.created_at).total_seconds() / 60 for f in urgent if f.claimed_at]
    target = current_app.config["CLAIM_TARGET_SECONDS"] / 60
    in_target = (sum(1 for w in waits if w <= target) / len(urgent)) if urgent else None
    outcomes: dict[str, int] = {}
    for f in flags:
        if f.outcome:
            outcomes[f.outcome] = outcomes.get(f.outcome, 0) + 1
    rules: dict[str, list[int]] = {}
    for f in flags:
        if f.kind != "crisis" or f.state != "closed":
            continue
        for reason in f.reasons or []:
            rule = reason.split(" (", 1)[0]
            hit = rules.setdefault(rule, [0, 0])
            hit[0] += 1
            if f.outcome == "false_alarm":
                hit[1] += 1
    by_rule = sorted(((r, n, fa, fa / n) for r, (n, fa) in rules.items()), key=lambda x: (-x[3], -x[1]))
    return Dashboard(sorted(per_day.items()), _percentile(waits, 0.5), _percentile(waits, 0.9), in_target,
                     outcomes, by_rule, uncovered_hours(since, now()), on_duty())


def uncovered_hours(start: datetime, end: datetime) -> float:
    """Hours between start and end when nobody at all was on duty."""
    periods = list(db.session.execute(select(DutyPeriod.started_at, DutyPeriod.ended_at).where(
        and_(DutyPeriod.started_at < end, (DutyPeriod.ended_at.is_(None)) | (DutyPeriod.ended_at > start)))).all())
    spans = sorted((max(s, start), min(e or end, end)) for s, e in periods)
    covered = 0.0
    cur_s = cur_e = None
    for s, e in spans:
        if cur_e is None or s > cur_e:
            if cur_e is not None:
                covered += (cur_e - cur_s).total_seconds()
            cur_s, cur_e = s, e
        else:
            cur_e = max(cur_e, e)
    if cur_e is not None:
        covered += (cur_e - cur_s).total_seconds()
    return round(((end - start).total_seconds() - covered) / 3600, 2)


def grant_from_shell(name: str, role: str) -> str:
    """`kindred grant PSEUDONYM ROLE`: audited like the admin page (actor: the command line)."""
    from app.services import accounts, roles

    member = accounts.find_by_pseudonym(name)
    if member is None:
        raise NotFound(_("There's no member called %(name)s.", name=repr(name)))
    mapping = {"member": None, "peer_supporter": Role.PEER, "peer": Role.PEER,
               "facilitator": Role.FACILITATOR, "admin": Role.ADMIN}
    if role not in mapping:
        raise Invalid(_("ROLE is one of: member, peer_supporter, facilitator, admin."))
    wanted = mapping[role]
    if wanted is None:
        return f"{member.pseudonym} is a member (every account is)."
    if member.has_role(wanted):
        return f"{member.pseudonym} already has that role."
    roles.add_role_row(member, wanted)
    audit.record(None, "role.granted", member, role=wanted.value, via="command line")
    db.session.commit()
    return f"{member.pseudonym} is now a {wanted.label.lower()}."
