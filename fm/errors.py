"""The errors fm raises on purpose: each carries a message fit to show a user as is."""

from __future__ import annotations


class FmError(Exception):
    """Base of every error fm reports to a user without a traceback."""


class ValidationError(FmError, ValueError):
    """Input that breaks a rule; ``problems`` lists every one found, not only the first."""

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))


class DatabaseError(FmError):
    """The configured database cannot be used: bad URL, unreachable, no PostGIS, old schema."""


class NotFound(FmError, LookupError):
    """A record asked for by its code does not exist (HTTP 404)."""


class Conflict(FmError):
    """A save based on a version of a record that someone else has changed since (HTTP 409)."""


class Forbidden(FmError, PermissionError):
    """The signed-in role may not do this (HTTP 403)."""
