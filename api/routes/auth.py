"""Sessions: trade a refresh token for new tokens, sign out here, everywhere, or (an administrator) another person."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response

from api.deps import ActorDep, EngineDep, uow
from api.ratelimit import limit_public
from api.schemas import ERRORS, RefreshIn, SessionsEndedOut, TokenOut
from ops_db.identity import sessions
from ops_db.identity.service import SignIn

router = APIRouter(prefix="/api/v1", responses=ERRORS)


def token_out(signed: SignIn) -> TokenOut:
    """The answer of a sign-in or a refresh."""
    assert signed.actor.user_id is not None
    return TokenOut(
        access_token=signed.token,
        expires_in=signed.expires_in,
        refresh_token=signed.refresh_token,
        user_id=signed.actor.user_id,
        roles=sorted(signed.actor.roles),
    )


@router.post(
    "/auth/refresh",
    tags=["auth"],
    response_model=TokenOut,
    dependencies=[Depends(limit_public)],
    summary="Trade the refresh token for new tokens",
)
def refresh(body: RefreshIn, eng: EngineDep) -> TokenOut:
    """A new access token (15 minutes) and the next refresh token. Each refresh token works once: sending one
    that was already traded ends the whole session (someone else holds a copy), and every later call answers
    401. A session lasts at most 12 hours from sign-in, and ends early when the person signs out, is locked or
    switched off, changes password, or the company is switched off or starts requiring a second factor."""
    return token_out(sessions.refresh(eng, body.refresh_token))


@router.post(
    "/auth/sign-out", tags=["auth"], status_code=204, response_class=Response, summary="Sign out: end this session"
)
def sign_out(eng: EngineDep, actor: ActorDep) -> Response:
    """End the session of the bearer token: its access and refresh tokens stop working at once."""
    sessions.sign_out(uow(eng, actor))
    return Response(status_code=204)


@router.post(
    "/auth/sign-out-everywhere", tags=["auth"], response_model=SessionsEndedOut, summary="Sign out on every device"
)
def sign_out_everywhere(eng: EngineDep, actor: ActorDep) -> SessionsEndedOut:
    """End every session of the caller, this one included (after a lost phone, say); audited."""
    return SessionsEndedOut(ended=sessions.sign_out_everywhere(uow(eng, actor)))


@router.post(
    "/users/{user_id}/sign-out",
    tags=["auth"],
    response_model=SessionsEndedOut,
    summary="Sign another person out everywhere",
)
def sign_out_user(user_id: Annotated[int, Path(ge=1, le=2**62)], eng: EngineDep, actor: ActorDep) -> SessionsEndedOut:
    """End every session of a person of the company (whoever manages users); audited."""
    return SessionsEndedOut(ended=sessions.sign_out_everywhere(uow(eng, actor), user_id))
