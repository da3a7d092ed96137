"""Sessions over the real API and Postgres: short access tokens, one-use refresh tokens (a replayed one ends the
session), sign-out here, everywhere and by an administrator, and every way a session ends by itself (locked,
switched off, new password, company switched off, company now requiring a second factor), each answered 401
with its own sentence. Clocks are injected (``now=``): nothing sleeps or depends on the hour.

One database for the module; each test opens its own company, so no test sees another's people or settings."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from api.app import create_app
from ops_db import migrate
from ops_db.identity import service as identity
from ops_db.identity import sessions
from ops_db.identity.tenants import CompanyIn, update_company
from ops_db.kit import db
from ops_db.kit.errors import PermissionDenied
from ops_db.kit.uow import Actor, UnitOfWork
from tests.conftest import Shop, _temporary_database

PASSWORD = "person-pass-1"
PROBE = "/api/v1/me/notifications"  # any call that needs a signed-in staff member


@pytest.fixture(scope="module")
def database(server_url: str) -> Iterator[str]:
    yield from _temporary_database(server_url)


@pytest.fixture(scope="module")
def client(database: str) -> Iterator[TestClient]:
    migrate.upgrade(database)
    with TestClient(create_app(database, public_burst=10_000, public_per_second=10_000)) as c:
        yield c


@pytest.fixture
def shop(client: TestClient, database: str) -> Shop:
    """A new company of its own for each test."""
    return Shop(database, slug=f"co-{uuid.uuid4().hex[:10]}")


def _person(shop: Shop, role: str = "dispatcher") -> tuple[int, str]:
    """A new login of ``shop``: its user id and email."""
    actor = shop.person(role)
    assert isinstance(actor, Actor) and actor.user_id is not None
    return actor.user_id, f"{role}{shop._users}@{shop.slug}.example"


def _uow(shop: Shop, actor: Actor | None = None) -> UnitOfWork:
    return UnitOfWork(shop.engine, actor or Actor.system(shop.tenant_id))


def _sign_in(
    client: TestClient, shop: Shop, email: str, password: str = PASSWORD, totp: str | None = None
) -> dict[str, Any]:
    reply = client.post(
        "/api/v1/auth/token", json={"tenant": shop.slug, "email": email, "password": password, "totp": totp}
    )
    assert reply.status_code == 200, reply.text
    return dict(reply.json())


def _bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def _works(client: TestClient, tokens: dict[str, Any]) -> bool:
    reply: httpx.Response = client.get(PROBE, headers=_bearer(tokens))
    assert reply.status_code in (200, 401), reply.text
    return reply.status_code == 200


def _refused(reply: Any, sentence: str) -> None:
    """A 401 in the API's error shape, saying ``sentence``."""
    assert reply.status_code == 401, reply.text
    assert reply.json() == {"error": "authentication_failed", "message": sentence}


def _refresh(client: TestClient, tokens: dict[str, Any]) -> Any:
    return client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})


def _sql(database: str, sql: str, **params: object) -> Any:
    """Run ``sql`` as the database owner (an administrator in psql), outside any company's context."""
    with db.admin_engine(database).begin() as conn:
        return conn.execute(text(sql), params)


# ---- tokens and refresh --------------------------------------------------------------------------------------


def test_sign_in_gives_a_fifteen_minute_access_token_and_a_refresh_token(client: TestClient, shop: Shop) -> None:
    _, email = _person(shop)
    tokens = _sign_in(client, shop, email)
    assert tokens["expires_in"] == 15 * 60 and tokens["token_type"] == "bearer"
    assert tokens["refresh_token"] and tokens["refresh_token"] != tokens["access_token"]
    assert _works(client, tokens)
    # One token cannot stand in for the other.
    _refused(client.get(PROBE, headers={"Authorization": f"Bearer {tokens['refresh_token']}"}), sessions.NOT_VALID)
    _refused(client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["access_token"]}), sessions.NOT_VALID)
    _refused(client.post("/api/v1/auth/refresh", json={"refresh_token": "forged.token"}), sessions.NOT_VALID)


def test_refresh_rotates_and_a_refresh_token_used_twice_ends_the_session(
    client: TestClient, database: str, shop: Shop
) -> None:
    user_id, email = _person(shop)
    first = _sign_in(client, shop, email)
    reply = _refresh(client, first)
    assert reply.status_code == 200, reply.text
    second = reply.json()
    assert second["refresh_token"] != first["refresh_token"] and second["user_id"] == user_id
    assert _works(client, second)
    third = _refresh(client, second).json()
    assert _works(client, third)
    # The first refresh token comes back: a copy is in other hands. The session ends for everyone holding it.
    _refused(_refresh(client, first), sessions.ENDED_BECAUSE["refresh_reused"])
    _refused(_refresh(client, third), sessions.ENDED_BECAUSE["refresh_reused"])
    _refused(client.get(PROBE, headers=_bearer(third)), sessions.ENDED_BECAUSE["refresh_reused"])
    assert (
        _sql(
            database,
            "SELECT count(*) FROM audit_log WHERE action = 'session.refresh_reused' AND entity_id = :u",
            u=user_id,
        ).scalar_one()
        == 1
    )
    assert _works(client, _sign_in(client, shop, email))  # signing in again is the way back


