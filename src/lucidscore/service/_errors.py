"""What the domain says when it will not do something. The HTTP adapter maps each kind to a status code
in one place (``api._errors``); the CLI prints the message."""

from __future__ import annotations

from lucidscore.errors import LucidError


class DomainError(LucidError):
    """A refusal of the service's domain, with the field of the request it is about (if any)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFound(DomainError):
    """The object does not exist, or is not the caller's to see (the two are not told apart)."""


class Conflict(DomainError):
    """The object is not in a state that allows this (a dispute already resolved, no score yet)."""


class Refused(DomainError):
    """The caller may not do this: no valid consent, another merchant's consent, a wrong purpose."""


class Invalid(DomainError):
    """A value of the request cannot be used (an unknown product, a consent too long, a bad correction)."""


class Unavailable(DomainError):
    """The service cannot do this now (rescoring failed, overloaded); trying again later may work."""


class UnknownSecret(Refused):
    """No object holds this token or key: a mistake, or a guess (the adapter throttles repeated ones)."""
