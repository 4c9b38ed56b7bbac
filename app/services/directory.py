"""The services directory: browse and search (members), add and edit (peer supporters,
facilitators, admins), approve and remove (admins), and cards that share an entry in a chat or a
reply.

Every change lands in the audit log (ids, the entry's name and which fields changed; never who
it was shared with). Cards show the entry as it is now while it is approved, and the snapshot
taken when it was shared once it is removed, so a conversation never loses what was pointed to.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlsplit

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from app.extensions import db
from app.models import Member, Service, ServiceKind, ServiceLanguage
from app.models.base import utcnow
from app.services import audit, permissions
from app.services.errors import Forbidden, Invalid, NotFound
from app.services.text import clean_text

# What a service helps with: a fixed list (codes are stored; labels are translated when shown).
KINDS = {
    "crisis": _l("Crisis lines"),
    "testing": _l("HIV and STI testing"),
    "treatment": _l("Treatment and clinics"),
    "prevention": _l("PEP and PrEP"),
    "counselling": _l("Counselling and mental health"),
    "case_management": _l("Case management"),
    "housing": _l("Housing"),
    "benefits_legal": _l("Benefits and legal advice"),
    "advocacy": _l("Advocacy"),
    "peer_groups": _l("Peer groups"),
}

STALE_AFTER = timedelta(days=365)
PAGE_SIZE = 50
QUERY_MAX = 100
MAX_LANGUAGES = 15
STATUSES = ("pending", "approved", "removed")

_PHONE_RE = re.compile(r"^\+?[0-9][0-9 ().\-/]*$")
_LANGUAGE_RE = re.compile(r"^[^\W\d_]+(?:[ '’\-][^\W\d_]+)*$")


def kind_label(code: str) -> str:
    return str(KINDS.get(code, code))


def is_stale(service: Service, today: date | None = None) -> bool:
    """Not checked for a year (or never): members see that it may be out of date."""
    if service.last_checked is None:
        return True
    return (today or utcnow().date()) - service.last_checked > STALE_AFTER


# ---------------------------------------------------------------- browsing

@dataclass(frozen=True)
class Filters:
    q: str = ""
    kind: str = ""
    region: str = ""
    language: str = ""
    offset: int = 0

    @property
    def active(self) -> bool:
        return bool(self.q or self.kind or self.region or self.language)

    def args(self, **change) -> dict:
        """Query-string arguments for a link (empty ones left out), e.g. the next page."""
        values = {"q": self.q, "kind": self.kind, "region": self.region, "language": self.language,
                  "offset": self.offset or ""}
        values.update(change)
        return {k: v for k, v in values.items() if v not in ("", None, 0)}


def _arg(args: Mapping, name: str, max_length: int) -> str:
    value = args.get(name, "")
    if not isinstance(value, str):
        raise Invalid(_("The search in the address isn't valid."), name)
    if len(value) > max_length:
        raise Invalid(_("The search in the address is too long."), name)
    return " ".join(value.split())


def parse_filters(args: Mapping) -> Filters:
    """Filters from the query string (links are shareable). Raises Invalid for values no form
    could have sent."""
    kind = _arg(args, "kind", 32)
    if kind and kind not in KINDS:
        raise Invalid(_("There's no such kind of service."), "kind")
    offset_s = _arg(args, "offset", 8)
    try:
        offset = int(offset_s) if offset_s else 0
    except ValueError:
        raise Invalid(_("The page in the address should be a number."), "offset") from None
    if not 0 <= offset <= 100_000:
        raise Invalid(_("The page in the address is out of range."), "offset")
    return Filters(q=_arg(args, "q", QUERY_MAX), kind=kind, region=_arg(args, "region", 64),
                   language=_arg(args, "language", 40), offset=offset)


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@dataclass
class Listing:
    services: list[Service]
    more: bool
    filters: Filters


def browse(filters: Filters) -> Listing:
    """Approved entries matching the filters, examples last, by name. The search is a
    case-insensitive match of every word against name, description, area, address and region
    (a plain LIKE: the directory is small, and it runs the same on SQLite and PostgreSQL)."""
    q = select(Service).where(Service.status == "approved")
    if filters.kind:
        q = q.where(Service.id.in_(select(ServiceKind.service_id).where(ServiceKind.kind == filters.kind)))
    if filters.language:
        key = filters.language.casefold()
        q = q.where(Service.id.in_(select(ServiceLanguage.service_id).where(ServiceLanguage.key == key)))
    if filters.region:
        q = q.where(Service.region == filters.region)
    for term in filters.q.split()[:8]:
        pattern = _like(term)
        q = q.where(or_(*(col.ilike(pattern, escape="\\") for col in (
            Service.name, Service.description, Service.area, Service.address, Service.region))))
    q = q.order_by(Service.is_example, func.lower(Service.name), Service.id)
    rows = list(db.session.scalars(q.offset(filters.offset).limit(PAGE_SIZE + 1)))
    return Listing(rows[:PAGE_SIZE], len(rows) > PAGE_SIZE, filters)


def regions() -> list[str]:
    """Region tags in use on approved entries (the filter's choices)."""
    rows = db.session.scalars(select(Service.region).where(Service.status == "approved", Service.region.isnot(None))
                              .group_by(Service.region))
    return sorted((r for r in rows if r), key=str.casefold)


def languages() -> list[str]:
    """Languages of approved entries, one spelling per language (the filter's choices)."""
    seen: dict[str, str] = {}
    for name, key in db.session.execute(
            select(ServiceLanguage.name, ServiceLanguage.key).join(Service, Service.id == ServiceLanguage.service_id)
            .where(Service.status == "approved").order_by(ServiceLanguage.id)):
        seen.setdefault(key, name)
    return sorted(seen.values(), key=str.casefold)


def get_service_for(actor: Member | None, service_id: object) -> Service:
    """An entry, if actor may see it: approved ones for everyone, pending ones for directory
    editors, removed ones for admins. NotFound otherwise."""
    if not isinstance(service_id, int) or isinstance(service_id, bool) or not 0 < service_id < 2**62:
        raise NotFound(_("There's no such service in the directory."))
    service = db.session.get(Service, service_id)
    if service is None or not _can_see(actor, service):
        raise NotFound(_("There's no such service in the directory."))
    return service


def _can_see(actor: Member | None, service: Service) -> bool:
    if service.status == "approved":
        return True
    if service.status == "pending":
        return permissions.can_edit_directory(actor)
    return permissions.is_admin(actor)


def review_list(actor: Member | None) -> tuple[list[Service], list[Service]]:
    """(waiting for approval, removed) for the review page. Removed entries only for admins."""
    actor = permissions.require_directory_editor(actor)
    waiting = list(db.session.scalars(select(Service).where(Service.status == "pending").order_by(Service.id)))
    removed: list[Service] = []
    if permissions.is_admin(actor):
        removed = list(db.session.scalars(select(Service).where(Service.status == "removed")
                                          .order_by(Service.updated_at.desc()).limit(100)))
    return waiting, removed


def pending_count() -> int:
    return db.session.scalar(select(func.count(Service.id)).where(Service.status == "pending")) or 0


# ---------------------------------------------------------------- validating an entry

def _line(data: Mapping, name: str, label: str, max_length: int, min_length: int = 0, multiline: bool = False) -> str:
    value = data.get(name)
    if value is None and min_length == 0:
        value = ""
    text = clean_text(value, field=name, label=label, max_length=max_length, min_length=min_length,
                      multiline=multiline).strip()
    return text if multiline else " ".join(text.split())


def validate_url(value: object, field_name: str = "url") -> str | None:
    """Only http(s) web addresses: anything else (javascript:, data:, a bare word) is refused."""
    text = clean_text(value if value is not None else "", field=field_name, label=_("The web address"),
                      max_length=300, multiline=False).strip()
    if not text:
        return None
    parts = urlsplit(text)
    if (parts.scheme.lower() not in ("http", "https") or not parts.hostname or "." not in parts.hostname
            or any(c.isspace() for c in text) or parts.username or parts.password):
        raise Invalid(_("Enter a full web address starting with https:// (other kinds of link aren't allowed)."),
                      field_name)
    return text


def validate_phone(value: object) -> str:
    text = _line({"phone": value}, "phone", _("The phone number"), 40)
    if not text:
        return ""
    digits = sum(c.isdigit() for c in text)
    if not _PHONE_RE.match(text) or not 3 <= digits <= 20:
        raise Invalid(_("A phone number can only use digits, spaces and + ( ) - . /"), "phone")
    return text


def _kinds(value: object) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise Invalid(_("Choose what the service helps with."), "kinds")
    chosen = [k for k in KINDS if k in set(value)]  # the fixed order, no duplicates
    if len(chosen) != len(set(value)):
        raise Invalid(_("Choose kinds of help from the list."), "kinds")
    if not chosen:
        raise Invalid(_("Choose at least one thing the service helps with."), "kinds")
    return chosen


def _languages(value: object) -> list[str]:
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise Invalid(_("List the languages separated by commas."), "languages")
    names: dict[str, str] = {}
    for raw in value:
        name = " ".join(clean_text(raw, field="languages", label=_("A language"), max_length=40,
                                   multiline=False).split())
        if not name:
            continue
        if len(name) < 2 or not _LANGUAGE_RE.match(name):
            raise Invalid(_("Write each language as a word, for example “English, Français”."), "languages")
        names.setdefault(name.casefold(), name)
    if len(names) > MAX_LANGUAGES:
        raise Invalid(_("List at most %(n)d languages.", n=MAX_LANGUAGES), "languages")
    return list(names.values())


def _checked(value: object) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        day = value
    else:
        text = _line({"last_checked": value}, "last_checked", _("The date"), 10)
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise Invalid(_("Write the date like 2026-03-31."), "last_checked") from None
    if day > utcnow().date() + timedelta(days=1):
        raise Invalid(_("The date it was last checked can't be in the future."), "last_checked")
    if day.year < 2000:
        raise Invalid(_("That date is too long ago."), "last_checked")
    return day


def _bool(value: object) -> bool:
    return value is True or value in ("y", "on", "1", "true")


@dataclass
class Entry:
    """A validated entry, ready to store."""

    name: str
    kinds: list[str]
    description: str = ""
    phone: str = ""
    url: str | None = None
    address: str = ""
    hours: str = ""
    area: str = ""
    region: str | None = None
    languages: list[str] = field(default_factory=list)
    cost: str = ""
    is_confidential: bool = False
    is_anonymous: bool = False
    last_checked: date | None = None


def validate_entry(data: Mapping) -> Entry:
    """Check every field of an entry. Raises Invalid naming the field."""
    entry = Entry(
        name=_line(data, "name", _("The name"), 120, min_length=2),
        kinds=_kinds(data.get("kinds", [])),
        description=_line(data, "description", _("The description"), 1000, multiline=True),
        phone=validate_phone(data.get("phone")),
        url=validate_url(data.get("url")),
        address=_line(data, "address", _("The address"), 300, multiline=True),
        hours=_line(data, "hours", _("The opening hours"), 200),
        area=_line(data, "area", _("The area served"), 200),
        region=_line(data, "region", _("The region tag"), 64) or None,
        languages=_languages(data.get("languages", "")),
        cost=_line(data, "cost", _("The cost"), 120),
        is_confidential=_bool(data.get("is_confidential")),
        is_anonymous=_bool(data.get("is_anonymous")),
        last_checked=_checked(data.get("last_checked")),
    )
    if not (entry.phone or entry.url or entry.address):
        raise Invalid(_("Give at least one way to reach the service: a phone number, a web address or an address."),
                      "phone")
    return entry


_FIELDS = ("name", "description", "phone", "url", "address", "hours", "area", "region", "cost",
           "is_confidential", "is_anonymous", "last_checked")


def _apply(service: Service, entry: Entry) -> list[str]:
    """Write entry into service; returns the names of the fields that changed."""
    changed = []
    for name in _FIELDS:
        new = getattr(entry, name)
        if getattr(service, name) != new:
            changed.append(name)
            setattr(service, name, new)
    # Rows are changed in place (kept, renamed, dropped, added), never swapped wholesale: the
    # unit of work inserts before it deletes, and the unique (service, kind) would trip.
    if service.kinds != entry.kinds:
        changed.append("kinds")
        keep = [row for row in service.kind_rows if row.kind in entry.kinds]
        have = {row.kind for row in keep}
        service.kind_rows = keep + [ServiceKind(kind=k) for k in entry.kinds if k not in have]
    if service.languages != entry.languages:
        changed.append("languages")
        wanted = {n.casefold(): n for n in entry.languages}
        keep = [row for row in service.language_rows if row.key in wanted]
        for row in keep:
            row.name = wanted[row.key]
        have = {row.key for row in keep}
        service.language_rows = keep + [ServiceLanguage(name=n, key=k) for k, n in wanted.items() if k not in have]
    return changed


# ---------------------------------------------------------------- changing the directory

def add_service(actor: Member | None, data: Mapping) -> Service:
    """A peer supporter, facilitator or admin adds an entry. An admin's is approved at once;
    anyone else's waits for an admin. Raises Forbidden, Invalid."""
    actor = permissions.require_directory_editor(actor)
    entry = validate_entry(data)
    service = Service(created_by_id=actor.id, status="pending", name=entry.name)
    _apply(service, entry)
    if permissions.is_admin(actor):
        service.status, service.approved_at = "approved", utcnow()
    db.session.add(service)
    db.session.flush()
    audit.record(actor, "service.created", None, service_id=service.id, name=service.name, status=service.status)
    db.session.commit()
    return service


def edit_service(actor: Member | None, service: Service, data: Mapping) -> list[str]:
    """Change an entry (it stays approved, or pending). Returns the fields that changed.
    Raises Forbidden, Invalid, NotFound."""
    actor = permissions.require_directory_editor(actor)
    service = get_service_for(actor, service.id)
    if service.status == "removed":
        raise Forbidden(_("This service was removed from the directory. Restore it first."))
    entry = validate_entry(data)
    changed = _apply(service, entry)
    if changed:
        service.updated_at = utcnow()
        service.is_example = False  # someone has made it their own
        audit.record(actor, "service.updated", None, service_id=service.id, name=service.name, fields=changed)
        db.session.commit()
    return changed


def mark_checked(actor: Member | None, service: Service) -> None:
    """Someone confirmed today that the details are still right."""
    actor = permissions.require_directory_editor(actor)
    service = get_service_for(actor, service.id)
    if service.status == "removed":
        raise Forbidden(_("This service was removed from the directory. Restore it first."))
    service.last_checked = utcnow().date()
    service.updated_at = utcnow()
    audit.record(actor, "service.checked", None, service_id=service.id, name=service.name)
    db.session.commit()


def approve(actor: Member | None, service: Service) -> None:
    """An admin approves a new entry: members see it from now on. Raises Forbidden, Invalid."""
    actor = permissions.require_admin(actor)
    if service.status != "pending":
        raise Invalid(_("Only entries waiting for approval can be approved."))
    service.status, service.approved_at, service.updated_at = "approved", utcnow(), utcnow()
    audit.record(actor, "service.approved", None, service_id=service.id, name=service.name)
    db.session.commit()


def remove(actor: Member | None, service: Service) -> None:
    """An admin removes an entry (or declines a new one). It is kept, hidden, so cards already
    shared stay readable and the audit log still makes sense. Raises Forbidden, Invalid."""
    actor = permissions.require_admin(actor)
    if service.status == "removed":
        raise Invalid(_("This service was already removed."))
    was = service.status
    service.status, service.updated_at = "removed", utcnow()
    audit.record(actor, "service.removed", None, service_id=service.id, name=service.name, was=was)
    db.session.commit()


def restore(actor: Member | None, service: Service) -> None:
    """An admin puts a removed entry back (approved). Raises Forbidden, Invalid."""
    actor = permissions.require_admin(actor)
    if service.status != "removed":
        raise Invalid(_("Only removed entries can be restored."))
    service.status, service.updated_at = "approved", utcnow()
    service.approved_at = service.approved_at or utcnow()
    audit.record(actor, "service.restored", None, service_id=service.id, name=service.name)
    db.session.commit()


# ---------------------------------------------------------------- cards

@dataclass(frozen=True)
class Card:
    """What a shared entry shows: live while approved, the snapshot (marked removed) after."""

    service_id: int | None
    name: str
    kinds: tuple[str, ...]
    phone: str
    url: str | None
    hours: str
    example: bool
    stale: bool
    removed: bool

    @property
    def kind_labels(self) -> list[str]:
        return [kind_label(k) for k in self.kinds]

    def payload(self) -> dict:
        """For the /chat protocol (labels in the reader's interface language)."""
        return {"service": None if self.removed else self.service_id, "name": self.name,
                "kinds": self.kind_labels, "phone": self.phone, "url": self.url, "hours": self.hours,
                "example": self.example, "stale": self.stale, "removed": self.removed}

    def text(self) -> str:
        """A plain-text fallback, for clients that don't draw cards."""
        # Not translated: it is stored once, and read by people using other languages.
        return " · ".join([self.name] + [p for p in (self.phone, self.url or "", self.hours) if p])


def snapshot(service: Service) -> dict:
    """What a card keeps of an entry when it is shared (shown if the entry is removed later)."""
    return {"name": service.name, "kinds": list(service.kinds), "phone": service.phone, "url": service.url,
            "hours": service.hours, "example": bool(service.is_example),
            "last_checked": service.last_checked.isoformat() if service.last_checked else None}


def _text(value: object, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def card_from(service: Service | None, snap: dict | None, today: date | None = None) -> Card | None:
    """The card for a shared entry: live if it still exists and is approved, else the snapshot."""
    if service is not None and service.status == "approved":
        return Card(service.id, service.name, tuple(service.kinds), service.phone, service.url, service.hours,
                    bool(service.is_example), is_stale(service, today), False)
    if not isinstance(snap, dict):
        return None
    kinds = tuple(k for k in snap.get("kinds") or () if isinstance(k, str) and k in KINDS)
    url = snap.get("url") if isinstance(snap.get("url"), str) and snap["url"].lower().startswith(("http://", "https://")) else None
    return Card(service.id if service is not None else None, _text(snap.get("name"), 120) or _("A service"),
                kinds, _text(snap.get("phone"), 40), url, _text(snap.get("hours"), 200),
                bool(snap.get("example")), False, True)


def cards_for(pairs: Iterable[tuple[int, int | None, dict | None]]) -> dict[int, Card]:
    """Cards for many shared items at once: (item id, service id, snapshot) -> {item id: Card}.
    One query for the live entries, whatever the number of items."""
    pairs = list(pairs)
    ids = {sid for _item, sid, _snap in pairs if sid}
    live = {s.id: s for s in db.session.scalars(select(Service).where(Service.id.in_(ids)))} if ids else {}
    today = utcnow().date()
    out = {}
    for item, sid, snap in pairs:
        card = card_from(live.get(sid) if sid else None, snap, today)
        if card is not None:
            out[item] = card
    return out


def get_shareable(actor: Member | None, service_id: object) -> Service:
    """The approved entry a peer supporter, facilitator or admin is about to share.
    Raises Forbidden, NotFound, Invalid."""
    permissions.require_member(actor)
    if not permissions.can_edit_directory(actor):
        raise Forbidden(_("Only peer supporters, facilitators and admins can share services from the directory."))
    if isinstance(service_id, str) and service_id.strip().isdigit():
        service_id = int(service_id.strip())
    if not isinstance(service_id, int) or isinstance(service_id, bool):
        raise Invalid(_("Which service? Choose one from the directory."), "service")
    service = get_service_for(actor, service_id)
    if service.status != "approved":
        raise Invalid(_("Only approved services can be shared."), "service")
    return service


def share_choices(actor: Member | None) -> list[tuple[int, str]]:
    """(id, name) of every approved entry, for the share pickers; empty for anyone who can't share."""
    if not permissions.can_edit_directory(actor):
        return []
    return [(i, n) for i, n in db.session.execute(
        select(Service.id, Service.name).where(Service.status == "approved")
        .order_by(func.lower(Service.name), Service.id))]


# ---------------------------------------------------------------- the support panel

def panel_kinds() -> list[str]:
    """The kinds of directory entries the admin chose to show in the support panel."""
    from app.services import settings

    chosen = set(settings.get("support_panel_kinds").split(","))
    return [k for k in KINDS if k in chosen]


def panel_services(limit: int = 12) -> list[Service]:
    """Approved entries of the chosen kinds, crisis lines first, then by name (after the crisis
    lines from the support resources, which the panel shows first)."""
    kinds = panel_kinds()
    if not kinds:
        return []
    crisis = select(ServiceKind.service_id).where(ServiceKind.kind == "crisis")
    q = (select(Service).where(Service.status == "approved",
                               Service.id.in_(select(ServiceKind.service_id).where(ServiceKind.kind.in_(kinds))))
         .order_by(Service.id.in_(crisis).desc(), Service.is_example, func.lower(Service.name), Service.id)
         .limit(limit))
    return list(db.session.scalars(q))
