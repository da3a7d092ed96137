"""The signed-in person's own things: their language, their password and, for staff, the in-app inbox (for mobile
apps)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import ActorDep, EngineDep, uow
from api.schemas import ERRORS, LanguageIn, PasswordIn, ReadIn, SessionsEndedOut
from ops_db.comms import service as comms
from ops_db.identity import service as identity

router = APIRouter(prefix="/api/v1/me", responses=ERRORS, tags=["me"])


@router.put("/language", summary="Choose my language")
def set_language(body: LanguageIn, eng: EngineDep, actor: ActorDep) -> dict[str, str]:
    """Keep the caller's language (en, ru, pt-BR, zh-CN): the UI opens in it and their notifications use it."""
    return {"locale": identity.set_language(uow(eng, actor), body.locale)}


@router.put("/password", summary="Change my password", response_model=SessionsEndedOut)
def change_password(body: PasswordIn, eng: EngineDep, actor: ActorDep) -> SessionsEndedOut:
    """Give the current password and a new one (8 characters or more). Every other session of the caller ends;
    this one goes on. After as many wrong current passwords as the company allows failed sign-ins, this session
    ends (whoever took it over cannot go on guessing)."""
    return SessionsEndedOut(ended=identity.change_password(uow(eng, actor), body.current_password,
                                                           body.new_password))


@router.get("/notifications", summary="My newest notifications")
def notifications(eng: EngineDep, actor: ActorDep,
                  limit: Annotated[int, Query(ge=1, le=comms.INBOX_LIMIT)] = 20) -> dict[str, Any]:
    """A staff member's in-app notifications, newest first, with how many are unread."""
    box = comms.inbox(uow(eng, actor), limit=limit)
    return {"items": box.items, "unread": box.unread}


@router.post("/notifications/read", summary="Mark my notifications read")
def read(body: ReadIn, eng: EngineDep, actor: ActorDep) -> dict[str, int]:
    """Mark the given notifications (or, without ``ids``, all of them) read; returns how many were unread."""
    return {"marked": comms.mark_read(uow(eng, actor), body.ids)}
