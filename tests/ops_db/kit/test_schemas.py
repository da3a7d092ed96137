"""A shared shape: the API's parse validates it in full; code that builds it gets it as given (the service then
refuses a bad value with its own sentence), like the dataclass it replaced."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError as PydanticError

from ops_db.customers.models import CustomerKind
from ops_db.customers.schemas import CustomerIn
from ops_db.kit import bounds


def test_built_in_code_it_takes_the_values_as_given_with_the_defaults() -> None:
    empty = CustomerIn(name="", approval_threshold=Decimal("1e9"))  # too much, for the service to refuse
    assert (empty.name, empty.approval_threshold, empty.kind) == ("", Decimal("1e9"), CustomerKind.PERSON)
    positional = CustomerIn("Ana", email="ana@example.com")  # type: ignore[misc]  # positional on purpose
    assert (positional.name, positional.email, positional.phone) == ("Ana", "ana@example.com", None)
    assert CustomerIn(name="Ana", kind="company").kind == "company"  # a page's plain value; the service checks it


def test_a_name_that_is_not_a_field_is_refused_in_code_too() -> None:
    with pytest.raises(TypeError, match="no field 'nmae'"):
        CustomerIn(nmae="Ana")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="'name' twice"):
        CustomerIn("Ana", name="Bo")  # type: ignore[misc]


def test_parsed_it_is_validated_against_the_limits_and_the_models_enums() -> None:
    parsed = CustomerIn.model_validate({"name": "Ana", "kind": "company", "approval_threshold": "12.50"})
    assert parsed.kind is CustomerKind.COMPANY and parsed.approval_threshold == Decimal("12.50")
    for bad in (
        {"name": ""},
        {"name": "Ana", "kind": "robot"},
        {"name": "Ana", "extra": 1},
        {"name": "Ana", "approval_threshold": str(bounds.MAX_AMOUNT + 1)},
        {"name": f"A{bounds.NUL}"},
        {"name": "Ana", "latitude": "91"},
    ):
        with pytest.raises(PydanticError):
            CustomerIn.model_validate(bad)


def test_it_is_frozen_like_the_dataclass() -> None:
    with pytest.raises(PydanticError):
        CustomerIn(name="Ana").name = "Bo"
