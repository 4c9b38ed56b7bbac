"""Domain errors. Services raise these; one handler turns them into pages, another into acks.

Messages are written for the person reading them.
"""

from __future__ import annotations


class DomainError(Exception):
    status = 400

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class Invalid(DomainError):
    status = 400


class NotFound(DomainError):
    status = 404

    def __init__(self, message: str = "We couldn't find that.", field: str | None = None):
        super().__init__(message, field)


class Forbidden(DomainError):
    status = 403

    def __init__(self, message: str = "You don't have permission to do that.", field: str | None = None):
        super().__init__(message, field)


class NotSignedIn(Forbidden):
    status = 401

    def __init__(self, message: str = "Please sign in first.", field: str | None = None):
        super().__init__(message, field)


class RateLimited(DomainError):
    status = 429

    def __init__(self, message: str = "That was a lot of attempts. Please wait a little and try again.",
                 retry_after: int | None = None):
        super().__init__(message)
        self.retry_after = retry_after
