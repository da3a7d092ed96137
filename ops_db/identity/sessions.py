"""Sign-in sessions: a short access token and a rotating, one-use refresh token per sign-in, and sign-out.

Every sign-in (web app or API) opens a row of ``auth_sessions``. The API gets an access token that lives
:data:`ACCESS_TTL` and names its session, and a refresh token that trades, once, for a new pair until the session
itself expires (:data:`SESSION_TTL`). Each request re-reads the session with its person and company in one
query, so a token stops working as soon as the session has ended. The database ends sessions itself (triggers of
migration 0011), whoever makes the change: when the person is locked, switched off or given a new password, when
the company is switched off, and, for sessions opened without a second factor, when the company starts requiring
one. A refresh token presented a second time means two parties hold it: the session ends (theft detection).

Tokens are ``base64(claims).base64(HMAC-SHA256)`` under a key derived from the server's secret key
(:func:`token_key`); clocks are injectable (``now=``) so tests need no sleeping.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Row, text

from ops_db.i18n import N_
from ops_db.identity.actors import AuthenticationFailed, SignIn, actor_of
from ops_db.identity.models import User
from ops_db.kit import keys
from ops_db.kit.errors import ValidationError
from ops_db.kit.uow import Actor, UnitOfWork

ACCESS_TTL = timedelta(minutes=15)
SESSION_TTL = timedelta(hours=12)  # a working day: the web app and a refreshing API client sign in once a day
KEEP_ENDED = timedelta(days=30)  # ended sessions stay this long for review, then go at the person's next sign-in
_ACCESS, _REFRESH = "a", "r"

NOT_VALID = N_("The sign-in token is not valid; sign in again.")
ACCESS_EXPIRED = N_("The access token has expired; use the refresh token or sign in again.")
SESSION_EXPIRED = N_("This session has expired; sign in again.")
SESSION_UNKNOWN = N_("This session has ended; sign in again.")
# Why a session ended (auth_sessions.revoked_reason; the migration lists the same codes) and what its holder reads.
ENDED_BECAUSE: dict[str, str] = {
    "signed_out": N_("You signed out of this session; sign in again."),
    "signed_out_everywhere": N_("You signed out on every device; sign in again."),
    "signed_out_by_admin": N_("An administrator signed you out; sign in again."),
    "password_changed": N_("Your password was changed; sign in again with the new one."),
    "locked": N_("This account was locked; sign in again once it is unlocked."),
    "deactivated": N_("This account is not active."),
    "company_deactivated": N_("Your company's account is not active."),
    "second_factor_required": N_(
        "Your company now requires a second sign-in step; sign in again with the code from your authenticator app."
    ),
    "password_guessing": N_("This session was ended after too many wrong passwords; sign in again."),
    "refresh_reused": N_(
        "That refresh token was already used, so the session was ended to protect the account; sign in again."
    ),
}

_SESSION = """
    SELECT s.user_id, s.second_factor, s.expires_at, s.revoked_reason, s.refresh_generation,
           u.is_active AS person_active, u.locked_until, t.is_active AS company_active, t.require_totp
      FROM auth_sessions s JOIN users u ON u.id = s.user_id JOIN tenants t ON t.id = s.tenant_id
     WHERE s.id = CAST(:sid AS uuid)"""


def token_key() -> bytes:
    """The key that signs tokens: derived from the server's secret key (the one place tokens read it)."""
    return hashlib.sha256(b"token:" + keys.secret_key().encode()).digest()


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class _Claims:
    """What a verified token says."""

    tenant_id: int
    user_id: int
    session_id: str
    expires: int  # seconds since the epoch
    generation: int  # refresh tokens: which rotation of the session issued it


def _sign(body: bytes) -> bytes:
    return hmac.new(token_key(), body, hashlib.sha256).digest()


def _b64(raw: bytes) -> bytes:
    return base64.urlsafe_b64encode(raw).rstrip(b"=")


def _unb64(text_: bytes) -> bytes:
    return base64.urlsafe_b64decode(text_ + b"=" * (-len(text_) % 4))


def _encode(claims: dict[str, Any]) -> str:
    body = _b64(json.dumps(claims, separators=(",", ":")).encode())
    return (body + b"." + _b64(_sign(body))).decode()


