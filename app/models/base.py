from datetime import UTC, datetime


def utcnow() -> datetime:
    """Naive UTC, so SQLite and PostgreSQL store and return the same thing."""
    return datetime.now(UTC).replace(tzinfo=None)