def test_an_expired_access_token_is_refused_and_the_refresh_token_replaces_it(client: TestClient, shop: Shop) -> None:
    _, email = _person(shop)
    signed_at = datetime.now(UTC)
    tokens = _sign_in(client, shop, email)
    actor = sessions.verify_token(shop.engine, tokens["access_token"], now=signed_at + timedelta(minutes=14))
    with pytest.raises(identity.AuthenticationFailed, match="access token has expired"):
        sessions.verify_token(shop.engine, tokens["access_token"], now=signed_at + timedelta(minutes=16))
    # Over HTTP with the real clock: a session opened 16 minutes ago has an access token that no longer works.
    earlier = sessions.open_session(shop.engine, actor, now=datetime.now(UTC) - timedelta(minutes=16))
    old = {"access_token": earlier.token, "refresh_token": earlier.refresh_token}
    _refused(client.get(PROBE, headers=_bearer(old)), sessions.ACCESS_EXPIRED)
    renewed = _refresh(client, old)
    assert renewed.status_code == 200 and _works(client, renewed.json())


def test_a_session_ends_after_twelve_hours_even_with_a_fresh_refresh_token(client: TestClient, shop: Shop) -> None:
    _, email = _person(shop)
    actor = sessions.verify_token(shop.engine, _sign_in(client, shop, email)["access_token"])
    yesterday = sessions.open_session(shop.engine, actor, now=datetime.now(UTC) - timedelta(hours=12, minutes=1))
    _refused(
        client.post("/api/v1/auth/refresh", json={"refresh_token": yesterday.refresh_token}), sessions.SESSION_EXPIRED
    )
    signed_at = datetime.now(UTC)
    fresh = sessions.open_session(shop.engine, actor, now=signed_at)
    with pytest.raises(identity.AuthenticationFailed, match="session has expired"):
        sessions.refresh(shop.engine, fresh.refresh_token, now=signed_at + sessions.SESSION_TTL)
    assert sessions.refresh(shop.engine, fresh.refresh_token, now=signed_at + timedelta(hours=11)).token


# ---- signing out ---------------------------------------------------------------------------------------------


def test_sign_out_ends_this_session_and_no_other(client: TestClient, shop: Shop) -> None:
    _, email = _person(shop)
    phone, laptop = _sign_in(client, shop, email), _sign_in(client, shop, email)
    reply = client.post("/api/v1/auth/sign-out", headers=_bearer(phone))
    assert reply.status_code == 204 and reply.content == b""
    _refused(client.get(PROBE, headers=_bearer(phone)), sessions.ENDED_BECAUSE["signed_out"])
    _refused(_refresh(client, phone), sessions.ENDED_BECAUSE["signed_out"])
    assert _works(client, laptop)
    _refused(
        client.post("/api/v1/auth/sign-out"),
        "Sign in first: send the token from /api/v1/auth/token as a Bearer header.",
    )


def test_sign_out_everywhere_ends_every_session_of_the_person(client: TestClient, database: str, shop: Shop) -> None:
    user_id, email = _person(shop)
    _, colleague = _person(shop)
    phone, laptop, theirs = (
        _sign_in(client, shop, email),
        _sign_in(client, shop, email),
        _sign_in(client, shop, colleague),
    )
    reply = client.post("/api/v1/auth/sign-out-everywhere", headers=_bearer(laptop))
    assert reply.status_code == 200 and reply.json() == {"ended": 2}
    for tokens in (phone, laptop):
        _refused(client.get(PROBE, headers=_bearer(tokens)), sessions.ENDED_BECAUSE["signed_out_everywhere"])
        _refused(_refresh(client, tokens), sessions.ENDED_BECAUSE["signed_out_everywhere"])
    assert _works(client, theirs)
    assert (
        _sql(
            database,
            "SELECT after->>'sessions_ended' FROM audit_log WHERE action = 'user.sign_out_everywhere'"
            " AND entity_id = :u",
            u=user_id,
        ).scalar_one()
        == "2"
    )


