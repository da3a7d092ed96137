"""Rate limits of the public endpoints and of sign-in, per client address, and who the client is.

The client's address is the peer of the connection unless that peer is a configured trusted proxy
(``REPAIROPS_TRUSTED_PROXIES``; see ``ops_db.kit.addresses``), so rotating ``X-Forwarded-For`` changes nothing.
The buckets here are in-process and protect this process's CPU (argon2 is expensive); the sign-in throttle that
holds across processes is in the database (``ops_db.identity.service.authenticate``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import Request

from ops_db.kit import addresses
from ops_db.kit.addresses import trusted_networks
from ops_db.kit.errors import RepairOpsError
from ops_db.settings import get_settings


class RateLimited(RepairOpsError):
    """Too many requests from one address."""

    code = "rate_limited"


@dataclass
class TokenBucket:
    """``burst`` requests at once, refilled at ``per_second``; one bucket per key (a client address)."""

    burst: int = 20
    per_second: float = 1.0
    clock: Callable[[], float] = time.monotonic
    _state: dict[str, tuple[float, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, key: str) -> bool:
        """Spend one token for ``key``; False when the bucket is empty."""
        now = self.clock()
        with self._lock:
            tokens, last = self._state.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.per_second)
            if tokens < 1:
                self._state[key] = (tokens, now)
                return False
            self._state[key] = (tokens - 1, now)
            if len(self._state) > 100_000:  # forget idle clients rather than grow without bound
                self._state.clear()
            return True


@dataclass
class SignInLimits:
    """Sign-in attempts per client address, and per account from one address (so a flood aimed at an account
    from elsewhere never empties its owner's bucket)."""

    per_address: TokenBucket
    per_account: TokenBucket

    @classmethod
    def within(cls, public: TokenBucket) -> SignInLimits:
        """Sign-in's share of the public budget: half the burst per address at a fifth of the pace, and a few
        tries a minute for one account from one address."""
        return cls(
            TokenBucket(max(5, public.burst // 2), public.per_second / 5, public.clock),
            TokenBucket(max(3, public.burst // 6), public.per_second / 10, public.clock),
        )


_setup = threading.Lock()


def sign_in_limits(request: Request) -> SignInLimits:
    """The app's sign-in buckets (``app.state.sign_in_limits``), made from its public bucket on first use."""
    state = request.app.state
    with _setup:
        limits = getattr(state, "sign_in_limits", None)
        if limits is None:
            public = state.public_bucket
            assert isinstance(public, TokenBucket)
            limits = state.sign_in_limits = SignInLimits.within(public)
    assert isinstance(limits, SignInLimits)
    return limits


def client_address(request: Request) -> str:
    """The client's address: the connection's peer, or behind trusted proxies (``REPAIROPS_TRUSTED_PROXIES``, or
    ``app.state.trusted_proxies`` in tests) the rightmost ``X-Forwarded-For`` address none of them vouches for."""
    raw = getattr(request.app.state, "trusted_proxies", None)
    networks = trusted_networks(raw if isinstance(raw, str) else get_settings().trusted_proxies)
    peer = request.client.host if request.client else None
    return addresses.client_address(peer, request.headers.getlist("x-forwarded-for"), networks) or "unknown"


def limit_public(request: Request) -> None:
    """Refuse a public call when its client has used up its burst."""
    bucket = request.app.state.public_bucket
    assert isinstance(bucket, TokenBucket)
    if not bucket.take(client_address(request)):
        raise RateLimited("Too many requests; wait a moment and try again.")


def limit_sign_in(request: Request, tenant: str, email: str) -> None:
    """Refuse a sign-in when its address, or this account from this address, has used up its sign-in burst."""
    limits, address = sign_in_limits(request), client_address(request)
    account = f"{(tenant or '').strip().lower()[:64]} {(email or '').strip().lower()[:254]} {address}"
    if not limits.per_address.take(address) or not limits.per_account.take(account):
        raise RateLimited("Too many sign-in attempts; wait a minute and try again.")
