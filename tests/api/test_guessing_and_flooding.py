"""Issue 17 §6 through the API: X-Forwarded-For counts only from trusted proxies, sign-in is rate limited per
address and per account, and wrong passwords get one answer for unknown and known accounts while a stranger is
throttled and the owner, from their own address, still signs in (TestClient with set client addresses; one
test against the real server that ``repairops api`` starts)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.ratelimit import SignInLimits, TokenBucket
from tests.conftest import Shop, free_port

TRACK = ("/api/v1/track/RO-1", {"code": "x", "tenant": "acme"})
ADMIN = {"tenant": "acme", "email": "admin@acme.example", "password": "admin-pass-1"}
NOT_CORRECT = "The email, password or code is not correct."


def _client(app: FastAPI, address: str) -> TestClient:
    return TestClient(app, client=(address, 40000))


def _track_codes(client: TestClient, forwarded: list[str]) -> list[int]:
    return [client.get(TRACK[0], params=TRACK[1], headers={"X-Forwarded-For": f}).status_code for f in forwarded]


def _rotating(n: int) -> list[str]:
    return [f"10.{i // 250}.{i % 250}.1" for i in range(n)]


def test_without_trusted_proxies_rotating_x_forwarded_for_changes_nothing(shop: Shop) -> None:
    app = create_app(shop.url, public_burst=3, public_per_second=0.001)
    with _client(app, "203.0.113.5") as client:
        assert _track_codes(client, _rotating(6)) == [404, 404, 404, 429, 429, 429]


def test_behind_a_trusted_proxy_the_rightmost_untrusted_address_is_the_client(shop: Shop) -> None:
    app = create_app(shop.url, public_burst=3, public_per_second=0.001)
    app.state.trusted_proxies = "127.0.0.1, 10.0.0.0/8"
    with _client(app, "127.0.0.1") as proxy:
        # The client writes what it likes on the left; the proxies append the real address on the right.
        spoofed = [f"{f}, 198.51.100.9, 10.0.0.2" for f in _rotating(5)]
        assert _track_codes(proxy, spoofed) == [404, 404, 404, 429, 429]
        # Other real clients behind the same proxy have buckets of their own.
        assert _track_codes(proxy, ["198.51.100.10", "198.51.100.11, 10.9.9.9"]) == [404, 404]
    with _client(app, "203.0.113.5") as direct:  # not a proxy: its X-Forwarded-For is the client's own story
        assert _track_codes(direct, _rotating(4)) == [404, 404, 404, 429]


def test_a_bad_trusted_proxies_setting_is_one_sentence(shop: Shop) -> None:
    app = create_app(shop.url)
    app.state.trusted_proxies = "127.0.0.1, not-an-address"
    with _client(app, "127.0.0.1") as client:
        reply = client.get(TRACK[0], params=TRACK[1])
    assert reply.status_code == 422
    assert reply.json()["message"] == (
        "REPAIROPS_TRUSTED_PROXIES holds not-an-address, which is not an address or a network."
    )


def _sign_in(client: TestClient, **body: Any) -> httpx.Response:
    reply: httpx.Response = client.post("/api/v1/auth/token", json={**ADMIN, **body})
    return reply


def test_wrong_passwords_answer_the_same_and_a_stranger_is_throttled_while_the_owner_signs_in(shop: Shop) -> None:
    app = create_app(shop.url, public_burst=1000, public_per_second=1000)
    with _client(app, "198.51.100.7") as owner, _client(app, "203.0.113.66") as stranger:
        assert _sign_in(owner).status_code == 200  # the owner's usual address
        unknown = _sign_in(stranger, email="nobody@acme.example", password="wrong-pass-1")
        known = _sign_in(stranger, password="wrong-pass-1")
        assert (
            (unknown.status_code, unknown.json())
            == (known.status_code, known.json())
            == (401, {"error": "authentication_failed", "message": NOT_CORRECT})
        )
        replies = [_sign_in(stranger, password=f"guess-{i}-pass") for i in range(10)]
        refused = [r for r in replies if r.status_code == 429]
        assert refused, [r.status_code for r in replies]
        assert refused[0].json()["error"] == "rate_limited"
        assert refused[0].json()["message"].startswith("Too many failed sign-ins; try again after ")
        assert _sign_in(stranger).status_code == 429  # even the right password, from the stranger's address
        assert _sign_in(owner).status_code == 200  # the owner is not locked out


def test_sign_in_is_rate_limited_per_address_before_any_password_is_checked(shop: Shop) -> None:
    app = create_app(shop.url, public_burst=1000, public_per_second=1000)
    app.state.sign_in_limits = SignInLimits(TokenBucket(4, 0.001), TokenBucket(1000, 1000))
    with _client(app, "203.0.113.8") as flooder, _client(app, "198.51.100.8") as other:
        codes = [_sign_in(flooder, email=f"user{i}@acme.example").status_code for i in range(6)]
        assert codes == [401, 401, 401, 401, 429, 429]
        assert _sign_in(flooder).json()["message"] == "Too many sign-in attempts; wait a minute and try again."
        assert _sign_in(other).status_code == 200


def test_sign_in_is_rate_limited_per_account_from_one_address(shop: Shop) -> None:
    app = create_app(shop.url, public_burst=1000, public_per_second=1000)
    app.state.sign_in_limits = SignInLimits(TokenBucket(1000, 1000), TokenBucket(2, 0.001))
    with _client(app, "203.0.113.9") as client:
        codes = [_sign_in(client, email="Nobody@acme.example ", password="x-pass-123").status_code for _ in range(3)]
        assert codes == [401, 401, 429]
        assert _sign_in(client).status_code == 200  # another account from the same address


@pytest.fixture
def served_api(shop: Shop) -> Iterator[str]:
    """``repairops api`` on a free loopback port over the shop's database, as an operator starts it."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": shop.url}
    env.pop("REPAIROPS_TRUSTED_PROXIES", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "repairops.cli", "api", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/health", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        else:
            pytest.fail("repairops api did not answer /health within 90 s")
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


@pytest.mark.slow
def test_the_served_api_does_not_believe_x_forwarded_for_from_loopback(served_api: str) -> None:
    # The review's probe: 60 calls from loopback, each with a new X-Forwarded-For, got no 429 (uvicorn trusted
    # loopback's header by default). The default burst is 30.
    with httpx.Client(base_url=served_api) as client:
        codes = [
            client.get(TRACK[0], params=TRACK[1], headers={"X-Forwarded-For": f}).status_code for f in _rotating(60)
        ]
    assert codes.count(429) >= 25 and set(codes) <= {404, 429}


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "client"),
    [
        ("203.0.113.5", ["1.1.1.1"], "", "203.0.113.5"),  # no proxies configured: the header is ignored
        ("203.0.113.5", ["1.1.1.1"], "127.0.0.1", "203.0.113.5"),  # the peer is no proxy of ours
        ("127.0.0.1", ["1.1.1.1, 198.51.100.9"], "127.0.0.1", "198.51.100.9"),
        ("127.0.0.1", ["1.1.1.1", "198.51.100.9, 10.1.2.3"], "127.0.0.0/8, 10.0.0.0/8", "198.51.100.9"),  # 2 headers
        ("::1", ["2001:db8::7, ::1"], "::1", "2001:db8::7"),
        ("127.0.0.1", ["10.0.0.4, 10.0.0.3"], "127.0.0.1, 10.0.0.0/8", "10.0.0.4"),  # all ours: where it began
        ("127.0.0.1", [], "127.0.0.1", "127.0.0.1"),  # a proxy that forwards nothing: the proxy itself
        (None, ["1.1.1.1"], "127.0.0.1", None),
    ],
)
def test_the_client_address_believes_only_trusted_proxies(
    peer: str | None, forwarded: list[str], trusted: str, client: str | None
) -> None:
    from ops_db.kit.addresses import client_address, trusted_networks

    assert client_address(peer, forwarded, trusted_networks(trusted)) == client
