"""Form classes: CSRF (Flask-WTF) and the shape of each field. Domain rules stay in services.

Length bounds here match the services' so a browser gets the same message either way; every
field is re-checked by the service, which is what tests lean on.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from app.services import passphrases, pseudonyms

PASS_MAX = passphrases.MAX_LENGTH


def _cap(limit: int):
    """Keep at most `limit` characters of a submitted value, so an oversize value is refused
    by the service's length rule without being echoed back whole into the page."""
    return lambda value: value[: limit + 1] if isinstance(value, str) else value


class RegisterForm(FlaskForm):
    pseudonym = StringField(
        _l("Pseudonym"),
        description=_l("%(min)s–%(max)s characters. Not your name, not an e-mail address or phone number, "
                       "nothing you use elsewhere.", min=pseudonyms.MIN_LENGTH, max=pseudonyms.MAX_LENGTH),
        validators=[InputRequired(_l("Please choose a pseudonym."))], filters=[_cap(200)],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false",
                   "maxlength": 64},
    )
    passphrase = PasswordField(
        _l("Passphrase"),
        description=_l("At least %(min)s characters. A few ordinary words with spaces between them are strong "
                       "and easy to remember.", min=passphrases.MIN_LENGTH),
        validators=[InputRequired(_l("Please choose a passphrase."))],
        render_kw={"autocomplete": "new-password", "maxlength": PASS_MAX},
    )
    confirm = PasswordField(
        _l("Passphrase again"),
        validators=[InputRequired(_l("Please type your passphrase a second time."))],
        render_kw={"autocomplete": "new-password", "maxlength": PASS_MAX},
    )


class LoginForm(FlaskForm):
    pseudonym = StringField(
        _l("Pseudonym"), validators=[InputRequired(_l("Please enter your pseudonym."))], filters=[_cap(200)],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false",
                   "maxlength": 64},
    )
    passphrase = PasswordField(
        _l("Passphrase"), validators=[InputRequired(_l("Please enter your passphrase."))],
        render_kw={"autocomplete": "current-password", "maxlength": PASS_MAX},
    )


class RecoverForm(FlaskForm):
    pseudonym = StringField(
        _l("Pseudonym"), validators=[InputRequired(_l("Please enter your pseudonym."))], filters=[_cap(200)],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false",
                   "maxlength": 64},
    )
    code = StringField(
        _l("Recovery code"), description=_l("One of the codes you saved when you signed up, like 4kx9-m2pq-7hzt."),
        validators=[InputRequired(_l("Please enter one of your recovery codes."))], filters=[_cap(64)],
        render_kw={"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false",
                   "maxlength": 64},
    )
    passphrase = PasswordField(
        _l("New passphrase"), description=_l("At least %(min)s characters.", min=passphrases.MIN_LENGTH),
        validators=[InputRequired(_l("Please choose a new passphrase."))],
        render_kw={"autocomplete": "new-password", "maxlength": PASS_MAX},
    )
    confirm = PasswordField(
        _l("New passphrase again"), validators=[InputRequired(_l("Please type the new passphrase again."))],
        render_kw={"autocomplete": "new-password", "maxlength": PASS_MAX},
    )


class ChangePassphraseForm(FlaskForm):
    current = PasswordField(
        _l("Current passphrase"), validators=[InputRequired(_l("Please enter your current passphrase."))],
        render_kw={"autocomplete": "current-password", "maxlength": PASS_MAX},
    )
    new = PasswordField(
        _l("New passphrase"), description=_l("At least %(min)s characters.", min=passphrases.MIN_LENGTH),
        validators=[InputRequired(_l("Please choose a new passphrase."))],
        render_kw={"autocomplete": "new-password", "maxlength": PASS_MAX},
    )
    confirm = PasswordField(
        _l("New passphrase again"), validators=[InputRequired(_l("Please type the new passphrase again."))],
        render_kw={"autocomplete": "new-password", "maxlength": PASS_MAX},
    )