def test_an_administrator_signs_another_person_out_and_others_may_not(
    client: TestClient, database: str, shop: Shop
) -> None:
    user_id, email = _person(shop)
    _, dispatcher = _person(shop)
    victim = _sign_in(client, shop, email)
    refused = client.post(f"/api/v1/users/{user_id}/sign-out", headers=_bearer(_sign_in(client, shop, dispatcher)))
    assert refused.status_code == 403 and _works(client, victim)
    admin = _sign_in(client, shop, f"admin@{shop.slug}.example", "admin-pass-1")
    reply = client.post(f"/api/v1/users/{user_id}/sign-out", headers=_bearer(admin))
    assert reply.status_code == 200 and reply.json() == {"ended": 1}
    _refused(client.get(PROBE, headers=_bearer(victim)), sessions.ENDED_BECAUSE["signed_out_by_admin"])
    assert _works(client, admin)
    assert client.post("/api/v1/users/999999/sign-out", headers=_bearer(admin)).status_code == 404
    assert (
        _sql(
            database,
            "SELECT actor_user_id FROM audit_log WHERE action = 'user.sign_out_everywhere' AND entity_id = :u",
            u=user_id,
        ).scalar_one()
        == admin["user_id"]
    )


# ---- a session ends by itself --------------------------------------------------------------------------------


def test_locking_the_account_ends_its_sessions_for_good(client: TestClient, database: str, shop: Shop) -> None:
    user_id, email = _person(shop)
    tokens = _sign_in(client, shop, email)
    with _uow(shop) as uow:  # a lock written by the app's role, in the company's context
        uow.session.execute(
            text("UPDATE users SET locked_until = now() + interval '15 minutes' WHERE id = :u"), {"u": user_id}
        )
        uow.commit()
    _refused(client.get(PROBE, headers=_bearer(tokens)), sessions.ENDED_BECAUSE["locked"])
    _refused(_refresh(client, tokens), sessions.ENDED_BECAUSE["locked"])
    _sql(database, "UPDATE users SET locked_until = NULL WHERE id = :u", u=user_id)  # the lock is over …
    _refused(client.get(PROBE, headers=_bearer(tokens)), sessions.ENDED_BECAUSE["locked"])  # … the session not
    assert _works(client, _sign_in(client, shop, email))


def test_switching_the_person_off_ends_their_sessions(client: TestClient, database: str, shop: Shop) -> None:
    user_id, email = _person(shop)
    tokens = _sign_in(client, shop, email)
    _sql(database, "UPDATE users SET is_active = false WHERE id = :u", u=user_id)  # an administrator in psql
    _refused(client.get(PROBE, headers=_bearer(tokens)), sessions.ENDED_BECAUSE["deactivated"])
    _sql(database, "UPDATE users SET is_active = true WHERE id = :u", u=user_id)
    _refused(_refresh(client, tokens), sessions.ENDED_BECAUSE["deactivated"])  # switched on again: sign in anew


def test_switching_the_company_off_ends_every_session_in_it(client: TestClient, database: str, shop: Shop) -> None:
    _, email = _person(shop)
    elsewhere = Shop(database, slug=f"co-{uuid.uuid4().hex[:10]}")
    _, other_email = _person(elsewhere)
    tokens, admin = _sign_in(client, shop, email), _sign_in(client, shop, f"admin@{shop.slug}.example", "admin-pass-1")
    other = _sign_in(client, elsewhere, other_email)
    _sql(database, "UPDATE tenants SET is_active = false WHERE id = :t", t=shop.tenant_id)
    for ended in (tokens, admin):
        _refused(client.get(PROBE, headers=_bearer(ended)), sessions.ENDED_BECAUSE["company_deactivated"])
    assert _works(client, other)
    _sql(database, "UPDATE tenants SET is_active = true WHERE id = :t", t=shop.tenant_id)
    _refused(_refresh(client, tokens), sessions.ENDED_BECAUSE["company_deactivated"])


def test_requiring_a_second_factor_ends_sessions_opened_without_one(client: TestClient, shop: Shop) -> None:
    _, email = _person(shop)
    careful_id, careful = _person(shop)
    careful_actor = identity.load_actor(shop.engine, shop.tenant_id, careful_id)
    uri = identity.enroll_totp(UnitOfWork(shop.engine, careful_actor))
    secret = parse_qs(urlparse(uri).query)["secret"][0]
    identity.confirm_totp(UnitOfWork(shop.engine, careful_actor), pyotp.TOTP(secret).now())
    without = _sign_in(client, shop, email)
    with_code = _sign_in(client, shop, careful, totp=pyotp.TOTP(secret).at(time.time() + 30))
    update_company(_uow(shop), CompanyIn(name="Strict Repairs", require_totp=True))
    _refused(client.get(PROBE, headers=_bearer(without)), sessions.ENDED_BECAUSE["second_factor_required"])
    _refused(_refresh(client, without), sessions.ENDED_BECAUSE["second_factor_required"])
    assert _works(client, with_code) and _refresh(client, with_code).status_code == 200


