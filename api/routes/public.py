"""Sign-in and the public customer portal endpoints (rate limited)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from api.deps import EngineDep, PublicDep, uow
from api.ratelimit import client_address, limit_public, limit_sign_in
from api.routes.auth import token_out
from api.schemas import ERRORS, ReceiptOut, RequestIn, TokenIn, TokenOut, decoded
from ops_db.identity.service import authenticate, resolve_tenant
from ops_db.orders import service as orders
from ops_db.tracking import service as tracking
from ops_db.tracking.schemas import Tracking

router = APIRouter(prefix="/api/v1", dependencies=[Depends(limit_public)], responses=ERRORS)


@router.post("/auth/token", tags=["auth"], summary="Sign in and get a bearer token", response_model=TokenOut)
def token(body: TokenIn, request: Request, eng: EngineDep) -> TokenOut:
    """Check email, password and (when required) a TOTP code; repeated failures are refused for a while (429),
    counted per account and per client address. Opens a session: an access token for 15 minutes and a one-use
    refresh token (see /api/v1/auth/refresh)."""
    limit_sign_in(request, body.tenant, body.email)
    tenant_id = resolve_tenant(eng, body.tenant)
    signed = authenticate(
        eng,
        tenant_id,
        body.email,
        body.password,
        body.totp,
        ip_address=client_address(request),
        user_agent=request.headers.get("user-agent"),
    )
    return token_out(signed)


@router.post(
    "/requests",
    tags=["portal"],
    status_code=201,
    response_model=ReceiptOut,
    summary="Submit a repair request (no account needed)",
)
def submit_request(body: RequestIn, eng: EngineDep, actor: PublicDep) -> ReceiptOut:
    """Record the request and open the order; the order number and tracking code come back at once."""
    receipt = orders.submit_request(uow(eng, actor), orders.RequestIn(**{**dict(body), "photos": decoded(body.photos)}))
    return ReceiptOut(order_id=receipt.order_id, order_number=receipt.order_number, tracking_code=receipt.tracking_code)


@router.get(
    "/track/{order_number}", tags=["portal"], summary="Track an order by number and code", response_model=Tracking
)
def track(
    order_number: str, code: Annotated[str, Query(min_length=1, max_length=64)], eng: EngineDep, actor: PublicDep
) -> Tracking:
    """Stage, timeline, estimate and invoice of an order, for whoever holds its tracking code."""
    return tracking.track(uow(eng, actor), order_number, code)
