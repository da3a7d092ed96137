"""Issue 17 §6: wrong passwords get the same answer after the same work for unknown and known accounts, and
failures are throttled per account and per address in the database, so a stranger slows down guessing without
locking the owner out (real Postgres, an injected clock; work is counted in argon2 verifications, not seconds)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import pytest
from argon2 import PasswordHasher
from sqlalchemy import text

from ops_db.identity import passwords
from ops_db.identity.service import (
    FIRST_DELAY,
    LONGEST_DELAY,
    AuthenticationFailed,
    SignInThrottled,
    authenticate,
    create_user,
    unlock_user,
)
from ops_db.kit.errors import Conflict
from ops_db.kit.uow import Actor, UnitOfWork
from tests.conftest import Shop

OWNER_ADDRESS, ATTACKER, ELSEWHERE = "198.51.100.7", "203.0.113.66", "192.0.2.200"
START = datetime(2031, 5, 4, 9, 0, tzinfo=UTC)  # the injected clock: far from the database's, on purpose


@dataclass
class Clock:
    """A clock the test moves by hand."""

    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


class CountingHasher(PasswordHasher):
    """argon2 as the service uses it, counting verifications (the work a timing attacker would measure)."""

    verifications = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        CountingHasher.verifications += 1
        return super().verify(hash, password)


@pytest.fixture
def hasher(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[CountingHasher]]:
    CountingHasher.verifications = 0
    monkeypatch.setattr(passwords, "_hasher", CountingHasher())
    yield CountingHasher


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _person(shop: Shop, email: str = "ana@acme.example", password: str = "right-pass-1") -> int:
    user = create_user(
        UnitOfWork(shop.engine, Actor.system(shop.tenant_id)), email, "Ana Lima", password, ["front_desk"]
    )
    return user.id


def _attempt(shop: Shop, clock: Clock, email: str, password: str, address: str | None) -> Any:
    """The outcome of one sign-in: "ok", or the refusal's class and sentence."""
    try:
        authenticate(shop.engine, shop.tenant_id, email, password, ip_address=address, clock=clock)
    except AuthenticationFailed as refusal:
        return type(refusal).__name__, str(refusal)
    return "ok"


def _scalar(shop: Shop, sql: str, **params: object) -> Any:
    """One value read as the company's system (row-level security applies to the app's connections)."""
    with UnitOfWork(shop.engine, Actor.system(shop.tenant_id)) as uow:
        return uow.session.execute(text(sql), params).scalar_one()


def _max_failed(shop: Shop) -> int:
    return int(_scalar(shop, "SELECT max_failed_logins FROM tenants WHERE id = :t", t=shop.tenant_id))


def test_unknown_and_known_accounts_get_the_same_answer_after_the_same_work(
    shop: Shop, hasher: type[CountingHasher], clock: Clock
) -> None:
    _person(shop)
    answers, work = [], []
    for email in ("ana@acme.example", "nobody@acme.example", "ANA@acme.example "):
        before = hasher.verifications
        answers.append(_attempt(shop, clock, email, "wrong-pass-1", ATTACKER))
        work.append(hasher.verifications - before)
    assert answers == [("AuthenticationFailed", "The email, password or code is not correct.")] * 3
    assert work == [1, 1, 1]  # one argon2 verification each, account or not


def test_a_switched_off_account_answers_like_an_unknown_one(
    shop: Shop, hasher: type[CountingHasher], clock: Clock
) -> None:
    user_id = _person(shop)
    with UnitOfWork(shop.engine, Actor.system(shop.tenant_id)) as uow:
        uow.session.execute(text("UPDATE users SET is_active = false WHERE id = :u"), {"u": user_id})
        uow.commit()
    assert _attempt(shop, clock, "ana@acme.example", "right-pass-1", ATTACKER) == (
        "AuthenticationFailed",
        "The email, password or code is not correct.",
    )
    assert hasher.verifications == 1


def test_guessing_is_throttled_the_same_for_unknown_and_known_accounts(
    shop: Shop, hasher: type[CountingHasher], clock: Clock
) -> None:
    _person(shop)
    free = _max_failed(shop)
    with UnitOfWork(shop.engine, Actor.system(shop.tenant_id)) as uow:  # the sentence tells the company's time
        uow.session.execute(text("UPDATE tenants SET time_zone = 'Asia/Tokyo' WHERE id = :t"), {"t": shop.tenant_id})
        uow.commit()
    for email in ("ana@acme.example", "nobody@acme.example"):
        answers = [_attempt(shop, clock, email, f"guess-{i}-pass", ATTACKER) for i in range(free + 1)]
        assert [a[0] for a in answers] == ["AuthenticationFailed"] * free + ["SignInThrottled"]
        assert answers[-1][1] == "Too many failed sign-ins; try again after 18:00:30."  # 09:00:30 UTC
    # A throttled attempt checks no password at all: the guesser learns nothing, not even from timing.
    assert hasher.verifications == 2 * free


def test_the_delay_doubles_with_each_further_failure_up_to_a_ceiling(shop: Shop, clock: Clock) -> None:
    free = _max_failed(shop)
    delays = []
    for attempt in range(free + 8):
        answer = _attempt(shop, clock, "nobody@acme.example", "guess-pass-1", ATTACKER)
        if attempt >= free - 1:
            until = _scalar(
                shop,
                "SELECT max(blocked_until) FROM sign_in_throttles WHERE email = 'nobody@acme.example' AND address = :a",
                a=ATTACKER,
            )
            delays.append(until - clock.now)
            clock.advance(until - clock.now + timedelta(seconds=1))  # wait the block out, then try again
        assert answer != "ok"
    assert delays[:5] == [FIRST_DELAY * 2**k for k in range(5)]  # 30 s, 1, 2, 4, 8 min
    assert delays[5:] == [LONGEST_DELAY] * (len(delays) - 5)  # then 15 min, however patient the guesser


