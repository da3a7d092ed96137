"""The signed-in person's own things: their language, their password and, for staff, the in-app inbox (for mobile
apps)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import ActorDep, EngineDep, uow
from api.schemas import ERRORS, LocaleOut, MarkedOut, PasswordIn, SessionsEndedOut
from ops_db.comms import service as comms
from ops_db.comms.schemas import ReadIn
from ops_db.identity import service as identity
from ops_db.identity.schemas import LanguageIn

router = APIRouter(prefix="/api/v1/me", responses=ERRORS, tags=["me"])


@router.put("/language", summary="Choose my language", response_model=LocaleOut)
def set_language(body: LanguageIn, eng: EngineDep, actor: ActorDep) -> LocaleOut:
    """Keep the caller's language (en, ru, pt-BR, zh-CN): the UI opens in it and their notifications use it."""
    return LocaleOut(locale=identity.set_language(uow(eng, actor), body.locale))


@router.put("/password", summary="Change my password", response_model=SessionsEndedOut)
def change_password(body: PasswordIn, eng: EngineDep, actor: ActorDep) -> SessionsEndedOut:
    """Give the current password and a new one (8 characters or more). Every other session of the caller ends;
    this one goes on. After as many wrong current passwords as the company allows failed sign-ins, this session
    ends (whoever took it over cannot go on guessing)."""
    return SessionsEndedOut(ended=identity.change_password(uow(eng, actor), body.current_password, body.new_password))


@router.get("/notifications", summary="My newest notifications", response_model=comms.Inbox)
def notifications(
    eng: EngineDep, actor: ActorDep, limit: Annotated[int, Query(ge=1, le=comms.INBOX_LIMIT)] = 20
) -> comms.Inbox:
    """A staff member's in-app notifications, newest first, with how many are unread."""
    return comms.inbox(uow(eng, actor), limit=limit)


@router.post("/notifications/read", summary="Mark my notifications read", response_model=MarkedOut)
def read(body: ReadIn, eng: EngineDep, actor: ActorDep) -> MarkedOut:
    """Mark the given notifications (or, without ``ids``, all of them) read; returns how many were unread."""
    return MarkedOut(marked=comms.mark_read(uow(eng, actor), body.ids))
