"""Demo data for `make run`: clearly marked, created once, never in production."""

from __future__ import annotations

import secrets
from pathlib import Path

from sqlalchemy import select

from app.extensions import db
from app.models import Category, Role, SiteSetting, SupportResource
from app.services import accounts, forums, roles

DEMO_ACCOUNTS = (
    ("demo-admin", (Role.ADMIN,)),
    ("demo-facilitator", (Role.FACILITATOR,)),
    ("demo-peer", (Role.PEER,)),
    ("demo-member", ()),
)
_MARKER = "demo_seeded"
_WORDS = ("maple", "harbour", "lantern", "pebble", "orchard", "meadow", "comet", "willow",
          "saffron", "glacier", "cobalt", "thistle", "juniper", "canyon", "velvet", "ember")


def _passphrase() -> str:
    return "-".join(secrets.choice(_WORDS) for _ in range(4)) + "-" + str(secrets.randbelow(90) + 10)


# The community's categories (created in every environment by `kindred seed-categories`, and by
# the demo seed). Peer groups are marked.
CATEGORIES = (
    ("newly-diagnosed", "Newly diagnosed", "Just found out? Ask anything. Everyone here remembers the first weeks.", False),
    ("treatment", "Treatment and side effects", "Antiretrovirals, side effects, adherence, undetectable = untransmittable.", False),
    ("disclosure", "Disclosure and relationships", "Telling partners, family, friends and employers, or deciding not to.", False),
    ("stigma", "Stigma and discrimination", "What happened, what helped, and what you can do about it.", False),
    ("women", "Women living with HIV", "A peer group for women: pregnancy, menopause, family, and more.", True),
    ("young-adults", "Young adults", "A peer group for members aged 18 to 29.", True),
    ("partners-family", "Partners, family and friends", "For the people who love someone living with HIV.", False),
    ("prevention", "PrEP, PEP and prevention", "Prevention, testing, and keeping partners safe.", False),
    ("wellbeing", "Mental health and wellbeing", "Low days, anxiety, sleep, and what keeps you going.", False),
    ("advocacy", "Rights and advocacy", "Your rights at work, in healthcare and in law; campaigns and getting involved.", False),
    ("off-topic", "Off topic", "Everything else: recipes, music, pets, good news.", False),
)

EXAMPLE_RESOURCES = (
    ("Example crisis line (replace me)", "A 24-hour listening line. Replace this example with a real service "
     "near your community.", "Example: call your local crisis line", None, True),
    ("Emergency services", "If you or someone else is in immediate danger.", "Call your local emergency number",
     None, True),
    ("Example HIV support service (replace me)", "Counselling, case management and peer support. "
     "Replace this example with a real service.", "", None, False),
)

DEMO_THREADS = (
    ("newly-diagnosed", "demo-member", "Diagnosed last month, where do I start?",
     "Hi all. This is a **demo thread** to show how Kindred looks.\n\nI was diagnosed a few weeks ago and "
     "my head is spinning. What helped you in the first weeks?"),
    ("treatment", "demo-peer", "Tips for remembering daily meds",
     "*Demo thread.* What works for you? I keep mine next to the kettle:\n\n- phone alarm\n- pill box\n"
     "- linking it to something I do every day"),
    ("off-topic", "demo-facilitator", "Share something good from this week",
     "*Demo thread.* Small wins count. Mine: I finally tried the bakery on the corner."),
)


# Services directory examples. Clearly marked, and no real numbers: phones are in Ofcom's range
# reserved for drama (01632 960xxx), web addresses are under example.org.
EXAMPLE_SERVICES = (
    {"name": "Riverside Sexual Health Clinic (example)", "kinds": ["testing", "treatment", "prevention"],
     "description": "Example entry: replace it with a real service. Walk-in HIV and STI tests, PEP, PrEP "
     "and HIV treatment.", "phone": "01632 960018", "url": "https://riverside-clinic.example.org/",
     "address": "12 Example Road\nRiverside", "hours": "Mon–Fri 9:00–18:00; walk-in Wednesday evenings",
     "area": "Riverside and the valley", "region": "Riverside", "languages": ["English", "Français"],
     "cost": "Free", "is_confidential": True, "is_anonymous": False, "age_days": 20},
    {"name": "Harbour Counselling Service (example)", "kinds": ["counselling", "peer_groups"],
     "description": "Example entry: replace it with a real service. Counselling and a monthly peer group "
     "for people living with HIV.", "phone": "01632 960244", "url": "https://harbour-counselling.example.org/",
     "hours": "Mon–Thu 10:00–20:00", "area": "The harbour district and online", "region": "Harbour",
     "languages": ["English", "Português"], "cost": "Free for people living with HIV",
     "is_confidential": True, "is_anonymous": False, "age_days": 60},
    {"name": "Open Door Housing and Benefits Advice (example)", "kinds": ["housing", "benefits_legal", "case_management"],
     "description": "Example entry: replace it with a real service. Help with housing, benefits claims and "
     "appeals, and a named caseworker.", "phone": "01632 960371", "address": "3 Sample Lane\nRiverside",
     "hours": "Tue and Thu 9:30–16:00", "area": "Riverside", "region": "Riverside",
     "languages": ["English", "Polski"], "cost": "Free", "is_confidential": True, "is_anonymous": False,
     "age_days": 400},  # shows how an entry nobody has checked for a year is marked
    {"name": "Night Line (example)", "kinds": ["crisis", "counselling"],
     "description": "Example entry: replace it with a real crisis line. Someone to talk to, all night.",
     "phone": "01632 960999", "hours": "24/7", "area": "Anywhere, by phone", "region": None,
     "languages": ["English"], "cost": "Free", "is_confidential": True, "is_anonymous": True, "age_days": 5},
    {"name": "Positive Voices Advocacy (example)", "kinds": ["advocacy", "peer_groups"],
     "description": "Example entry: replace it with a real service. Campaigns, rights at work and in "
     "healthcare, and peer mentoring.", "url": "https://positive-voices.example.org/",
     "area": "Harbour and Riverside", "region": "Harbour", "languages": ["English", "Français", "Português"],
     "cost": "Free", "is_confidential": False, "is_anonymous": False, "age_days": 90},
)


