"""Outgoing webhooks: a company's integrations receive its order events, signed, at least once.

- **Enqueue** (:func:`enqueue_order_event`): every order event becomes one ``webhook_deliveries`` row per active
  endpoint, in the transaction that made the change, so an event is never lost and never sent for a change
  that was rolled back.
- **Deliver** (:func:`deliver_webhooks`): claim due rows with a lease (``SKIP LOCKED``), POST outside any
  transaction, then mark them sent, or failed with the outbox's backoff, or dead after the last attempt.
- **Sign**: ``X-RepairOps-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "t.body" with the endpoint's
  secret>`` (Stripe's scheme, so receivers can reuse their code); ``X-RepairOps-Event-Id`` lets a receiver
  drop a duplicate after a retry.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select, text

from ops_db.comms.delivery import LEASE, after_attempt, requeue
from ops_db.comms.models import WebhookDelivery, WebhookEndpoint
from ops_db.kit.errors import ValidationError
from ops_db.kit.uow import Actor, UnitOfWork

TIMEOUT_SECONDS = 10.0
BATCH = 200


def sign(secret: str, body: bytes, at: int | None = None) -> str:
    """The signature header value for ``body``."""
    stamp = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


def add_endpoint(uow: UnitOfWork, url: str) -> tuple[int, str]:
    """Register an integration's URL; returns its id and the signing secret (shown once: keep it)."""
    with uow:
        uow.actor.require("settings.manage")
        url = (url or "").strip()
        if not url.startswith(("https://", "http://")) or len(url) > 2000 or " " in url:
            raise ValidationError("The webhook URL must be an http(s) address of at most 2,000 characters.")
        secret = "whsec_" + secrets.token_urlsafe(32)
        endpoint = WebhookEndpoint(tenant_id=uow.actor.tenant_id, url=url, secret=secret)
        uow.session.add(endpoint)
        uow.flush()
        uow.audit("webhook.added", "webhook_endpoints", endpoint.id, after={"url": url})
        uow.commit()
        return endpoint.id, secret


def retry_webhooks(uow: UnitOfWork, delivery_ids: Sequence[int]) -> int:
    """POST given-up (or waiting) webhook deliveries again now, with a fresh run of attempts: after the
    receiving system is back, say. Needs ``settings.manage``; all or nothing; audited. Returns how many."""
    with uow:
        count = requeue(uow, "webhook_deliveries", list(delivery_ids))
        uow.commit()
        return count


def enqueue_order_event(uow: UnitOfWork, order_id: int, order_number: str, event: str, details: dict[str, Any]) -> None:
    """Queue one order event for every active endpoint (inside the caller's transaction)."""
    endpoints = uow.session.execute(select(WebhookEndpoint.id).where(WebhookEndpoint.is_active)).scalars().all()
    for endpoint_id in endpoints:
        event_id = f"evt_{uuid.uuid4().hex}"
        uow.session.add(
            WebhookDelivery(
                tenant_id=uow.actor.tenant_id,
                endpoint_id=endpoint_id,
                event_id=event_id,
                event=f"order.{event}",
                payload={
                    "id": event_id,
                    "type": f"order.{event}",
                    "created": uow.now().isoformat(),
                    "data": {"order_id": order_id, "order_number": order_number, **details},
                },
            )
        )


@dataclass
class WebhookReport:
    """What one delivery run did."""

    sent: int = 0
    failed: int = 0
    dead: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Claimed:
    id: int
    tenant_id: int
    url: str
    secret: str
    event_id: str
    payload: dict[str, Any]
    attempts: int


def _claim(engine: Engine, tenant_id: int, now: datetime | None) -> list[_Claimed]:
    with UnitOfWork(engine, Actor.system(tenant_id, "webhook delivery")) as uow:
        rows = uow.session.execute(
            text(
                """UPDATE webhook_deliveries d SET status = 'sending', attempts = attempts + 1,
                      not_before = coalesce(CAST(:now AS timestamptz), now()) + :lease
               FROM webhook_endpoints e
               WHERE e.id = d.endpoint_id AND d.id IN (
                   SELECT id FROM webhook_deliveries WHERE status IN ('pending', 'failed', 'sending')
                     AND not_before <= coalesce(CAST(:now AS timestamptz), now())
                   ORDER BY not_before, id LIMIT :n FOR UPDATE SKIP LOCKED)
               RETURNING d.id, d.tenant_id, e.url, e.secret, d.event_id, d.payload, d.attempts"""
            ),
            {"now": now, "lease": LEASE, "n": BATCH},
        ).all()
        uow.commit()
    return sorted(
        (
            _Claimed(
                int(r.id),
                int(r.tenant_id),
                str(r.url),
                str(r.secret),
                str(r.event_id),
                dict(r.payload),
                int(r.attempts),
            )
            for r in rows
        ),
        key=lambda c: c.id,
    )


def _post(item: _Claimed) -> str | None:
    """POST the event; None when the receiver answered 2xx, else why not."""
    body = json.dumps(item.payload, separators=(",", ":"), ensure_ascii=False).encode()
    request = urllib.request.Request(
        item.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "RepairOps-Webhooks/1",
            "X-RepairOps-Event-Id": item.event_id,
            "X-RepairOps-Signature": sign(item.secret, body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as reply:  # http(s) only: CHECK on url
            return None if 200 <= reply.status < 300 else f"HTTP {reply.status}"
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code}"
    except (urllib.error.URLError, OSError) as error:
        return f"{type(error).__name__}: {error}"


def _mark(engine: Engine, item: _Claimed, error: str | None, now: datetime) -> str:
    status, next_try = after_attempt(item.attempts, error, now)
    with UnitOfWork(engine, Actor.system(item.tenant_id, "webhook delivery")) as uow:
        uow.session.execute(
            text(
                "UPDATE webhook_deliveries SET status = :s, last_error = :e, "
                "delivered_at = CAST(:at AS timestamptz), not_before = coalesce(CAST(:next AS"
                " timestamptz), not_before) "
                "WHERE id = :id"
            ),
            {"s": status, "e": error, "at": now if status == "sent" else None, "next": next_try, "id": item.id},
        )
        uow.commit()
    return status


def webhooks_due(admin_engine: Engine) -> int:
    """Webhook deliveries due now, across companies (``admin_engine`` must bypass RLS)."""
    with admin_engine.connect() as conn:
        found = conn.execute(
            text(
                "SELECT count(*) FROM webhook_deliveries WHERE status IN "
                "('pending', 'failed', 'sending') AND not_before <= now()"
            )
        ).scalar()
    return int(found or 0)


def deliver_webhooks(engine: Engine, tenant_ids: Sequence[int], *, now: datetime | None = None) -> WebhookReport:
    """Send every due webhook of ``tenant_ids`` once; see the module notes."""
    report = WebhookReport()
    for tenant_id in tenant_ids:
        while True:
            claimed = _claim(engine, tenant_id, now)
            for item in claimed:
                error = _post(item)
                if error:
                    report.errors.append(f"{item.event_id} to {item.url}: {error}")
                status = _mark(engine, item, error, now or datetime.now(UTC))
                setattr(report, status, getattr(report, status) + 1)
            if len(claimed) < BATCH:
                break
    return report
