"""Sign up, sign in, sign out, recovery. Views parse a form and call services.accounts."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from app.extensions import limiter
from app.services import accounts, sessions
from app.services.errors import DomainError
from app.services.ratelimit import pseudonym_key
from app.web.forms import EmptyForm, LoginForm, RecoverForm, RegisterForm
from app.web.helpers import form_errors, safe_next, signed_in_required

bp = Blueprint("auth", __name__)


def _cfg(name: str):
    return lambda: current_app.config[name]


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_cfg("REGISTER_LIMIT_PER_ADDRESS"), methods=["POST"])
def register():
    if sessions.current_member() is not None:
        return redirect(url_for("account.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            new = accounts.sign_up(form.pseudonym.data, form.passphrase.data, form.confirm.data)
        except DomainError as err:
            form_errors(form, err)
        else:
            # The codes are shown in this response only, never stored in clear or redirected.
            return _no_store(current_app.make_response(render_template(
                "auth/recovery_codes.html", codes=new.recovery_codes, first_time=True)))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/register.html", form=form), status


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_cfg("LOGIN_LIMIT_PER_ADDRESS"), methods=["POST"])
@limiter.limit(_cfg("LOGIN_LIMIT_PER_PSEUDONYM"), methods=["POST"], key_func=pseudonym_key)
def login():
    form = LoginForm()
    target = safe_next(request.args.get("next"), url_for("main.index"))
    if form.validate_on_submit():
        try:
            accounts.sign_in(form.pseudonym.data, form.passphrase.data)
        except DomainError as err:
            form_errors(form, err)
        else:
            flash(_("Welcome back. You're signed in."), "success")
            return redirect(target)
    status = 400 if request.method == "POST" else 200
    ended = request.args.get("ended") == "1"
    return render_template("auth/login.html", form=form, ended=ended), status


@bp.post("/logout")
def logout():
    form = EmptyForm()
    if form.validate_on_submit():
        accounts.sign_out()
        flash(_("You're signed out."), "success")
    return redirect(url_for("main.index"))


@bp.post("/logout/everywhere")
@signed_in_required
def logout_everywhere():
    form = EmptyForm()
    if form.validate_on_submit():
        count = accounts.sign_out_everywhere(sessions.current_member())
        flash(ngettext("You're signed out everywhere (%(num)s session ended).",
                       "You're signed out everywhere (%(num)s sessions ended).", count), "success")
    return redirect(url_for("auth.login"))


@bp.route("/recover", methods=["GET", "POST"])
@limiter.limit(_cfg("RECOVER_LIMIT_PER_ADDRESS"), methods=["POST"])
@limiter.limit(_cfg("LOGIN_LIMIT_PER_PSEUDONYM"), methods=["POST"], key_func=pseudonym_key)
def recover():
    form = RecoverForm()
    if form.validate_on_submit():
        try:
            member = accounts.recover(form.pseudonym.data, form.code.data, form.passphrase.data,
                                      form.confirm.data)
        except DomainError as err:
            form_errors(form, err)
        else:
            left = accounts.unused_code_count(member)
            flash(_("Your passphrase is changed and you're signed in. That code is used up; you have "
                    "%(num)s left. Every other session was signed out.", num=left), "success")
            return redirect(url_for("account.index"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/recover.html", form=form), status
