"""Domain errors. Services raise these; one handler turns them into pages, another into acks.

Messages are written for the person reading them, in their language: services pass
gettext(...) strings (or lazy_gettext ones, turned into text here, in the reader's request).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l


class DomainError(Exception):
    status = 400

    def __init__(self, message: str, field: str | None = None):
        message = str(message)
        super().__init__(message)
        self.message = message
        self.field = field


class Invalid(DomainError):
    status = 400


class NotFound(DomainError):
    status = 404

    def __init__(self, message: str | None = None, field: str | None = None):
        super().__init__(message or _l("We couldn't find that."), field)


class Forbidden(DomainError):
    status = 403

    def __init__(self, message: str | None = None, field: str | None = None):
        super().__init__(message or _l("You don't have permission to do that."), field)


class NotSignedIn(Forbidden):
    status = 401

    def __init__(self, message: str | None = None, field: str | None = None):
        super().__init__(message or _l("Please sign in first."), field)


class RateLimited(DomainError):
    status = 429

    def __init__(self, message: str | None = None,
                 retry_after: int | None = None):
        super().__init__(message or _l("That was a lot of attempts. Please wait a little and try again."))
        self.retry_after = retry_after