class PassphraseCheckForm(FlaskForm):
    """For actions that need the passphrase once more (new recovery codes)."""

    current = PasswordField(
        _l("Current passphrase"), validators=[InputRequired(_l("Please enter your passphrase."))],
        render_kw={"autocomplete": "current-password", "maxlength": PASS_MAX},
    )


class DeleteAccountForm(FlaskForm):
    content = RadioField(
        _l("What should happen to what you wrote?"),
        choices=[
            SelectChoice("remove", _l("Remove everything I wrote")),
            SelectChoice("keep", _l("Keep my posts, shown as written by “deleted member”")),
        ],
        validators=[InputRequired(_l("Please choose what happens to what you wrote."))],
    )
    passphrase = PasswordField(
        _l("Your passphrase"), validators=[InputRequired(_l("Please enter your passphrase."))],
        render_kw={"autocomplete": "current-password", "maxlength": PASS_MAX},
    )
    confirm = BooleanField(_l("I understand this can't be undone."))


class SettingsForm(FlaskForm):
    language = SelectField(
        _l("Language"),
        description=_l("The language Kindred speaks to you in. Without a choice here, your browser's preferred "
                       "language is used."),
        # Filled by the view from i18n.LANGUAGES (each language in its own name), with a first
        # choice for "as my browser says"; the service checks the value.
        choices=[], validate_choice=False,
    )
    discreet_mode = BooleanField(
        _l("Discreet mode"),
        description=_l("Show a plain tab title (“Notes”) and a plain icon instead of Kindred's, "
        "so a glance at your screen or tabs gives nothing away."),
    )


class EmptyForm(FlaskForm):
    """A form with only the CSRF token: sign out, sign out everywhere, and other buttons."""


class RoleForm(FlaskForm):
    role = RadioField(
        _l("Role"),
        choices=[SelectChoice("peer", _l("Peer supporter")), SelectChoice("facilitator", _l("Facilitator")),
                 SelectChoice("admin", _l("Admin"))],
        validators=[InputRequired(_l("Choose a role."))],
    )


class SuspendForm(FlaskForm):
    reason = StringField(
        _l("Reason (kept in the audit log)"),
        validators=[InputRequired(_l("Please give a reason."))], filters=[_cap(500)],
        render_kw={"maxlength": 500},
    )


class QuickExitForm(FlaskForm):
    quick_exit_url = StringField(
        _l("Quick exit goes to"),
        description=_l("An ordinary, busy site that says nothing about the reader (news, weather)."),
        validators=[InputRequired(_l("Enter a web address."))], filters=[_cap(500)],
        render_kw={"maxlength": 500, "inputmode": "url"},
    )


class ComposeForm(FlaskForm):
    """New thread (with title) or reply (without). Field names are a public contract."""

    title = StringField(_l("Title"), filters=[_cap(300)],
                        render_kw={"maxlength": 150, "autocomplete": "off"})
    body = TextAreaField(
        _l("Your post"),
        description=_l("Markdown works: **bold**, *italic*, > quote, - lists, links. Images are not shown."),
        filters=[_cap(20_000)],
        render_kw={"rows": 10, "maxlength": 20_000},
    )
    content_warning = StringField(
        _l("Content warning (optional)"),
        description=_l("A few words, for example “suicide”, “self-harm”, “violence”. "
        "Readers see the warning and choose to open your post."),
        filters=[_cap(200)], render_kw={"maxlength": 100, "autocomplete": "off"},
    )
    anonymous = BooleanField(_l("Post as Anonymous"),
                             description=_l("Others see “Anonymous” and a number that stays the same in this "
                             "thread, not your pseudonym."))
    submission_key = HiddenField()


class ReportForm(FlaskForm):
    reason = RadioField(_l("Why are you reporting this post?"), validators=[InputRequired(_l("Please choose a reason."))])
    note = TextAreaField(_l("Anything the moderators should know (optional)"), filters=[_cap(1000)],
                         render_kw={"rows": 3, "maxlength": 1000})


class ReasonForm(FlaskForm):
    reason = StringField(_l("Reason (the writer is told, and it goes in the audit log)"),
                         validators=[InputRequired(_l("Please give a reason."))], filters=[_cap(500)],
                         render_kw={"maxlength": 500})