def test_a_stranger_cannot_lock_the_owner_out_from_elsewhere(shop: Shop, clock: Clock) -> None:
    _person(shop)
    assert _attempt(shop, clock, "ana@acme.example", "right-pass-1", OWNER_ADDRESS) == "ok"  # the owner's address
    clock.advance(timedelta(hours=2))
    # A stranger hammers the account from one address, then from another, until both are refused.
    for address in (ATTACKER, ELSEWHERE):
        for _ in range(3 * _max_failed(shop)):
            _attempt(shop, clock, "ana@acme.example", "guess-pass-1", address)
    assert _attempt(shop, clock, "ana@acme.example", "right-pass-1", ATTACKER)[0] == "SignInThrottled"
    assert _attempt(shop, clock, "ana@acme.example", "right-pass-1", "192.0.2.201")[0] == "SignInThrottled"
    # The owner, from the address they always use, signs in at once: what strangers did elsewhere does not count.
    assert _attempt(shop, clock, "ana@acme.example", "right-pass-1", OWNER_ADDRESS) == "ok"


def test_the_owner_s_own_typos_are_forgiven_by_the_right_password(shop: Shop, clock: Clock) -> None:
    _person(shop)
    free = _max_failed(shop)
    for _ in range(free - 1):
        _attempt(shop, clock, "ana@acme.example", "typo-pass-1", OWNER_ADDRESS)
    assert _attempt(shop, clock, "ana@acme.example", "right-pass-1", OWNER_ADDRESS) == "ok"
    for _ in range(free - 1):  # the person's counter at this address starts again
        assert _attempt(shop, clock, "ana@acme.example", "typo-pass-1", OWNER_ADDRESS)[0] == "AuthenticationFailed"


def test_counters_hold_across_processes_and_a_block_ends_on_time(shop: Shop, clock: Clock) -> None:
    from sqlalchemy import create_engine

    _person(shop)
    free = _max_failed(shop)
    for _ in range(free):
        _attempt(shop, clock, "ana@acme.example", "guess-pass-1", ATTACKER)
    # Another process: its own engine and connections, the same database counters.
    other = create_engine(shop.engine.url, poolclass=None)
    with pytest.raises(SignInThrottled):
        authenticate(other, shop.tenant_id, "ana@acme.example", "right-pass-1", ip_address=ATTACKER, clock=clock)
    clock.advance(FIRST_DELAY + timedelta(seconds=1))
    assert (
        authenticate(
            other, shop.tenant_id, "ana@acme.example", "right-pass-1", ip_address=ATTACKER, clock=clock
        ).actor.user_id
        is not None
    )
    other.dispose()


def test_an_administrator_lifts_the_throttle_of_an_account(shop: Shop, clock: Clock) -> None:
    user_id = _person(shop)
    admin = UnitOfWork(shop.engine, Actor.system(shop.tenant_id))
    with pytest.raises(Conflict, match="is not locked; they can sign in"):
        unlock_user(admin, user_id)
    for address in (ATTACKER, ELSEWHERE):  # enough guesses from enough places to hold the account back
        for _ in range(_max_failed(shop)):
            _attempt(shop, clock, "ana@acme.example", "guess-pass-1", address)
    assert _attempt(shop, clock, "ana@acme.example", "right-pass-1", "192.0.2.201")[0] == "SignInThrottled"
    unlock_user(UnitOfWork(shop.engine, Actor.system(shop.tenant_id)), user_id)
    assert _attempt(shop, clock, "ana@acme.example", "right-pass-1", "192.0.2.201") == "ok"
    assert _attempt(shop, clock, "ana@acme.example", "right-pass-1", ATTACKER) == "ok"  # every address
    assert _scalar(shop, "SELECT count(*) FROM audit_log WHERE action = 'user.unlock'") == 1


def test_parallel_guesses_queue_on_the_counter_so_none_slips_past(
    shop: Shop, hasher: type[CountingHasher], clock: Clock
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    free = _max_failed(shop)
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(
            pool.map(
                lambda i: _attempt(shop, clock, "nobody@acme.example", f"guess-{i}-pass", ATTACKER), range(3 * free)
            )
        )
    assert sum(1 for a in answers if a[0] == "AuthenticationFailed") == free
    assert hasher.verifications == free  # every later guess was refused before any password was checked


def test_an_address_that_stands_for_everyone_slows_down_no_one_else(shop: Shop, clock: Clock) -> None:
    _person(shop)
    # Callers that cannot tell the address (or a local proxy nobody declared trusted) share one: a stranger's
    # failures there, spread over many accounts, must not hold back everyone else's sign-in.
    for address in (None, "127.0.0.1"):
        for i in range(8 * _max_failed(shop)):
            _attempt(shop, clock, f"stranger{i}@acme.example", "guess-pass-1", address)
        assert _attempt(shop, clock, "ana@acme.example", "right-pass-1", address) == "ok"


def test_an_email_or_browser_holding_nul_is_just_a_wrong_sign_in(shop: Shop, clock: Clock) -> None:
    _person(shop)
    with pytest.raises(AuthenticationFailed, match=r"^The email, password or code is not correct\.$"):
        authenticate(
            shop.engine,
            shop.tenant_id,
            "ana\x00@acme.example",
            "right-pass-1",
            ip_address=ATTACKER,
            user_agent="bot\x00",
            clock=clock,
        )
