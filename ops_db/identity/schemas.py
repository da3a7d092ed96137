"""Identity's typed shapes: a person's language (the API's ``/me/language`` body and every shape that names one)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from ops_db.i18n import LOCALES
from ops_db.kit.schemas import Shape

# Other spellings (pt-BR, zh_cn) are accepted too; the schema lists the canonical ones.
Locale = Annotated[str, Field(min_length=1, max_length=16, json_schema_extra={"enum": list(LOCALES)})]


class LanguageIn(Shape):
    """The language a person chooses for the UI and their notifications."""

    locale: Locale
