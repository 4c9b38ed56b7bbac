"""The account page: passphrase, recovery codes, discreet mode, export, deletion."""

from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import refresh

from app import i18n

from app.services import accounts, sessions
from app.services.errors import DomainError
from app.web.forms import ChangePassphraseForm, DeleteAccountForm, EmptyForm, PassphraseCheckForm, SettingsForm
from app.web.helpers import form_errors, signed_in_required

bp = Blueprint("account", __name__, url_prefix="/account")


def _with_languages(form: SettingsForm) -> SettingsForm:
    """The language choices: "as my browser says", then each shipped language in its own name."""
    form.language.choices = [("", _("As my browser says")), *i18n.LANGUAGES.items()]
    return form


def _page(status: int = 200, **forms):
    member = sessions.current_member()
    ctx = {
        "passphrase_form": ChangePassphraseForm(prefix="pw", formdata=None),
        "codes_form": PassphraseCheckForm(prefix="codes", formdata=None),
        "settings_form": _with_languages(SettingsForm(prefix="settings", formdata=None,
                                                      data={"discreet_mode": member.discreet_mode,
                                                            "language": member.language or ""})),
        "delete_form": DeleteAccountForm(prefix="delete", formdata=None),
        "export_form": EmptyForm(prefix="export", formdata=None),
        "everywhere_form": EmptyForm(formdata=None),
        "codes_left": accounts.unused_code_count(member),
        "session_count": sessions.count_for(member),
    }
    ctx.update(forms)
    return render_template("account/index.html", **ctx), status


@bp.get("")
@signed_in_required
def index():
    return _page()


@bp.post("/passphrase")
@signed_in_required
def change_passphrase():
    form = ChangePassphraseForm(prefix="pw")
    if form.validate_on_submit():
        try:
            accounts.change_passphrase(sessions.current_member(), form.current.data, form.new.data,
                                       form.confirm.data)
        except DomainError as err:
            form_errors(form, err)
        else:
            flash(_("Your passphrase is changed. Every other session was signed out."), "success")
            return redirect(url_for("account.index"))
    return _page(400, passphrase_form=form)


@bp.post("/recovery-codes")
@signed_in_required
def new_recovery_codes():
    form = PassphraseCheckForm(prefix="codes")
    if form.validate_on_submit():
        try:
            codes = accounts.regenerate_recovery_codes(sessions.current_member(), form.current.data)
        except DomainError as err:
            form_errors(form, err)
        else:
            response = current_app.make_response(
                render_template("auth/recovery_codes.html", codes=codes, first_time=False))
            response.headers["Cache-Control"] = "no-store"
            return response
    return _page(400, codes_form=form)


@bp.post("/settings")
@signed_in_required
def settings():
    form = _with_languages(SettingsForm(prefix="settings"))
    if form.validate_on_submit():
        member = sessions.current_member()
        try:
            accounts.set_language(member, form.language.data)
        except DomainError as err:
            form_errors(form, err)
        else:
            accounts.set_discreet_mode(member, form.discreet_mode.data)
            # Said in the newly chosen language: the locale was picked before the change.
            refresh()
            flash(_("Settings saved."), "success")
            return redirect(url_for("account.index"))
    return _page(400, settings_form=form)


@bp.post("/export")
@signed_in_required
def export():
    form = EmptyForm(prefix="export")
    if not form.validate_on_submit():
        return _page(400)
    data = accounts.export(sessions.current_member())
    body = json.dumps(data, ensure_ascii=False, indent=2)
    return Response(
        body,
        mimetype="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="kindred-export.json"',
            "Cache-Control": "no-store",
        },
    )


@bp.post("/delete")
@signed_in_required
def delete():
    form = DeleteAccountForm(prefix="delete")
    if form.validate_on_submit():
        try:
            accounts.delete_account(sessions.current_member(), form.passphrase.data,
                                    form.content.data, form.confirm.data)
        except DomainError as err:
            form_errors(form, err)
        else:
            flash(_("Your account is deleted. Thank you for being part of Kindred."), "success")
            return redirect(url_for("main.index"))
    return _page(400, delete_form=form)
