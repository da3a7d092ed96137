"""What a technician checks before a job counts as done, per job type: the skill the order requires (an HVAC
call, an appliance, a TV...), else the place of the work (at the customer's, in the workshop).

Declared here rather than in a table: the lists are part of how the company works, change with a release, and
every company starts from the same ones. A ticked list travels with the completion (``complete_visit``), which
refuses to finish a visit while an item is left unticked, and is kept in the audit trail.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ops_db.i18n import N_
from ops_db.kit.errors import ValidationError


@dataclass(frozen=True)
class ChecklistItem:
    """One thing to check: a stable code (what the app sends back) and the sentence people read."""

    code: str
    text: str


_ON_SITE = (
    ChecklistItem("tested_with_customer", N_("Tested in front of the customer")),
    ChecklistItem("area_clean", N_("Work area left clean")),
)
_WORKSHOP = (
    ChecklistItem("serial_matches", N_("Serial number matches the order")),
    ChecklistItem("tested_after_repair", N_("Tested after the repair")),
)
BY_SKILL: dict[str, tuple[ChecklistItem, ...]] = {
    "hvac": (
        ChecklistItem("filters", N_("Filters checked or replaced")),
        ChecklistItem("pressures", N_("Refrigerant pressures within range")),
        ChecklistItem("thermostat", N_("Thermostat tested")),
    ),
    "appliance": (
        ChecklistItem("connections", N_("Power and water connections checked")),
        ChecklistItem("full_cycle", N_("A full cycle run without errors")),
    ),
    "tv": (ChecklistItem("picture_sound", N_("Picture and sound checked on every input")),),
    "printer": (ChecklistItem("test_page", N_("Test page printed")),),
}


def checklist_for(skill: str | None, location: str) -> tuple[ChecklistItem, ...]:
    """The checklist of a job: its skill's own items first, then those of where the work is done."""
    return BY_SKILL.get(skill or "", ()) + (_ON_SITE if location == "field" else _WORKSHOP)


def require_ticked(items: Sequence[ChecklistItem], ticked: Sequence[str]) -> list[str]:
    """The codes of ``items`` in order, once every one is in ``ticked``; refuses with the first one left."""
    done = set(ticked)
    for item in items:
        if item.code not in done:
            raise ValidationError('Tick the checklist item "{item}" before finishing the visit.', item=item.text)
    return [item.code for item in items]
