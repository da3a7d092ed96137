"""The technician's day for the phone app (``/tech/``): today's route in order with a number to call and a way
there, each job's checklist, the van's parts, and the actions of a visit. The app queues what the technician does
while offline and sends it when back online, each action with its own ``Idempotency-Key``, so an action sent
again after a lost answer is done once (``api.idempotency``)."""

from __future__ import annotations

import base64
import binascii
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from api.deps import ActorDep, EngineDep, uow
from api.schemas import ERRORS, Strict
from ops_db.i18n import N_, check_locale, gettext_for, negotiate
from ops_db.i18n import day as day_text
from ops_db.identity.queries import company_look
from ops_db.inventory import van
from ops_db.kit.errors import ValidationError, Verbatim
from ops_db.kit.schemas import Day, Id, Qty
from ops_db.orders import service as orders
from ops_db.orders.schemas import FileIn
from ops_db.workforce import queries as workforce_queries
from ops_db.workforce import service as workforce
from ops_db.workforce.checklists import checklist_for
from ops_db.workforce.links import call_url, navigate_url

router = APIRouter(prefix="/api/v1/my-day", responses=ERRORS, tags=["technician"])
MAX_IMAGE_BASE64 = 28_000_000  # 20 MB of image as base64, the attachments' limit


class ChecklistItemOut(BaseModel):
    code: str
    text: str


class JobOut(BaseModel):
    booking_id: int
    order_id: int
    order_number: str
    status: str = Field(description="The booking: tentative, confirmed, in_progress or done.")
    starts: str = Field(description="Start time in the company's time zone, HH:MM.")
    ends: str = Field(description="End time in the company's time zone, HH:MM.")
    customer: str
    phone: str | None
    call_url: str | None = Field(description="A tel: link to call the customer.")
    address: str | None
    navigate_url: str | None = Field(description="A maps link with directions to the job.")
    location: str
    device: str | None
    problem: str
    checklist: list[ChecklistItemOut]


class VanPartOut(BaseModel):
    part_id: int
    sku: str
    name: str
    free: Decimal


# Every word the phone app (api/tech_app) shows, in English as the app writes them ({fields} filled in there). The
# app asks for them in the phone's language before sign-in and gets them in the technician's own with the day, and
# keeps them for offline starts; a source test checks the app uses no word missing here.
APP_TEXTS: tuple[str, ...] = (
    N_("My day"),
    N_("Sign in"),
    N_("Company"),
    N_("Email"),
    N_("Password"),
    N_("Sign in again to send your work."),
    N_("Offline"),
    N_("Offline · {count} waiting"),
    N_("Sending {count}…"),
    N_("All sent"),
    N_("Not done"),
    N_("Dismiss"),
    N_("Waiting to send: {count}"),
    N_("Loading your day…"),
    N_("No jobs booked for you today."),
    N_("Sign out"),
    N_("Call"),
    N_("No phone number"),
    N_("Navigate"),
    N_("No address"),
    N_("Check in"),
    N_("Check in · {order}"),
    N_("Proposed"),
    N_("Booked"),
    N_("Working on it"),
    N_("Done ✓"),
    N_("Checklist"),
    N_("Part from the van"),
    N_("{name} · {sku} ({count} in van)"),
    N_("Quantity"),
    N_("Use part"),
    N_("Part {sku} × {quantity} · {order}"),
    N_("Note"),
    N_("Add note"),
    N_("Note · {order}"),
    N_("Photo"),
    N_("Photo · {order}"),
    N_("What was done"),
    N_("Customer's name"),
    N_("Customer's signature"),
    N_("Clear"),
    N_("Finish with signature"),
    N_("Tick every item of the checklist first."),
    N_("Write the customer's name."),
    N_("Ask the customer to sign in the box."),
    N_("Finish · {order}"),
    N_("No connection: sign in once you are online."),
    N_("Some of your work is not sent yet. Sign out anyway?"),
)


def app_labels(locale: str) -> dict[str, str]:
    """The phone app's words in ``locale``, keyed by their English."""
    words = gettext_for(locale)
    return {text: words(text) for text in APP_TEXTS}


class LabelsOut(BaseModel):
    locale: str = Field(description="en, ru, pt_BR or zh_CN.")
    labels: dict[str, str] = Field(description="The app's words in that language, keyed by their English.")


class MyDayOut(BaseModel):
    day: date
    day_text: str = Field(description="The day as the technician's language writes it.")
    time_zone: str
    jobs: list[JobOut]
    van: list[VanPartOut]
    locale: str = Field(description="The technician's language (en, ru, pt_BR or zh_CN).")
    labels: dict[str, str] = Field(description="The phone app's words in the technician's language.")


class DoneOut(BaseModel):
    done: bool = True


class NoteIn(Strict):
    body: Annotated[str, Field(min_length=1, max_length=20000)]


class VanPartIn(Strict):
    part_id: Id
    quantity: Qty


class PhotoUpload(Strict):
    filename: Annotated[str, Field(min_length=1, max_length=255)] = "photo.jpg"
    content_base64: Annotated[str, Field(min_length=1, max_length=MAX_IMAGE_BASE64)]


