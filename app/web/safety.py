"""Peers' pages (duty, queue, items) and members' safety pages (safety plan, worried about someone)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.services import duty, forums, safety, sessions
from app.services.errors import DomainError
from app.web.helpers import signed_in_required

bp = Blueprint("safety", __name__)


def _me():
    return sessions.current_member()


def _staff_only():
    if not forums.is_staff(_me()):
        abort(403, description=_("Only peer supporters, facilitators and admins can see this page."))


@bp.route("/duty", methods=["GET", "POST"])
@signed_in_required
def duty_page():
    _staff_only()
    if request.method == "POST":
        if request.form.get("on") == "1":
            duty.go_on_duty(_me())
            flash(_("You're on duty. Keep this page open to hear alerts."), "success")
        else:
            duty.go_off_duty(_me())
            flash(_("You're off duty. Thank you."), "success")
        return redirect(url_for("safety.duty_page"), code=303)
    return render_template("safety/duty.html", on=duty.is_on_duty(_me()), others=duty.on_duty(),
                           waiting=len(duty.queue(_me())))


@bp.get("/queue")
@signed_in_required
def queue():
    _staff_only()
    level, kind, state = (request.args.get(k, "", type=str)[:16] for k in ("level", "kind", "state"))
    items = duty.queue(_me(), level or None, kind or None, state or "open")
    return render_template("safety/queue.html", items=items, level=level, kind=kind, state=state or "open",
                           kinds=duty.KINDS, outcomes=duty.OUTCOMES)


@bp.get("/queue/<int:flag_id>")
@signed_in_required
def item(flag_id: int):
    return _item_page(flag_id)


def _item_page(flag_id: int, status: int = 200):
    _staff_only()
    flag = duty.get_flag_for(_me(), flag_id)
    debrief = request.args.get("debrief") == "1"
    return render_template("safety/item.html", flag=flag, notes=duty.notes(_me(), flag), outcomes=duty.OUTCOMES,
                           kinds=duty.KINDS, where=duty.where_of(flag), debrief=debrief,
                           others=[m for m in duty.on_duty() if m.id != _me().id] if debrief else [],
                           claimed_by=_name(flag.claimed_by_id)), status


def _name(member_id):
    if member_id is None:
        return None
    from app.extensions import db
    from app.models import Member

    m = db.session.get(Member, member_id)
    return m.pseudonym if m else forums.deleted_label()


def _refused(flag_id: int, err: DomainError):
    """Show the item again with the reason, and a 4xx status (nothing changed)."""
    from app.extensions import db

    db.session.rollback()
    flash(err.message, "error")
    return _item_page(flag_id, err.status)


def _act(flag_id: int, fn, success: str, **kw):
    _staff_only()
    try:
        fn(_me(), flag_id, **kw)
    except DomainError as err:
        return _refused(flag_id, err)
    flash(success, "success")
    return None


@bp.post("/queue/<int:flag_id>/claim")
@signed_in_required
def claim(flag_id: int):
    return _act(flag_id, duty.claim, _("It's yours. Reach out when you're ready.")) or \
        redirect(url_for("safety.item", flag_id=flag_id), code=303)


@bp.post("/queue/<int:flag_id>/return")
@signed_in_required
def give_back(flag_id: int):
    return _act(flag_id, duty.return_to_queue, _("Returned to the queue.")) or \
        redirect(url_for("safety.queue"), code=303)


@bp.post("/queue/<int:flag_id>/note")
@signed_in_required
def note(flag_id: int):
    return _act(flag_id, duty.add_note, _("Note added."), body=request.form.get("body")) or \
        redirect(url_for("safety.item", flag_id=flag_id), code=303)


@bp.post("/queue/<int:flag_id>/close")
@signed_in_required
def close(flag_id: int):
    _staff_only()
    try:
        flag = duty.close(_me(), flag_id, request.form.get("outcome"), request.form.get("note"))
    except DomainError as err:
        return _refused(flag_id, err)
    flash(_("Closed. Thank you for looking after someone."), "success")
    if flag.level >= 3:  # care for the peers: a moment to debrief
        return redirect(url_for("safety.item", flag_id=flag_id, debrief=1), code=303)
    return redirect(url_for("safety.queue"), code=303)


@bp.post("/queue/<int:flag_id>/reach-out")
@signed_in_required
def reach_out(flag_id: int):
    _staff_only()
    try:
        room = duty.reach_out(_me(), flag_id)
    except DomainError as err:
        return _refused(flag_id, err)
    return redirect(url_for("rooms.room", room_id=room.id), code=303)


@bp.route("/safety-plan", methods=["GET", "POST"])
@signed_in_required
def safety_plan():
    if request.method == "POST":
        try:
            duty.save_plan(_me(), **{k: request.form.get(k, "") for k in duty.PLAN_FIELDS})
        except DomainError as err:
            flash(err.message, "error")
            return render_template("safety/plan.html", plan=request.form, fields=PLAN_LABELS), 400
        flash(_("Your safety plan is saved. Only you can read it."), "success")
        return redirect(url_for("safety.safety_plan"), code=303)
    plan = duty.plan_for(_me())
    return render_template("safety/plan.html", plan=plan, fields=PLAN_LABELS)


PLAN_LABELS = (
    ("warning_signs", _l("My warning signs"), _l("Thoughts, feelings or situations that tell me a crisis may be coming.")),
    ("coping", _l("Things I can do on my own"), _l("To take my mind off things: a walk, music, a shower, a film.")),
    ("people_places", _l("People and places that distract me"), _l("Somewhere to go, someone to be with.")),
    ("people_to_ask", _l("People I can ask for help"), _l("Who I can call or message, and how.")),
    ("professionals", _l("Services and professionals I can contact"), _l("My clinic, my counsellor, a crisis line.")),
    ("safe_environment", _l("Making where I am safer"), _l("What I can put away or hand to someone for a while.")),
    ("reasons_to_live", _l("What matters most to me"), _l("The reasons I keep going.")),
)


@bp.route("/p/<int:post_id>/worried", methods=["GET", "POST"])
@signed_in_required
def worried(post_id: int):
    post = forums.get_post_for(_me(), post_id)
    if request.method == "POST":
        try:
            duty.raise_concern(_me(), post, request.form.get("note"))
        except DomainError as err:
            flash(err.message, "error")
            return render_template("safety/worried.html", post=post, author=forums.author_label(post)), 400
        flash(_("Thank you for looking out for them. A peer supporter will see this; "
              "the writer won't know who raised it."), "success")
        return redirect(url_for("forums.permalink", post_id=post.id), code=303)
    return render_template("safety/worried.html", post=post, author=forums.author_label(post))


@bp.post("/draft/check")
@signed_in_required
def draft_check():
    """The composer (posts and chat) checks a draft as the member types. Never stored or logged."""
    from flask import jsonify

    data = request.get_json(silent=True)
    body = data.get("body") if isinstance(data, dict) else None
    try:
        result = duty.draft_check(body)
    except DomainError as err:
        return jsonify(ok=False, error=err.message), 400
    return jsonify(ok=True, **result)


@bp.get("/support")
def support_page():
    """The support panel, for anyone who asks for it: the detector reads English only, so a
    member writing in another language (or anyone) can always open it themselves."""
    support = {"level": 2, "asked": True, "held": False, **support_context(2)}
    return render_template("safety/support.html", support=support)


def support_context(level: int) -> dict:
    """What the writer's support panel needs: resources, their own safety plan, who is on duty."""
    from app.services import directory

    # Crisis lines (support resources) first, then the directory's entries of the kinds the
    # admin picked (Admin > Support resources).
    return {"resources": safety.support_resources(), "services": directory.panel_services(),
            "plan": duty.plan_for(_me()) if _me() else None,
            "on_duty": duty.anyone_on_duty() if level >= 2 else None}