class CategoryForm(FlaskForm):
    name = StringField(_l("Name"), validators=[InputRequired(_l("Please give a name."))], filters=[_cap(80)],
                       render_kw={"maxlength": 80})
    slug = StringField(_l("Address (/c/…)"), description=_l("Lower-case letters, digits and dashes."),
                       validators=[InputRequired(_l("Please give an address."))], filters=[_cap(64)],
                       render_kw={"maxlength": 64})
    description = TextAreaField(_l("Description"), filters=[_cap(500)], render_kw={"rows": 3, "maxlength": 500})
    position = StringField(_l("Position"), description=_l("Smaller numbers come first."), filters=[_cap(8)],
                           render_kw={"inputmode": "numeric", "maxlength": 6})
    is_group = BooleanField(_l("Peer group"), description=_l("Members ask to join and a facilitator approves. "
                            "Non-members can't see its threads."))


class ResourceForm(FlaskForm):
    name = StringField(_l("Name"), validators=[InputRequired(_l("Please give a name."))], filters=[_cap(120)],
                       render_kw={"maxlength": 120})
    description = TextAreaField(_l("What it offers"), filters=[_cap(500)], render_kw={"rows": 2, "maxlength": 500})
    contact = StringField(_l("Phone or text line (shown as text)"), filters=[_cap(200)], render_kw={"maxlength": 200})
    url = StringField(_l("Web address (optional)"), filters=[_cap(300)], render_kw={"maxlength": 300, "inputmode": "url"})
    hours = StringField(_l("Opening hours"), description=_l("For example “24/7” or “Mon–Fri 9:00–17:00”."),
                        filters=[_cap(200)], render_kw={"maxlength": 200})
    position = StringField(_l("Position"), filters=[_cap(8)], render_kw={"inputmode": "numeric", "maxlength": 6})
    is_crisis_line = BooleanField(_l("Crisis line (shown first)"))


class RoomForm(FlaskForm):
    kind = RadioField(_l("Kind"), choices=[SelectChoice("session", _l("A scheduled session")),
                                       SelectChoice("standing", _l("A standing room (always open; admins only)"))],
                      default="session", validators=[InputRequired(_l("Choose a kind of room."))])
    name = StringField(_l("Title"), validators=[InputRequired(_l("Please give a title."))], filters=[_cap(120)],
                       render_kw={"maxlength": 120})
    description = TextAreaField(_l("Description"), filters=[_cap(1000)], render_kw={"rows": 3, "maxlength": 1000})
    ground_rules = TextAreaField(_l("Ground rules"), description=_l("Members read and accept these once before joining."),
                                 filters=[_cap(4000)], render_kw={"rows": 5, "maxlength": 4000})
    starts_at = StringField(_l("Starts (UTC)"), description=_l("For example 2026-12-01 18:00."), filters=[_cap(40)],
                            render_kw={"maxlength": 40, "placeholder": _l("YYYY-MM-DD HH:MM")})
    ends_at = StringField(_l("Ends (UTC, optional)"), filters=[_cap(40)],
                          render_kw={"maxlength": 40, "placeholder": _l("YYYY-MM-DD HH:MM")})
    capacity = StringField(_l("Capacity (optional)"), filters=[_cap(8)], render_kw={"inputmode": "numeric", "maxlength": 5})
    retention_days = StringField(_l("Keep lines for (days)"), default="30", filters=[_cap(8)],
                                 render_kw={"inputmode": "numeric", "maxlength": 4})
    vanish_on_end = BooleanField(_l("Delete the session's lines when it ends"))


class RulesForm(FlaskForm):
    anonymous = BooleanField(_l("Join as Anonymous"),
                             description=_l("Others see “Anonymous” and a number for this room, not your pseudonym."))


class OutcomeForm(FlaskForm):
    outcome = RadioField(_l("How did it go?"), validators=[InputRequired(_l("Please choose an outcome."))])
    note = TextAreaField(_l("Private note for peer supporters (optional)"), filters=[_cap(2000)],
                         render_kw={"rows": 3, "maxlength": 2000})
