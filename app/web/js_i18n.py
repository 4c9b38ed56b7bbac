"""Words the page scripts (app/static/js) show, in the reader's language.

Scripts can't call gettext, and the CSP forbids inline script: each page writes the words its
scripts need as JSON into a data-i18n attribute on the element the script works on (<body> for
the words every page's scripts share, #duty, #queue-live, #chat...), and kindred.js gathers
them (window.KindredI18n.t(key, values)). Placeholders are %(name)s, as in the catalogs. Add a
key to the right group when a script needs a new sentence.
"""

from __future__ import annotations

from flask_babel import gettext as _
from markupsafe import Markup

from app import i18n


def strings(group: str = "common") -> dict[str, object]:
    # The same for every page in a language: made once per catalog (every base page asks).
    made = i18n.per_catalog("js_strings", lambda _t: {})
    if group not in made:
        made[group] = _GROUPS[group]()
    return made[group]


def strings_attribute(group: str = "common") -> Markup:
    """`js_strings(group)|tojson|forceescape`, the value of a data-i18n attribute, made once per
    catalog and group (base.html writes it on every page; encoding it cost ~25 µs a page)."""
    made = i18n.per_catalog("js_attributes", lambda _t: {})
    value = made.get(group)
    if value is None:
        from flask import current_app

        # The very filters the templates used, in an autoescaping template (as every .html is).
        value = made[group] = Markup(current_app.jinja_env.from_string(
            "{{ strings|tojson|forceescape }}").render(strings=strings(group)))
    return value


def _common() -> dict[str, object]:
    return {
        # kindred.js
        "copy_codes": _("Copy the codes"),
        "copied": _("Copied"),
        "confirm": _("Are you sure?"),
        # forum.js
        "new_reply": _("1 new reply – show"),
        "new_replies": _("%(num)s new replies – show"),
        "before_you_post": _("Before you post: %(warnings)s"),
        # requests.js
        "new_title": _("(new) %(title)s"),
    }


def _duty() -> dict[str, object]:
    return {
        "on_duty_alerts": _("You're on duty. Alerts will appear below."),
        "connection_lost_duty": _("Connection lost: reconnecting…"),
        "alerts_interrupted": _("Live alerts are interrupted: reconnecting. Keep the queue open meanwhile."),
        "escalated": _("Escalated:"),
        "level": _("Level %(level)s"),
        "member_worried": _("a member is worried"),
        "claim": _("Claim"),
        "no_answer": _("No answer."),
        "open_in_queue": _("Open in the queue"),
        "someone_needs_support": _("(!) Someone needs support"),
        "asking_to_talk": _("A member is asking to talk to a peer supporter now"),
        "claimed_by": _("Claimed by %(name)s."),
        "target_self": _("self"),
        "target_others": _("others"),
    }


def _queue() -> dict[str, object]:
    return {
        "new_item": _("A new level %(level)s item has arrived."),
        "claimed_by_now": _("claimed by %(name)s just now"),
        "item_closed": _("An item was closed."),
        "item_returned": _("An item was returned to the queue."),
    }


def _chat() -> dict[str, object]:
    return {
        "deleted_member": _("deleted member"),
        "anonymous_n": _("Anonymous %(num)s"),
        "pin": _("Pin"),
        "delete": _("Delete"),
        "mute_writer": _("Mute writer"),
        "worried": _("I'm worried about them"),
        "concern_sent": _("Thank you. A peer supporter will see it; they won't know it was you."),
        "pinned": _("Pinned: %(text)s"),
        "waiting_open": _("Waiting for the facilitator to open the session."),
        "session_ended": _("This session has ended."),
        "room_locked": _("The room is locked: reading only for now."),
        "connected_slow": _("Connected. Slow mode: one line every %(num)s seconds."),
        "connected": _("Connected."),
        "facilitator_suffix": _("%(name)s (facilitator)"),
        "join_failed": _("Couldn't join the room."),
        "connection_lost": _("Connection lost. Reconnecting…"),
        "reconnecting": _("Reconnecting…"),
        "bus_down": _("Live updates are reconnecting. What you send is kept and will reach everyone when they are back."),
        "cant_connect": _("Can't connect. Retrying…"),
        "deleted_by_facilitator": _("(deleted by the facilitator)"),
        "typing": _("%(name)s is typing…"),
        "muted_you_one": _("A facilitator muted you for %(num)s minute."),
        "muted_you_many": _("A facilitator muted you for %(num)s minutes."),
        "no_answer": _("No answer."),
        "reason": _("Reason: %(reason)s"),
        "removed_you": _("A facilitator removed you from this session."),
        "may_need_support": _("Someone may need support: %(name)s (%(reasons)s)."),
        "a_member": _("a member"),
        "not_sent": _("Not sent: the connection is down. Try again."),
        "hand_raised": _("Hand raised"),
        # System lines in live rooms, by their English message id (docs/chat-protocol.md).
        "system": i18n.stored_catalog("chat"),
    }


_GROUPS = {"common": _common, "duty": _duty, "queue": _queue, "chat": _chat}