def _decode(token: str, kind: str) -> _Claims:
    """The claims of a token of ``kind`` we signed; anything else is one sentence."""
    try:
        body, signature = token.encode("ascii").split(b".", 1)
        if not hmac.compare_digest(_unb64(signature), _sign(body)):
            raise ValueError
        data = json.loads(_unb64(body))
        if data["k"] != kind:  # an access token is no refresh token, and the other way round
            raise ValueError
        return _Claims(
            int(data["t"]), int(data["u"]), str(uuid.UUID(data["s"])), int(data["exp"]), int(data.get("g", 0))
        )
    except (ValueError, KeyError, TypeError, UnicodeError, AttributeError):
        raise AuthenticationFailed(NOT_VALID) from None


def _issue(actor: Actor, generation: int, now: datetime, session_ends: datetime) -> SignIn:
    """An access token (until ACCESS_TTL or the session's end) and the session's refresh token of ``generation``."""
    assert actor.user_id is not None and actor.session_id is not None
    access_ends = min(now + ACCESS_TTL, session_ends)
    claims = {"t": actor.tenant_id, "u": actor.user_id, "s": actor.session_id}
    access = _encode({**claims, "k": _ACCESS, "exp": int(access_ends.timestamp())})
    refresh = _encode({**claims, "k": _REFRESH, "g": generation, "exp": int(session_ends.timestamp())})
    return SignIn(actor, access, refresh, max(0, int((access_ends - now).total_seconds())))


def open_session(engine: Engine, actor: Actor, *, now: datetime | None = None) -> SignIn:
    """Start a session for a person who has just proved who they are (``identity.authenticate``).

    It counts as opened with a second factor when the person has one confirmed (sign-in then required its
    code). A person still to set up the factor their company requires gets a session for that alone, and no
    tokens."""
    assert actor.user_id is not None
    now = now or _now()
    session_id = uuid.uuid4()
    with UnitOfWork(engine, Actor.system(actor.tenant_id, "sign-in")) as uow:
        second_factor = not actor.second_factor_pending and bool(
            uow.session.execute(
                text("SELECT confirmed_at IS NOT NULL FROM totp_secrets WHERE user_id = :u"), {"u": actor.user_id}
            ).scalar()
        )
        uow.session.execute(
            text("DELETE FROM auth_sessions WHERE user_id = :u AND expires_at < :old"),
            {"u": actor.user_id, "old": now - KEEP_ENDED},
        )
        uow.session.execute(
            text(
                "INSERT INTO auth_sessions (id, tenant_id, user_id, second_factor, created_at, expires_at)"
                " VALUES (:id, :t, :u, :f, :now, :ends)"
            ),
            {
                "id": session_id,
                "t": actor.tenant_id,
                "u": actor.user_id,
                "f": second_factor,
                "now": now,
                "ends": now + SESSION_TTL,
            },
        )
        uow.commit()
    bound = replace(actor, session_id=str(session_id))
    if actor.second_factor_pending:
        return SignIn(bound, "")
    return _issue(bound, 0, now, now + SESSION_TTL)


def _refusal(row: Row[Any] | None, user_id: int, now: datetime, *, pending: bool) -> str | None:
    """Why this session may no longer act (one sentence), or None while it may."""
    if row is None or row.user_id != user_id:
        return SESSION_UNKNOWN
    # The person's and the company's state are read live too, so a change the session triggers could not reach
    # (a row written with triggers disabled, as a restore does) still counts.
    if not row.company_active:
        return ENDED_BECAUSE["company_deactivated"]
    if not row.person_active:
        return ENDED_BECAUSE["deactivated"]
    if row.locked_until is not None and row.locked_until > now:
        return ENDED_BECAUSE["locked"]
    if row.revoked_reason is not None:
        return ENDED_BECAUSE.get(row.revoked_reason, SESSION_UNKNOWN)
    if row.expires_at <= now:
        return SESSION_EXPIRED
    if row.require_totp and not row.second_factor and not pending:
        return ENDED_BECAUSE["second_factor_required"]
    return None


def verify_token(engine: Engine, token: str, *, now: datetime | None = None) -> Actor:
    """The person an access token stands for, in its session; refuses forged and expired tokens and ended
    sessions with one sentence each."""
    now = now or _now()
    claims = _decode(token, _ACCESS)
    if claims.expires <= now.timestamp():
        raise AuthenticationFailed(ACCESS_EXPIRED)
    with UnitOfWork(engine, Actor.system(claims.tenant_id, "sign-in")) as uow:
        row = uow.session.execute(text(_SESSION), {"sid": claims.session_id}).one_or_none()
        refusal = _refusal(row, claims.user_id, now, pending=False)
        if refusal is not None:
            raise AuthenticationFailed(refusal)
        return replace(actor_of(uow, claims.user_id), session_id=claims.session_id)


