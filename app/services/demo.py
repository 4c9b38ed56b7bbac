"""Demo data for `make run`: clearly marked, created once, never in production."""

from __future__ import annotations

import secrets
from pathlib import Path

from app.extensions import db
from app.models import Role, SiteSetting
from app.services import accounts, roles

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


def is_seeded() -> bool:
    return db.session.get(SiteSetting, _MARKER) is not None


def seed(credentials_file: Path) -> list[tuple[str, str, str]]:
    """Create the demo accounts (one per role) once. Returns (pseudonym, role, passphrase) rows
    and writes them to credentials_file (mode 600) so later runs can print them again."""
    if is_seeded():
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
