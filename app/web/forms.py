"""Form classes: CSRF (Flask-WTF) and the shape of each field. Domain rules stay in services.

Length bounds here match the services' so a browser gets the same message either way; every
field is re-checked by the service, which is what tests lean on.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, RadioField, StringField, TextAreaField
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
        "Pseudonym",
        description=f"{pseudonyms.MIN_LENGTH}–{pseudonyms.MAX_LENGTH} characters. Not your name, "
        "not an e-mail address or phone number, nothing you use elsewhere.",
        validators=[InputRequired("Please choose a pseudonym.")], filters=[_cap(200)],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false",
                   "maxlength": 64},
    )
    passphrase = PasswordField(
        "Passphrase",
        description=f"At least {passphrases.MIN_LENGTH} characters. A few ordinary words with spaces "
        "between them are strong and easy to remember.",
        validators=[InputRequired("Please choose a passphrase.")],
        render_kw={"autocomplete": "new-password", "maxlength": PASS_MAX},
    )
    confirm = PasswordField(
        "Passphrase again",
        validators=[InputRequired("Please type your passphrase a second time.")],
        render_kw={"autocomplete": "new-password", "maxlength": PASS_MAX},
    )


class LoginForm(FlaskForm):
    pseudonym = StringField(
        "Pseudonym", validators=[InputRequired("Please enter your pseudonym.")], filters=[_cap(200)],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false",
                   "maxlength": 64},
    )
    passphrase = PasswordField(
        "Passphrase", validators=[InputRequired("Please enter your passphrase.")],
        render_kw={"autocomplete": "current-password", "maxlength": PASS_MAX},
    )


class RecoverForm(FlaskForm):
    pseudonym = StringField(
        "Pseudonym", validators=[InputRequired("Please enter your pseudonym.")], filters=[_cap(200)],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false",
                   "maxlength": 64},
    )
    code = StringField(
        "Recovery code", description="One of the codes you saved when you signed up, like 4kx9-m2pq-7hzt.",
        validators=[InputRequired("Please enter one of your recovery codes.")], filters=[_cap(64)],
        render_kw={"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false",
                   "maxlength": 64},
    )
    passphrase = PasswordField(
        "New passphrase", description=f"At least {passphrases.MIN_LENGTH} characters.",
        validators=[InputRequired("Please choose a new passphrase.")],
        render_kw={"autocomplete": "new-password", "maxlength": PASS_MAX},
    )
    confirm = PasswordField(
        "New passphrase again", validators=[InputRequired("Please type the new passphrase again.")],
        render_kw={"autocomplete": "new-password", "maxlength": PASS_MAX},
    )


class ChangePassphraseForm(FlaskForm):
    current = PasswordField(
        "Current passphrase", validators=[InputRequired("Please enter your current passphrase.")],
        render_kw={"autocomplete": "current-password", "maxlength": PASS_MAX},
    )
    new = PasswordField(
        "New passphrase", description=f"At least {passphrases.MIN_LENGTH} characters.",
        validators=[InputRequired("Please choose a new passphrase.")],
        render_kw={"autocomplete": "new-password", "maxlength": PASS_MAX},
    )
    confirm = PasswordField(
        "New passphrase again", validators=[InputRequired("Please type the new passphrase again.")],
        render_kw={"autocomplete": "new-password", "maxlength": PASS_MAX},
    )


class PassphraseCheckForm(FlaskForm):
    """For actions that need the passphrase once more (new recovery codes)."""

    current = PasswordField(
        "Current passphrase", validators=[InputRequired("Please enter your passphrase.")],
        render_kw={"autocomplete": "current-password", "maxlength": PASS_MAX},
    )


class DeleteAccountForm(FlaskForm):
    content = RadioField(
        "What should happen to what you wrote?",
        choices=[
            SelectChoice("remove", "Remove everything I wrote"),
            SelectChoice("keep", "Keep my posts, shown as written by “deleted member”"),
        ],
        validators=[InputRequired("Please choose what happens to what you wrote.")],
    )
    passphrase = PasswordField(
        "Your passphrase", validators=[InputRequired("Please enter your passphrase.")],
        render_kw={"autocomplete": "current-password", "maxlength": PASS_MAX},
    )
    confirm = BooleanField("I understand this can't be undone.")


class SettingsForm(FlaskForm):
    discreet_mode = BooleanField(
        "Discreet mode",
        description="Show a plain tab title (“Notes”) and a plain icon instead of Kindred's, "
        "so a glance at your screen or tabs gives nothing away.",
    )


class EmptyForm(FlaskForm):
    """A form with only the CSRF token: sign out, sign out everywhere, and other buttons."""


class RoleForm(FlaskForm):
    role = RadioField(
        "Role",
        choices=[SelectChoice("peer", "Peer supporter"), SelectChoice("facilitator", "Facilitator"),
                 SelectChoice("admin", "Admin")],
        validators=[InputRequired("Choose a role.")],
    )


class SuspendForm(FlaskForm):
    reason = StringField(
        "Reason (kept in the audit log)",
        validators=[InputRequired("Please give a reason.")], filters=[_cap(500)],
        render_kw={"maxlength": 500},
    )


class QuickExitForm(FlaskForm):
    quick_exit_url = StringField(
        "Quick exit goes to",
        description="An ordinary, busy site that says nothing about the reader (news, weather).",
        validators=[InputRequired("Enter a web address.")], filters=[_cap(500)],
        render_kw={"maxlength": 500, "inputmode": "url"},
    )


class ComposeForm(FlaskForm):
    """New thread (with title) or reply (without). Field names are a public contract."""

    title = StringField("Title", filters=[_cap(300)],
                        render_kw={"maxlength": 150, "autocomplete": "off"})
    body = TextAreaField(
        "Your post",
        description="Markdown works: **bold**, *italic*, > quote, - lists, links. Images are not shown.",
        filters=[_cap(20_000)],
        render_kw={"rows": 10, "maxlength": 20_000},
    )
    content_warning = StringField(
        "Content warning (optional)",
        description="A few words, for example “suicide”, “self-harm”, “violence”. "
        "Readers see the warning and choose to open your post.",
        filters=[_cap(200)], render_kw={"maxlength": 100, "autocomplete": "off"},
    )
    anonymous = BooleanField("Post as Anonymous",
                             description="Others see “Anonymous” and a number that stays the same in this "
                             "thread, not your pseudonym.")
    submission_key = HiddenField()


class ReportForm(FlaskForm):
    reason = RadioField("Why are you reporting this post?", validators=[InputRequired("Please choose a reason.")])
    note = TextAreaField("Anything the moderators should know (optional)", filters=[_cap(1000)],
                         render_kw={"rows": 3, "maxlength": 1000})


class ReasonForm(FlaskForm):
    reason = StringField("Reason (the writer is told, and it goes in the audit log)",
                         validators=[InputRequired("Please give a reason.")], filters=[_cap(500)],
                         render_kw={"maxlength": 500})


class CategoryForm(FlaskForm):
    name = StringField("Name", validators=[InputRequired("Please give a name.")], filters=[_cap(80)],
                       render_kw={"maxlength": 80})
    slug = StringField("Address (/c/…)", description="Lower-case letters, digits and dashes.",
                       validators=[InputRequired("Please give an address.")], filters=[_cap(64)],
                       render_kw={"maxlength": 64})
    description = TextAreaField("Description", filters=[_cap(500)], render_kw={"rows": 3, "maxlength": 500})
    position = StringField("Position", description="Smaller numbers come first.", filters=[_cap(8)],
                           render_kw={"inputmode": "numeric", "maxlength": 6})
    is_group = BooleanField("Peer group", description="Members ask to join and a facilitator approves. "
                            "Non-members can't see its threads.")


class ResourceForm(FlaskForm):
    name = StringField("Name", validators=[InputRequired("Please give a name.")], filters=[_cap(120)],
                       render_kw={"maxlength": 120})
    description = TextAreaField("What it offers", filters=[_cap(500)], render_kw={"rows": 2, "maxlength": 500})
    contact = StringField("Phone or text line (shown as text)", filters=[_cap(200)], render_kw={"maxlength": 200})
    url = StringField("Web address (optional)", filters=[_cap(300)], render_kw={"maxlength": 300, "inputmode": "url"})
    hours = StringField("Opening hours", description="For example “24/7” or “Mon–Fri 9:00–17:00”.",
                        filters=[_cap(200)], render_kw={"maxlength": 200})
    position = StringField("Position", filters=[_cap(8)], render_kw={"inputmode": "numeric", "maxlength": 6})
    is_crisis_line = BooleanField("Crisis line (shown first)")


class RoomForm(FlaskForm):
    kind = RadioField("Kind", choices=[SelectChoice("session", "A scheduled session"),
                                       SelectChoice("standing", "A standing room (always open; admins only)")],
                      default="session", validators=[InputRequired("Choose a kind of room.")])
    name = StringField("Title", validators=[InputRequired("Please give a title.")], filters=[_cap(120)],
                       render_kw={"maxlength": 120})
    description = TextAreaField("Description", filters=[_cap(1000)], render_kw={"rows": 3, "maxlength": 1000})
    ground_rules = TextAreaField("Ground rules", description="Members read and accept these once before joining.",
                                 filters=[_cap(4000)], render_kw={"rows": 5, "maxlength": 4000})
    starts_at = StringField("Starts (UTC)", description="For example 2026-12-01 18:00.", filters=[_cap(40)],
                            render_kw={"maxlength": 40, "placeholder": "YYYY-MM-DD HH:MM"})
    ends_at = StringField("Ends (UTC, optional)", filters=[_cap(40)],
                          render_kw={"maxlength": 40, "placeholder": "YYYY-MM-DD HH:MM"})
    capacity = StringField("Capacity (optional)", filters=[_cap(8)], render_kw={"inputmode": "numeric", "maxlength": 5})
    retention_days = StringField("Keep lines for (days)", default="30", filters=[_cap(8)],
                                 render_kw={"inputmode": "numeric", "maxlength": 4})
    vanish_on_end = BooleanField("Delete the session's lines when it ends")


class RulesForm(FlaskForm):
    anonymous = BooleanField("Join as Anonymous",
                             description="Others see “Anonymous” and a number for this room, not your pseudonym.")


class OutcomeForm(FlaskForm):
    outcome = RadioField("How did it go?", validators=[InputRequired("Please choose an outcome.")])
    note = TextAreaField("Private note for peer supporters (optional)", filters=[_cap(2000)],
                         render_kw={"rows": 3, "maxlength": 2000})
