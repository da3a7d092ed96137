"""A small in-process token bucket per client address for the public endpoints."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from fastapi import Request

from ops_db.kit.errors import RepairOpsError


class RateLimited(RepairOpsError):
    """Too many requests from one address."""

    code = "rate_limited"


@dataclass
class TokenBucket:
    """``burst`` requests at once, refilled at ``per_second``; one bucket per client address."""

    burst: int = 20
    per_second: float = 1.0
    _state: dict[str, tuple[float, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, key: str) -> bool:
        """Spend one token for ``key``; False when the bucket is empty."""
        now = time.monotonic()
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


def limit_public(request: Request) -> None:
    """Refuse a public call when its client has used up its burst."""
    bucket = request.app.state.public_bucket
    assert isinstance(bucket, TokenBucket)
    client = request.client.host if request.client else "unknown"
    if not bucket.take(client):
        raise RateLimited("Too many requests; wait a moment and try again.")