def check_session(engine: Engine, actor: Actor, *, now: datetime | None = None) -> None:
    """Raise :class:`AuthenticationFailed` (one sentence) unless ``actor``'s session may still act: one query,
    for the web app's every rerun."""
    if actor.session_id is None or actor.user_id is None:
        raise AuthenticationFailed(SESSION_UNKNOWN)
    with UnitOfWork(engine, Actor.system(actor.tenant_id, "sign-in")) as uow:
        row = uow.session.execute(text(_SESSION), {"sid": actor.session_id}).one_or_none()
    refusal = _refusal(row, actor.user_id, now or _now(), pending=actor.second_factor_pending)
    if refusal is not None:
        raise AuthenticationFailed(refusal)


def refresh(engine: Engine, refresh_token: str, *, now: datetime | None = None) -> SignIn:
    """Trade a refresh token for a new access token and the next refresh token; the one given stops working.

    Presenting a refresh token that was already traded ends the session: either its holder or a thief is
    replaying it, and the server cannot tell which."""
    now = now or _now()
    claims = _decode(refresh_token, _REFRESH)
    with UnitOfWork(engine, Actor.system(claims.tenant_id, "sign-in")) as uow:
        # The row lock makes two trades of one token take turns: the second one finds it already traded.
        row = uow.session.execute(text(_SESSION + " FOR UPDATE OF s"), {"sid": claims.session_id}).one_or_none()
        refusal = _refusal(row, claims.user_id, now, pending=False)
        if refusal is not None:
            raise AuthenticationFailed(refusal)
        assert row is not None
        if claims.generation != row.refresh_generation:
            _end(uow, "id = CAST(:sid AS uuid)", {"sid": claims.session_id}, "refresh_reused")
            uow.audit("session.refresh_reused", "users", claims.user_id, after={"session": claims.session_id})
            uow.commit()
            raise AuthenticationFailed(ENDED_BECAUSE["refresh_reused"])
        uow.session.execute(
            text(
                "UPDATE auth_sessions SET refresh_generation = refresh_generation + 1, refreshed_at = :now"
                " WHERE id = CAST(:sid AS uuid)"
            ),
            {"now": now, "sid": claims.session_id},
        )
        actor = replace(actor_of(uow, claims.user_id), session_id=claims.session_id)
        session_ends: datetime = row.expires_at
        uow.commit()
    return _issue(actor, claims.generation + 1, now, session_ends)


def _end(uow: UnitOfWork, where: str, params: dict[str, Any], reason: str) -> int:
    """End the live sessions matching ``where``; how many there were."""
    ended = uow.session.execute(
        text(
            f"UPDATE auth_sessions SET revoked_at = now(), revoked_reason = :reason WHERE revoked_at IS NULL AND"
            f" {where} RETURNING id"
        ),
        {**params, "reason": reason},
    ).all()
    return len(ended)


def sign_out(uow: UnitOfWork) -> None:
    """End the session the acting person is signed in with (their other sessions go on)."""
    with uow:
        actor = uow.actor
        if actor.session_id is None:
            raise ValidationError("Only a signed-in person can sign out.")
        _end(uow, "id = CAST(:sid AS uuid)", {"sid": actor.session_id}, "signed_out")
        uow.commit()


def sign_out_everywhere(uow: UnitOfWork, user_id: int | None = None) -> int:
    """End every session of the acting person, or (for whoever manages users) of another person; audited.
    Returns how many sessions ended."""
    with uow:
        actor = uow.actor
        target = actor.user_id if user_id is None else user_id
        if target is None:
            raise ValidationError("Only a signed-in person can sign out.")
        own = target == actor.user_id
        if not own:
            actor.require("identity.manage_users")
            uow.get(User, target)
        ended = _end(uow, "user_id = :u", {"u": target}, "signed_out_everywhere" if own else "signed_out_by_admin")
        uow.audit("user.sign_out_everywhere", "users", target, after={"sessions_ended": ended})
        uow.commit()
        return ended
