"""Typed domain errors. Entry points show ``str(error)`` as one plain sentence."""

from __future__ import annotations


class RepairOpsError(Exception):
    """Base class: the message is a single sentence meant for the person at the screen."""

    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationError(RepairOpsError):
    """Input was malformed or out of range."""

    code = "validation_error"


class PermissionDenied(RepairOpsError):
    """The acting user may not do this."""

    code = "permission_denied"


class NotFound(RepairOpsError):
    """The thing asked for does not exist (or is not visible to the actor)."""

    code = "not_found"


class Conflict(RepairOpsError):
    """The action clashes with the current state (double booking, stock short, wrong stage)."""

    code = "conflict"


class DatabaseUnavailable(RepairOpsError):
    """The database cannot be started or reached."""

    code = "database_unavailable"
