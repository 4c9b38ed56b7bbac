"""The services directory pages. Browsing is a GET form (shareable links, no JavaScript, no
cookie for readers who are not signed in); changes are CSRF-protected forms that call
services.directory, which decides every permission."""

from __future__ import annotations

import re

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectMultipleField, StringField, TextAreaField, widgets
from wtforms.validators import InputRequired

from app.models import Service
from app.models.base import utcnow
from app.services import directory, permissions, sessions
from app.services.errors import DomainError, Invalid
from app.web.forms import EmptyForm, _cap
from app.web.helpers import form_errors, signed_in_required

bp = Blueprint("directory", __name__)


class KindsField(SelectMultipleField):
    """Checkboxes; the service checks the values (with a message a person can read)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def pre_validate(self, form):
        pass


class ServiceForm(FlaskForm):
    name = StringField(_l("Name"), validators=[InputRequired(_l("Please give a name."))], filters=[_cap(120)],
                       render_kw={"maxlength": 120})
    kinds = KindsField(_l("What it helps with"), description=_l("Choose every kind that fits."))
    description = TextAreaField(_l("About the service"), filters=[_cap(1000)], render_kw={"rows": 3, "maxlength": 1000})
    phone = StringField(_l("Phone"), description=_l("Digits, spaces and + ( ) - . / only."), filters=[_cap(40)],
                        render_kw={"maxlength": 40, "inputmode": "tel", "autocomplete": "off"})
    url = StringField(_l("Web address"), description=_l("A full address starting with https://"),
                      filters=[_cap(300)], render_kw={"maxlength": 300, "inputmode": "url", "autocomplete": "off"})
    address = TextAreaField(_l("Address"), filters=[_cap(300)], render_kw={"rows": 2, "maxlength": 300})
    hours = StringField(_l("Opening hours"), description=_l("For example “Mon–Fri 9:00–17:00” or “24/7”."),
                        filters=[_cap(200)], render_kw={"maxlength": 200})
    area = StringField(_l("Area served"), description=_l("For example “the whole city” or “online, UK-wide”."),
                       filters=[_cap(200)], render_kw={"maxlength": 200})
    region = StringField(_l("Region tag (optional)"), description=_l("Members filter by it: reuse an existing tag where one fits."),
                         filters=[_cap(64)], render_kw={"maxlength": 64, "list": "region-tags", "autocomplete": "off"})
    languages = StringField(_l("Languages"), description=_l("Separated by commas, for example “English, Français, Português”."),
                            filters=[_cap(700)], render_kw={"maxlength": 600})
    cost = StringField(_l("Cost"), description=_l("For example “Free” or “Free for under-25s”."), filters=[_cap(120)],
                       render_kw={"maxlength": 120})
    is_confidential = BooleanField(_l("Confidential"))
    is_anonymous = BooleanField(_l("You can use it anonymously"))
    last_checked = StringField(_l("Last checked"), description=_l("The day someone confirmed these details."),
                               filters=[_cap(10)], render_kw={"type": "date", "maxlength": 10})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kinds.choices = [(k, str(label)) for k, label in directory.KINDS.items()]

    def entry_data(self) -> dict:
        return {name: getattr(self, name).data for name in (
            "name", "kinds", "description", "phone", "url", "address", "hours", "area", "region", "languages",
            "cost", "is_confidential", "is_anonymous", "last_checked")}


def _me():
    return sessions.current_member()


bp.add_app_template_global(directory.is_stale, "service_is_stale")


@bp.app_template_filter("tel")
def _tel(phone: str) -> str:
    """A tel: link target: the digits (and a leading +) of a validated phone number."""
    return ("+" if phone.strip().startswith("+") else "") + "".join(c for c in phone if c.isdigit())


def _form_for(service: Service) -> ServiceForm:
    return ServiceForm(formdata=None, data={
        "name": service.name, "kinds": service.kinds, "description": service.description, "phone": service.phone,
        "url": service.url or "", "address": service.address, "hours": service.hours, "area": service.area,
        "region": service.region or "", "languages": ", ".join(service.languages), "cost": service.cost,
        "is_confidential": service.is_confidential, "is_anonymous": service.is_anonymous,
        "last_checked": service.last_checked.isoformat() if service.last_checked else ""})


@bp.get("/services")
def index():
    try:
        filters = directory.parse_filters(request.args)
    except Invalid as err:
        abort(400, description=err.message)
    listing = directory.browse(filters)
    me = _me()
    return render_template("directory/index.html", listing=listing, f=filters, kinds=directory.KINDS,
                           regions=directory.regions(), languages=directory.languages(),
                           today=utcnow().date(), can_edit=permissions.can_edit_directory(me),
                           pending=directory.pending_count() if permissions.can_edit_directory(me) else 0)


@bp.get("/services/<int:service_id>")
def show(service_id: int):
    service = directory.get_service_for(_me(), service_id)
    me = _me()
    return render_template("directory/service.html", s=service, today=utcnow().date(), kinds=directory.KINDS,
                           can_edit=permissions.can_edit_directory(me),
                           action_form=EmptyForm(formdata=None) if me else None)


@bp.route("/services/new", methods=["GET", "POST"])
@signed_in_required
def new():
    permissions.require_directory_editor(_me())
    form = ServiceForm() if request.method == "POST" else ServiceForm(
        formdata=None, data={"last_checked": utcnow().date().isoformat()})
    if request.method == "POST" and form.validate_on_submit():
        try:
            service = directory.add_service(_me(), form.entry_data())
        except DomainError as err:
            form_errors(form, err)
        else:
            flash(_("Added to the directory.") if service.status == "approved"
                  else _("Thank you. An admin will approve it before members see it."), "success")
            return redirect(url_for("directory.show", service_id=service.id), code=303)
    status = 400 if request.method == "POST" else 200
    return render_template("directory/edit.html", form=form, service=None, regions=directory.regions()), status


@bp.route("/services/<int:service_id>/edit", methods=["GET", "POST"])
@signed_in_required
def edit(service_id: int):
    permissions.require_directory_editor(_me())
    service = directory.get_service_for(_me(), service_id)
    form = ServiceForm() if request.method == "POST" else _form_for(service)
    if request.method == "POST" and form.validate_on_submit():
        try:
            changed = directory.edit_service(_me(), service, form.entry_data())
        except DomainError as err:
            form_errors(form, err)
        else:
            flash(_("Saved.") if changed else _("Nothing had changed."), "success")
            return redirect(url_for("directory.show", service_id=service.id), code=303)
    status = 400 if request.method == "POST" else 200
    return render_template("directory/edit.html", form=form, service=service, regions=directory.regions()), status


_ACTIONS = {
    "checked": (directory.mark_checked, _l("Marked as checked today.")),
    "approve": (directory.approve, _l("Approved: members can see it now.")),
    "remove": (directory.remove, _l("Removed from the directory. Cards already shared stay readable.")),
    "restore": (directory.restore, _l("Restored to the directory.")),
}


@bp.post("/services/<int:service_id>/<any(checked, approve, remove, restore):action>")
@signed_in_required
def act(service_id: int, action: str):
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400, description=_("This form had expired. Go back, reload the page, and try again."))
    service = directory.get_service_for(_me(), service_id)
    fn, message = _ACTIONS[action]
    fn(_me(), service)  # Forbidden / Invalid -> a 403 / 400 page with the reason
    flash(str(message), "success")
    target = request.form.get("next")
    if target == "review":
        return redirect(url_for("directory.review"), code=303)
    return redirect(url_for("directory.show", service_id=service.id), code=303)


@bp.get("/services/review")
@signed_in_required
def review():
    waiting, removed = directory.review_list(_me())
    return render_template("directory/review.html", waiting=waiting, removed=removed,
                           action_form=EmptyForm(formdata=None), today=utcnow().date())


_THREAD_RE = re.compile(r"^(?:.*/t/)?(\d{1,12})(?:[/?#].*)?$")


@bp.get("/services/<int:service_id>/share")
@signed_in_required
def share_in_reply(service_id: int):
    """"Share in a reply": the peer names the thread (its number or address) and lands on that
    thread's reply form with this service chosen."""
    service = directory.get_shareable(_me(), service_id)
    raw = request.args.get("thread", "", type=str).strip()
    m = _THREAD_RE.match(raw) if len(raw) <= 300 else None
    if not m:
        abort(400, description=_("Paste the thread's address (or its number) to share this service in a reply."))
    return redirect(url_for("forums.reply", thread_id=int(m.group(1)), service=service.id), code=303)
