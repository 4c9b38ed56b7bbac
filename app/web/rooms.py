"""Live room pages and one-to-one peer chat pages. The live part is Socket.IO (/chat)."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.models import Room
from app.services import chat, directory, permissions, safety, sessions
from app.services.errors import DomainError, Invalid
from app.web.forms import OutcomeForm, RoomForm, RulesForm
from app.web.helpers import form_errors, signed_in_required

bp = Blueprint("rooms", __name__)


def _me():
    return sessions.current_member()


@bp.get("/rooms")
def index():
    listing = chat.list_rooms(_me())
    return render_template("rooms/index.html", listing=listing, state=chat.room_state,
                           can_schedule=permissions.is_facilitator(_me()))


@bp.get("/rooms/<int:room_id>")
def room(room_id: int):
    r = chat.get_room_for(_me(), room_id)
    me = _me()
    p = chat.participant(me, r) if me else None
    needs_rules = bool(me) and chat._needs_rules(r) and not chat.is_room_facilitator(me, r) and (
        p is None or p.accepted_rules_at is None)
    return render_template("rooms/room.html", room=r, state=chat.room_state(r), participant=p,
                           needs_rules=needs_rules, rules_form=RulesForm(formdata=None),
                           facilitator=chat.is_room_facilitator(me, r) if me else False,
                           removed=bool(p and p.removed_at), line_max=chat.LINE_MAX,
                           resources=safety.support_resources(),
                           services=directory.panel_services(),
                           share_services=directory.share_choices(me),
                           peer_request=private_request_for_room(r) if r.kind == "private" else None)


@bp.post("/rooms/<int:room_id>/rules")
@signed_in_required
def accept_rules(room_id: int):
    r = chat.get_room_for(_me(), room_id)
    form = RulesForm()
    if form.validate_on_submit():
        try:
            chat.accept_rules(_me(), r, anonymous=form.anonymous.data)
        except DomainError as err:
            flash(err.message, "error")
    return redirect(url_for("rooms.room", room_id=room_id), code=303)


@bp.post("/rooms/<int:room_id>/remind")
@signed_in_required
def remind(room_id: int):
    r = chat.get_room_for(_me(), room_id)
    on = request.form.get("on") == "1"
    chat.set_reminder(_me(), r, on)
    flash(_("We'll tell you here when it starts.") if on else "Reminder removed.", "success")
    return redirect(url_for("rooms.index"), code=303)


def _parse_when(value: str | None, field: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.strip().replace("T", " "))
    except ValueError:
        raise Invalid(_("Write the time like 2026-12-01 18:00."), field) from None


@bp.route("/rooms/new", methods=["GET", "POST"])
@signed_in_required
def new_room():
    if not permissions.is_facilitator(_me()):
        abort(403, description=_("Only facilitators can schedule sessions."))
    form = RoomForm()
    if form.validate_on_submit():
        try:
            created = chat.create_room(
                _me(), kind=form.kind.data, name=form.name.data, description=form.description.data,
                ground_rules=form.ground_rules.data, starts_at=_parse_when(form.starts_at.data, "starts_at"),
                ends_at=_parse_when(form.ends_at.data, "ends_at"), capacity=form.capacity.data,
                retention_days=form.retention_days.data, vanish_on_end=form.vanish_on_end.data)
        except DomainError as err:
            form_errors(form, err)
        else:
            flash(_("Saved. Members can see it on the rooms page."), "success")
            return redirect(url_for("rooms.room", room_id=created.id), code=303)
    status = 400 if request.method == "POST" else 200
    return render_template("rooms/new.html", form=form), status


# ---------------------------------------------------------------- one-to-one

@bp.route("/support/talk", methods=["GET", "POST"])
@signed_in_required
def talk():
    if request.method == "POST":
        req = chat.request_peer(_me(), request.form.get("source", "page"))
        return redirect(url_for("rooms.talk_status", request_id=req.id), code=303)
    return render_template("rooms/talk.html")


@bp.get("/support/talk/<int:request_id>")
@signed_in_required
def talk_status(request_id: int):
    req = chat.get_request_for(_me(), request_id)
    if req.state == "accepted" and req.room_id:
        return redirect(url_for("rooms.room", room_id=req.room_id))
    return render_template("rooms/talk_status.html", req=req, resources=safety.support_resources(),
                           services=directory.panel_services())


@bp.post("/support/talk/<int:request_id>/end")
@signed_in_required
def talk_end(request_id: int):
    req = chat.get_request_for(_me(), request_id)
    if req.peer_id == _me().id:
        return redirect(url_for("rooms.outcome", request_id=request_id))
    chat.end_private(_me(), request_id)
    flash(_("The conversation has ended. You can ask to talk again any time."), "success")
    return redirect(url_for("rooms.talk"), code=303)


@bp.route("/support/talk/<int:request_id>/outcome", methods=["GET", "POST"])
@signed_in_required
def outcome(request_id: int):
    req = chat.get_request_for(_me(), request_id)
    if req.peer_id != _me().id:
        abort(403, description=_("Only the peer supporter in this conversation records its outcome."))
    form = OutcomeForm()
    form.outcome.choices = list(chat.PEER_OUTCOMES.items())
    if form.validate_on_submit():
        try:
            if req.state == "accepted":
                chat.end_private(_me(), request_id, form.outcome.data, form.note.data)
            else:
                chat.record_outcome(_me(), request_id, form.outcome.data, form.note.data)
        except DomainError as err:
            form_errors(form, err)
        else:
            flash(_("Thank you. The outcome is recorded."), "success")
            return redirect(url_for("rooms.requests"), code=303)
    status = 400 if request.method == "POST" else 200
    return render_template("rooms/outcome.html", form=form, req=req), status


@bp.get("/support/requests")
@signed_in_required
def requests():
    return render_template("rooms/requests.html", rows=chat.waiting_requests(_me()))


@bp.post("/support/requests/<int:request_id>/accept")
@signed_in_required
def accept(request_id: int):
    try:
        req = chat.accept_request(_me(), request_id)
    except Invalid as err:
        flash(err.message, "error")
        return redirect(url_for("rooms.requests"), code=303)
    return redirect(url_for("rooms.room", room_id=req.room_id), code=303)


def private_request_for_room(room: Room):
    from sqlalchemy import select

    from app.extensions import db
    from app.models import PeerRequest

    return db.session.scalar(select(PeerRequest).where(PeerRequest.room_id == room.id))
