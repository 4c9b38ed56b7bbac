"""Admin pages: members and roles, suspensions, the audit log, site settings."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.models import Role
from app.services import accounts, audit, permissions, roles, sessions, settings
from app.services.errors import DomainError
from app.web.forms import EmptyForm, QuickExitForm, RoleForm, SuspendForm
from app.web.helpers import form_errors

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def _admins_only():
    if sessions.current_member() is None:
        flash(_("Please sign in first."), "info")
        return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))
    permissions.require_admin(sessions.current_member())  # Forbidden -> friendly 403 page
    return None


def _bounded_arg(name: str, max_len: int = 64) -> str:
    value = request.args.get(name, "", type=str)
    if len(value) > max_len:
        abort(400, description=_("The %(name)s in the address is too long.", name=name))
    return value


@bp.get("")
def index():
    from app.services import duty

    return render_template("admin/index.html", audit_count=audit.count(), on_duty=duty.on_duty())


@bp.get("/members")
def members():
    query = _bounded_arg("q")
    role = _bounded_arg("role")
    after = _bounded_arg("after", 200)
    if role and role not in {r.value for r in Role}:
        abort(400, description=_("There is no such role."))
    rows = roles.list_members(sessions.current_member(), query=query, role=role, after=after)
    next_after = rows[-1].pseudonym_key if len(rows) == roles.PAGE_SIZE else None
    return render_template("admin/members.html", rows=rows, query=query, role=role,
                           next_after=next_after, Role=Role)


def _member_page(member_id: int, status: int = 200, **forms):
    member = accounts.get_member(member_id)
    ctx = {
        "member": member,
        "grant_form": RoleForm(prefix="grant", formdata=None),
        "revoke_form": EmptyForm(prefix="revoke", formdata=None),
        "suspend_form": SuspendForm(prefix="suspend", formdata=None),
        "unsuspend_form": EmptyForm(prefix="unsuspend", formdata=None),
        "history": audit.recent(subject_id=member.id, limit=20),
        "Role": Role,
    }
    ctx.update(forms)
    return render_template("admin/member.html", **ctx), status


@bp.get("/members/<int:member_id>")
def member(member_id: int):
    return _member_page(member_id)


@bp.post("/members/<int:member_id>/roles")
def grant(member_id: int):
    form = RoleForm(prefix="grant")
    member = accounts.get_member(member_id)
    if form.validate_on_submit():
        try:
            role = roles.parse_role(form.role.data)
            changed = roles.grant_role(sessions.current_member(), member, role)
        except DomainError as err:
            form_errors(form, err)
        else:
            flash(_("%(name)s is now a %(role)s.", name=member.pseudonym, role=role.label.lower()) if changed
                  else _("%(name)s already had that role.", name=member.pseudonym), "success")
            return redirect(url_for("admin.member", member_id=member_id))
    return _member_page(member_id, 400, grant_form=form)


@bp.post("/members/<int:member_id>/roles/<role>/revoke")
def revoke(member_id: int, role: str):
    form = EmptyForm(prefix="revoke")
    member = accounts.get_member(member_id)
    if not form.validate_on_submit():
        return _member_page(member_id, 400)
    parsed = roles.parse_role(role)
    roles.revoke_role(sessions.current_member(), member, parsed)
    flash(_("%(name)s is no longer a %(role)s.", name=member.pseudonym, role=parsed.label.lower()), "success")
    return redirect(url_for("admin.member", member_id=member_id))


@bp.post("/members/<int:member_id>/suspend")
def suspend(member_id: int):
    form = SuspendForm(prefix="suspend")
    member = accounts.get_member(member_id)
    if form.validate_on_submit():
        try:
            roles.suspend(sessions.current_member(), member, form.reason.data)
        except DomainError as err:
            form_errors(form, err)
        else:
            flash(_("%(name)s is suspended and signed out everywhere.", name=member.pseudonym), "success")
            return redirect(url_for("admin.member", member_id=member_id))
    return _member_page(member_id, 400, suspend_form=form)


@bp.post("/members/<int:member_id>/unsuspend")
def unsuspend(member_id: int):
    form = EmptyForm(prefix="unsuspend")
    member = accounts.get_member(member_id)
    if not form.validate_on_submit():
        return _member_page(member_id, 400)
    roles.unsuspend(sessions.current_member(), member)
    flash(_("%(name)s's suspension is lifted.", name=member.pseudonym), "success")
    return redirect(url_for("admin.member", member_id=member_id))


@bp.get("/audit")
def audit_log():
    before = request.args.get("before", type=int)
    action = _bounded_arg("action")
    entries = audit.recent(before_id=before, action=action or None)
    next_before = entries[-1].id if len(entries) == audit.PAGE_SIZE else None
    return render_template("admin/audit.html", entries=entries, action=action,
                           actions=audit.actions(), next_before=next_before)


@bp.route("/settings", methods=["GET", "POST"])
def site_settings():
    form = QuickExitForm(data={"quick_exit_url": settings.get("quick_exit_url")}
                         if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            settings.set_quick_exit_url(sessions.current_member(), form.quick_exit_url.data)
        except DomainError as err:
            form_errors(form, err)
        else:
            flash(_("Settings saved."), "success")
            return redirect(url_for("admin.site_settings"))
    status = 400 if request.method == "POST" else 200
    return render_template("admin/settings.html", form=form), status


# ---------------------------------------------------------------- categories, resources

def _save(form, save, message: str, endpoint: str):
    """Run a service save for a submitted form: a redirect on success, None (errors attached
    to the form) when the service refuses."""
    try:
        save()
    except DomainError as err:
        form_errors(form, err)
        return None
    flash(message, "success")
    return redirect(url_for(endpoint))


def _save_category(form, category):
    from app.services import forums

    return lambda: forums.save_category(sessions.current_member(), category, form.name.data, form.slug.data,
                                        form.description.data, form.is_group.data, form.position.data)


def _save_resource(form, resource):
    from app.services import safety

    return lambda: safety.save_resource(sessions.current_member(), resource, form.name.data, form.description.data,
                                        form.contact.data, form.url.data, form.is_crisis_line.data,
                                        form.position.data, hours=form.hours.data)


@bp.route("/categories", methods=["GET", "POST"])
def categories():
    from app.services import forums
    from app.web.forms import CategoryForm

    form = CategoryForm(prefix="new")
    if request.method == "POST" and form.validate_on_submit():
        done = _save(form, _save_category(form, None), _("Category added."), "admin.categories")
        if done:
            return done
    status = 400 if request.method == "POST" else 200
    rows = forums.list_categories(sessions.current_member(), include_archived=True)
    return render_template("admin/categories.html", form=form, rows=rows), status


@bp.route("/categories/<int:category_id>", methods=["GET", "POST"])
def category_edit(category_id: int):
    from app.extensions import db
    from app.models import Category
    from app.services import forums
    from app.web.forms import CategoryForm

    cat = db.session.get(Category, category_id)
    if cat is None:
        abort(404)
    if request.method == "POST" and request.form.get("archive") in ("0", "1"):
        forums.set_archived(sessions.current_member(), cat, request.form["archive"] == "1")
        flash(_("Saved."), "success")
        return redirect(url_for("admin.categories"))
    form = CategoryForm() if request.method == "POST" else CategoryForm(
        formdata=None, obj=cat, data={"position": str(cat.position)})
    if request.method == "POST" and form.validate_on_submit():
        done = _save(form, _save_category(form, cat), _("Category saved."), "admin.categories")
        if done:
            return done
    status = 400 if request.method == "POST" else 200
    return render_template("admin/category_edit.html", form=form, category=cat), status


# ---------------------------------------------------------------- support resources

@bp.route("/resources", methods=["GET", "POST"])
def resources():
    from app.extensions import db
    from app.models import SupportResource
    from app.services import safety
    from app.web.forms import ResourceForm

    if request.method == "POST" and request.form.get("active") in ("0", "1"):
        res = db.session.get(SupportResource, request.form.get("resource_id", type=int) or 0)
        if res is None:
            abort(404)
        safety.set_resource_active(sessions.current_member(), res, request.form["active"] == "1")
        flash(_("Saved."), "success")
        return redirect(url_for("admin.resources"))
    form = ResourceForm()
    if request.method == "POST" and form.validate_on_submit():
        done = _save(form, _save_resource(form, None), _("Resource added."), "admin.resources")
        if done:
            return done
    status = 400 if request.method == "POST" else 200
    return render_template("admin/resources.html", form=form, rows=safety.all_resources(),
                           **_panel_kinds_context()), status


def _panel_kinds_context() -> dict:
    from app.services import directory

    return {"directory_kinds": directory.KINDS, "panel_kinds": directory.panel_kinds()}


@bp.post("/resources/panel-kinds")
def panel_kinds():
    """Which kinds of directory entries the support panel lists after the crisis lines."""
    from flask_babel import gettext as _

    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400, description=_("This form had expired. Go back, reload the page, and try again."))
    settings.set_support_panel_kinds(sessions.current_member(), request.form.getlist("kinds"))
    flash(_("Saved: the support panel lists those kinds of services after the crisis lines."), "success")
    return redirect(url_for("admin.resources"))


# ---------------------------------------------------------------- rooms

@bp.route("/rooms", methods=["GET", "POST"])
def rooms():
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Room
    from app.services import chat

    status = 200
    if request.method == "POST":
        room = db.session.get(Room, request.form.get("room_id", type=int) or 0)
        if room is None:
            abort(404)
        try:
            chat.set_retention(sessions.current_member(), room, request.form.get("retention_days"),
                               request.form.get("vanish_on_end") == "y")
        except DomainError as err:
            db.session.rollback()
            flash(err.message, "error")
            status = 400
        else:
            flash(_("Saved: lines in “%(name)s” are kept for %(num)s days.", name=room.name, num=room.retention_days),
                  "success")
            return redirect(url_for("admin.rooms"))
    rows = list(db.session.scalars(select(Room).where(Room.kind != "private").order_by(Room.kind, Room.id)))
    return render_template("admin/rooms.html", rows=rows, state=chat.room_state), status


# ---------------------------------------------------------------- safety figures

@bp.get("/safety")
def safety_dashboard():
    from app.services import duty

    days = request.args.get("days", 14, type=int)
    if not 1 <= days <= 365:
        abort(400, description=_("Choose between 1 and 365 days."))
    return render_template("admin/safety.html", d=duty.dashboard(sessions.current_member(), days), days=days,
                           outcomes=duty.OUTCOMES)


@bp.route("/resources/<int:resource_id>", methods=["GET", "POST"])
def resource_edit(resource_id: int):
    from app.extensions import db
    from app.models import SupportResource
    from app.web.forms import ResourceForm

    res = db.session.get(SupportResource, resource_id)
    if res is None:
        abort(404)
    form = ResourceForm() if request.method == "POST" else ResourceForm(
        formdata=None, obj=res, data={"position": str(res.position), "url": res.url or ""})
    if request.method == "POST" and form.validate_on_submit():
        done = _save(form, _save_resource(form, res), _("Resource saved."), "admin.resources")
        if done:
            return done
    status = 400 if request.method == "POST" else 200
    return render_template("admin/resource_edit.html", form=form, resource=res), status