class CompleteIn(Strict):
    signed_by: Annotated[str, Field(min_length=1, max_length=200)]
    outcome: Annotated[str | None, Field(max_length=2000)] = None
    checklist: Annotated[list[Annotated[str, Field(max_length=64)]], Field(max_length=50)] = []
    signature_png_base64: Annotated[str, Field(min_length=1, max_length=MAX_IMAGE_BASE64)]


def _image(encoded: str, filename: str) -> FileIn:
    try:
        content = base64.b64decode(encoded.split(",", 1)[-1], validate=True)  # a data: URL or bare base64
    except (binascii.Error, ValueError):
        raise ValidationError("The photo {name} is not valid base64.", name=Verbatim(filename)) from None
    return FileIn(filename, "application/octet-stream", content)  # its bytes say what it is


@router.get("", summary="My day: today's route, checklists and van stock", response_model=MyDayOut)
def my_day(eng: EngineDep, actor: ActorDep, day: Annotated[Day | None, Query()] = None) -> MyDayOut:
    """The signed-in technician's jobs of ``day`` (by default the company's today) in route order, each with a
    link to call the customer, one to navigate there and its checklist; and the parts free in their van."""
    look = company_look(uow(eng, actor))
    zone, locale = ZoneInfo(look.time_zone or "UTC"), check_locale(actor.locale or look.locale)
    words = gettext_for(locale)
    day = day or datetime.now(zone).date()
    jobs = [
        JobOut(
            booking_id=row["booking_id"],
            order_id=row["order_id"],
            order_number=row["order_number"],
            status=str(row["status"]),
            starts=f"{row['start'].astimezone(zone):%H:%M}",
            ends=f"{row['end'].astimezone(zone):%H:%M}",
            customer=row["customer"],
            phone=row["phone"],
            call_url=call_url(row["phone"]),
            address=row["address"],
            navigate_url=navigate_url(row["latitude"], row["longitude"], row["address"]),
            location=str(row["location"]),
            device=row["device"],
            problem=row["problem_description"],
            checklist=[
                ChecklistItemOut(code=item.code, text=words(item.text))
                for item in checklist_for(row["skill"], str(row["location"]))
            ],
        )
        for row in workforce_queries.my_jobs(uow(eng, actor), day)
    ]
    try:
        parts = [VanPartOut(**row) for row in van.van_stock(uow(eng, actor))]
    except ValidationError:  # no van: nothing to offer
        parts = []
    return MyDayOut(
        day=day,
        day_text=day_text(day, locale),
        time_zone=str(zone),
        jobs=jobs,
        van=parts,
        locale=locale,
        labels=app_labels(locale),
    )


@router.get("/labels", summary="The phone app's words in a language (public)", response_model=LabelsOut)
def labels(request: Request, locale: Annotated[str | None, Query(max_length=16)] = None) -> LabelsOut:
    """The words of the phone app's screens before anyone signs in: in ``locale`` when given, else in the language
    the phone's ``Accept-Language`` prefers (English when it names none of ours). Nothing here is secret."""
    chosen = check_locale(locale) if locale else negotiate(request.headers.get("accept-language"))
    return LabelsOut(locale=chosen, labels=app_labels(chosen))


@router.post("/bookings/{booking_id}/check-in", summary="Check in at a job", response_model=DoneOut)
def check_in(booking_id: Id, eng: EngineDep, actor: ActorDep) -> DoneOut:
    """Arrive and start work: travel ends, on-site time starts."""
    workforce.check_in(uow(eng, actor), booking_id)
    return DoneOut()


@router.post("/orders/{order_id}/notes", summary="Add a note to a job", response_model=DoneOut)
def add_note(order_id: Id, body: NoteIn, eng: EngineDep, actor: ActorDep) -> DoneOut:
    """An internal note on the job's order."""
    orders.add_note(uow(eng, actor), order_id, body.body)
    return DoneOut()


@router.post("/orders/{order_id}/van-parts", summary="Use a part from my van", response_model=DoneOut)
def use_van_part(order_id: Id, body: VanPartIn, eng: EngineDep, actor: ActorDep) -> DoneOut:
    """Any part in the van, fitted on the job: the van's stock goes down and the order is charged for it."""
    van.use_from_van(uow(eng, actor), order_id, body.part_id, body.quantity)
    return DoneOut()


@router.post("/orders/{order_id}/photos", summary="Attach a photo to a job", response_model=DoneOut)
def add_photo(order_id: Id, body: PhotoUpload, eng: EngineDep, actor: ActorDep) -> DoneOut:
    """A photo (JPEG, PNG, WebP or HEIC by its content) attached to the job's order."""
    orders.add_attachment(uow(eng, actor), order_id, _image(body.content_base64, body.filename), photo=True)
    return DoneOut()


@router.post(
    "/bookings/{booking_id}/complete", summary="Finish a job with the customer's signature", response_model=DoneOut
)
def complete(booking_id: Id, body: CompleteIn, eng: EngineDep, actor: ActorDep) -> DoneOut:
    """The customer signs on screen; with every checklist item ticked the visit is done (and a job in repair goes on
    to the quality check)."""
    workforce.complete_visit(
        uow(eng, actor),
        booking_id,
        body.signed_by,
        body.outcome or None,
        checklist=body.checklist,
        signature=_image(body.signature_png_base64, "signature.png"),
    )
    return DoneOut()