def seed_directory() -> int:
    """Example directory entries (approved, marked as examples) if the directory is empty."""
    from datetime import timedelta

    from app.models import Service, ServiceKind, ServiceLanguage
    from app.models.base import utcnow

    if db.session.scalar(select(Service.id).limit(1)) is not None:
        return 0
    today = utcnow().date()
    for data in EXAMPLE_SERVICES:
        db.session.add(Service(
            name=data["name"], description=data["description"], phone=data.get("phone", ""),
            url=data.get("url"), address=data.get("address", ""), hours=data.get("hours", ""),
            area=data["area"], region=data["region"], cost=data["cost"],
            is_confidential=data["is_confidential"], is_anonymous=data["is_anonymous"],
            last_checked=today - timedelta(days=data["age_days"]), status="approved", approved_at=utcnow(),
            is_example=True, kind_rows=[ServiceKind(kind=k) for k in data["kinds"]],
            language_rows=[ServiceLanguage(name=n, key=n.casefold()) for n in data["languages"]]))
    db.session.commit()
    return len(EXAMPLE_SERVICES)


def seed_rooms(facilitator) -> None:
    """An always-open drop-in room and one upcoming session (demo data)."""
    from datetime import timedelta

    from app.models import Room, RoomFacilitator
    from app.models.base import utcnow

    if db.session.scalar(select(Room.id).limit(1)) is not None:
        return
    db.session.add(Room(kind="standing", name="Drop-in room",
                        description="Always open. Say hello, or just read. (Demo room.)", retention_days=30))
    start = utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    session = Room(kind="session", name="Newly diagnosed: a first conversation (demo session)",
                   description="A facilitated group for people diagnosed in the last year.",
                   ground_rules="1. What is said here stays here.\n2. Speak from your own experience.\n"
                                "3. No names of other people, no medical advice.\n4. You can pass.",
                   starts_at=start, ends_at=start + timedelta(hours=1), capacity=20, retention_days=7,
                   created_by_id=facilitator.id if facilitator else None)
    db.session.add(session)
    db.session.flush()
    if facilitator is not None:
        db.session.add(RoomFacilitator(room_id=session.id, member_id=facilitator.id))
    db.session.commit()


def seed_categories() -> int:
    """Create the community's categories and example support resources if there are none."""
    created = 0
    if db.session.scalar(select(Category.id).limit(1)) is None:
        for position, (slug, name, description, is_group) in enumerate(CATEGORIES):
            db.session.add(Category(slug=slug, name=name, description=description, is_group=is_group,
                                    position=position * 10))
            created += 1
    if db.session.scalar(select(SupportResource.id).limit(1)) is None:
        for position, (name, description, contact, url, crisis) in enumerate(EXAMPLE_RESOURCES):
            db.session.add(SupportResource(name=name, description=description, contact=contact, url=url,
                                           is_crisis_line=crisis, position=position, is_example=True,
                                           hours="24/7" if crisis else "Example: Mon–Fri 9:00–17:00"))
    db.session.commit()
    return created


def is_seeded() -> bool:
    return db.session.get(SiteSetting, _MARKER) is not None


def seed(credentials_file: Path) -> list[tuple[str, str, str]]:
    """Create the demo accounts (one per role) once. Returns (pseudonym, role, passphrase) rows
    and writes them to credentials_file (mode 600) so later runs can print them again."""
    if is_seeded():
        seed_directory()  # demo databases made before the directory existed get examples too
        return read_credentials(credentials_file)
    rows = []
    for name, granted in DEMO_ACCOUNTS:
        passphrase = _passphrase()
        new = accounts.register(name, passphrase, passphrase)
        for role in granted:
            roles.add_role_row(new.member, role)
        rows.append((name, granted[0].label if granted else "Member", passphrase))
    db.session.add(SiteSetting(key=_MARKER, value="1"))
    db.session.commit()
    seed_categories()
    authors = {name: accounts.find_by_pseudonym(name) for name, _ in DEMO_ACCOUNTS}
    seed_rooms(authors.get("demo-facilitator"))
    seed_directory()
    for slug, author, title, body in DEMO_THREADS:
        category = db.session.scalar(select(Category).where(Category.slug == slug))
        if category is not None and authors.get(author):
            forums.create_thread(authors[author], category, title, body)
    credentials_file.parent.mkdir(parents=True, exist_ok=True)
    credentials_file.write_text("".join(f"{n}\t{r}\t{p}\n" for n, r, p in rows))
    credentials_file.chmod(0o600)
    return rows


def read_credentials(credentials_file: Path) -> list[tuple[str, str, str]]:
    if not credentials_file.exists():
        return []
    rows = []
    for line in credentials_file.read_text().splitlines():
        parts = line.split("\t")
        if len(parts) == 3:
            rows.append((parts[0], parts[1], parts[2]))
    return rows
