"""Incoming webhooks from payment providers (signed; no bearer token)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Request
from starlette.concurrency import run_in_threadpool

from api.deps import EngineDep
from api.schemas import ERRORS, StatusOut
from ops_db.billing.stripe_payments import handle_webhook, stripe_config_for
from ops_db.identity.service import resolve_tenant

MAX_EVENT_BYTES = 512 * 1024  # a Stripe event is a few KB; the app's RequestGuard stops reading here (413)

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"], responses=ERRORS)


@router.post("/stripe", summary="Stripe events: a paid Checkout session records the payment", response_model=StatusOut)
async def stripe_event(
    request: Request, eng: EngineDep, stripe_signature: Annotated[str | None, Header()] = None
) -> StatusOut:
    """Verifies the ``Stripe-Signature`` header against the endpoint secret; the same event sent twice records
    one payment."""
    payload = await request.body()
    outcome = await run_in_threadpool(handle_webhook, eng, request.app.state.stripe, payload, stripe_signature)
    return StatusOut(status=outcome)


@router.post(
    "/stripe/{company}",
    response_model=StatusOut,
    summary="A company's own Stripe account: a paid Checkout session records the payment",
)
async def company_stripe_event(
    company: Annotated[str, Path(min_length=1, max_length=64)],
    request: Request,
    eng: EngineDep,
    stripe_signature: Annotated[str | None, Header()] = None,
) -> StatusOut:
    """For a company with its own Stripe account (Admin → Channels and webhooks): verified with that account's
    signing secret, and only payments for that company's invoices are recorded."""
    payload = await request.body()

    def apply() -> str:
        tenant_id = resolve_tenant(eng, company.strip().lower())
        config = stripe_config_for(eng, tenant_id, request.app.state.stripe)
        return handle_webhook(eng, config, payload, stripe_signature, tenant_id=tenant_id)

    return StatusOut(status=await run_in_threadpool(apply))
