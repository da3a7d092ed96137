"""Typed domain errors. Entry points show ``str(error)`` as one plain sentence.

An error is raised with its English sentence as a template and the variable parts as named fields
(``Conflict("Order {number} is already invoiced ({invoice}).", number=..., invoice=...)``), so that a screen
in another language can show it translated: ``error.in_language(translate)`` translates the template through
the catalogs and fills in the fields (the extraction step collects every template; see ``ops_db.i18n``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from string import Formatter


class Verbatim(str):
    """A field shown as it is in every language (a code, a column name), never looked up in the catalogs."""

    __slots__ = ()


def _plain(value: object) -> str:
    """A field as the English sentence shows it (a list as "a, b, c")."""
    return ", ".join(_plain(v) for v in value) if isinstance(value, list | tuple) else str(value)


class RepairOpsError(Exception):
    """Base class: the message is a single sentence meant for the person at the screen."""

    code = "error"

    def __init__(self, message: str, /, **fields: object) -> None:
        self.template = message
        self.fields: Mapping[str, object] = fields
        self.message = message.format(**{k: _plain(v) for k, v in fields.items()}) if fields else message
        super().__init__(self.message)

    def in_language(self, translate: Callable[[str], str], words: Callable[[str], str] | None = None) -> str:
        """The sentence in another language: the template through ``translate``, then the fields filled in.

        A field that is itself an error is put in the same language, a list field item by item ("a, b"); a text
        field goes through ``words`` (a stored code such as a stage shown as a word) or, by default, through
        ``translate`` (field names marked for the catalogs, e.g. "unit price"; data such as an order number is not
        in the catalog and stays); a :class:`Verbatim` field is never translated.
        """
        word = words or translate

        def filled(value: object) -> str:
            if isinstance(value, RepairOpsError):
                return value.in_language(translate, words)
            if isinstance(value, list | tuple):
                return ", ".join(filled(item) for item in value)
            # An empty text stays empty: gettext would answer "" with the catalog's header.
            if isinstance(value, Verbatim) or not isinstance(value, str) or not value:
                return str(value)
            return word(value)

        text = translate(self.template)
        return text.format(**{k: filled(v) for k, v in self.fields.items()}) if self.fields else text


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


def not_found(entity: type, key: object) -> NotFound:
    """What a lookup of ``entity`` (a model class) by id ``key`` raises when there is no such row: the model's own
    ``not_found`` sentence (``"Invoice {invoice} does not exist."``, marked ``N_``) with its field set to ``key``."""
    sentence = getattr(entity, "not_found", None)
    if not isinstance(sentence, str):
        raise TypeError(f"{entity.__name__} has no not_found sentence to name a missing row by")
    fields = {name for _, name, _, _ in Formatter().parse(sentence) if name}
    return NotFound(sentence, **dict.fromkeys(fields, key))


class DatabaseUnavailable(RepairOpsError):
    """The database cannot be started or reached."""

    code = "database_unavailable"


class ConfigurationError(RepairOpsError):
    """The installation is set up unsafely or inconsistently (a weak secret key, a key file others can read)."""

    code = "configuration_error"