# ---- passwords -----------------------------------------------------------------------------------------------


def test_changing_the_password_ends_the_other_sessions_and_keeps_this_one(
    client: TestClient, database: str, shop: Shop
) -> None:
    user_id, email = _person(shop)
    phone, laptop = _sign_in(client, shop, email), _sign_in(client, shop, email)
    reply = client.put(
        "/api/v1/me/password",
        headers=_bearer(laptop),
        json={"current_password": PASSWORD, "new_password": "a-new-pass-2"},
    )
    assert reply.status_code == 200 and reply.json() == {"ended": 1}, reply.text
    _refused(client.get(PROBE, headers=_bearer(phone)), sessions.ENDED_BECAUSE["password_changed"])
    _refused(_refresh(client, phone), sessions.ENDED_BECAUSE["password_changed"])
    assert _works(client, laptop) and _refresh(client, laptop).status_code == 200
    assert (
        client.post("/api/v1/auth/token", json={"tenant": shop.slug, "email": email, "password": PASSWORD}).status_code
        == 401
    )
    assert _works(client, _sign_in(client, shop, email, "a-new-pass-2"))
    assert (
        _sql(
            database, "SELECT count(*) FROM audit_log WHERE action = 'user.password' AND entity_id = :u", u=user_id
        ).scalar_one()
        == 1
    )


def test_a_password_changed_behind_the_apps_back_ends_every_session(
    client: TestClient, database: str, shop: Shop
) -> None:
    user_id, email = _person(shop)
    tokens = _sign_in(client, shop, email)
    _sql(
        database,
        "UPDATE users SET password_hash = :h WHERE id = :u",
        h=identity.hash_password("reset-in-psql"),
        u=user_id,
    )
    _refused(client.get(PROBE, headers=_bearer(tokens)), sessions.ENDED_BECAUSE["password_changed"])


def test_a_stolen_session_cannot_guess_the_password_for_long(client: TestClient, shop: Shop) -> None:
    _, email = _person(shop)
    stolen, owners = _sign_in(client, shop, email), _sign_in(client, shop, email)
    wrong = {"current_password": "guess-1234", "new_password": "thief-pass-1"}
    for _ in range(5):  # the company allows 5 failed sign-ins
        reply = client.put("/api/v1/me/password", headers=_bearer(stolen), json=wrong)
        assert reply.status_code == 422 and reply.json()["message"] == "The current password is not correct."
    _refused(client.get(PROBE, headers=_bearer(stolen)), sessions.ENDED_BECAUSE["password_guessing"])
    _refused(
        client.put("/api/v1/me/password", headers=_bearer(stolen), json=wrong),
        sessions.ENDED_BECAUSE["password_guessing"],
    )
    assert _works(client, owners) and _works(client, _sign_in(client, shop, email))  # the owner is not locked out


def test_an_administrator_resets_a_password_but_never_for_someone_with_more_rights(
    client: TestClient, shop: Shop
) -> None:
    user_id, email = _person(shop)
    tokens = _sign_in(client, shop, email)
    manager = shop.person("manager")
    assert isinstance(manager, Actor)
    assert identity.reset_password(_uow(shop, manager), user_id, "given-pass-9") == 1
    _refused(client.get(PROBE, headers=_bearer(tokens)), sessions.ENDED_BECAUSE["password_changed"])
    assert _works(client, _sign_in(client, shop, email, "given-pass-9"))
    with _uow(shop) as uow:
        admin: int = uow.session.execute(
            text("SELECT id FROM users WHERE email = :e"), {"e": f"admin@{shop.slug}.example"}
        ).scalar_one()
    with pytest.raises(PermissionDenied, match="permissions you do not hold"):
        identity.reset_password(_uow(shop, manager), admin, "taken-over-1")


def test_the_session_endpoints_are_in_the_openapi_document(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path, method in (
        ("/api/v1/auth/token", "post"),
        ("/api/v1/auth/refresh", "post"),
        ("/api/v1/auth/sign-out", "post"),
        ("/api/v1/auth/sign-out-everywhere", "post"),
        ("/api/v1/users/{user_id}/sign-out", "post"),
        ("/api/v1/me/password", "put"),
    ):
        operation = spec["paths"][path][method]
        assert operation["summary"] and operation["description"] and "401" in operation["responses"], path
    token = spec["components"]["schemas"]["TokenOut"]["properties"]
    assert {"access_token", "refresh_token", "expires_in"} <= set(token)
