"""Request-scoped dependencies: the engine, the acting user from a bearer token, the tenant of public calls."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Query, Request
from sqlalchemy import Engine

from ops_db.identity.service import AuthenticationFailed, resolve_tenant
from ops_db.identity.sessions import verify_token
from ops_db.kit.errors import ValidationError
from ops_db.kit.uow import Actor, UnitOfWork


def engine(request: Request) -> Engine:
    """The application engine (runs as the non-owner role, so row-level security applies)."""
    value = request.app.state.engine
    assert isinstance(value, Engine)
    return value


EngineDep = Annotated[Engine, Depends(engine)]


def current_actor(eng: EngineDep, authorization: Annotated[str | None, Header()] = None) -> Actor:
    """The signed-in person behind ``Authorization: Bearer <access token>``, in the session the token names."""
    if not authorization or not authorization.lower().startswith("bearer "):
        raise AuthenticationFailed("Sign in first: send the token from /api/v1/auth/token as a Bearer header.")
    return verify_token(eng, authorization[7:].strip())


ActorDep = Annotated[Actor, Depends(current_actor)]


def public_actor(
    eng: EngineDep,
    x_tenant: Annotated[str | None, Header(description="The company's slug.")] = None,
    tenant: Annotated[str | None, Query(max_length=64, description="The company's slug.")] = None,
) -> Actor:
    """An anonymous portal visitor of the company named by ``X-Tenant`` or ``?tenant=``."""
    slug = x_tenant or tenant
    if not slug:
        raise ValidationError("Say which company: send the X-Tenant header or the tenant query parameter.")
    return Actor.public(resolve_tenant(eng, slug))


PublicDep = Annotated[Actor, Depends(public_actor)]


def uow(eng: Engine, actor: Actor) -> UnitOfWork:
    """A unit of work for one service call."""
    return UnitOfWork(eng, actor)
