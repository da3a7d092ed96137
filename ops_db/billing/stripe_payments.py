"""Online card payments through Stripe: a Checkout session for an open invoice, the signed webhook that
records the payment, and refunds through the provider.

- **Pay now**: :func:`checkout_url` creates a Stripe Checkout session for what is still due on an invoice
  (amount in the invoice's currency, invoice and company in the metadata) and returns its URL.
- **Webhook**: :func:`handle_webhook` verifies the ``Stripe-Signature`` header (HMAC-SHA256 over
  ``timestamp.payload`` with the endpoint secret, five minutes' tolerance) and, for a paid
  ``checkout.session.completed``, records the payment with the payment intent as its idempotency key, so
  Stripe's retries and replays of the same event record it once.
- **Refund**: :func:`refund_online` asks Stripe to refund first (idempotency key passed on, so a retry after
  a crash refunds once) and records the refund with Stripe's id only when Stripe has accepted it.
- **Whose account**: a company can have its own Stripe account (:func:`configure_stripe`, keys encrypted at
  rest, staff only); :func:`stripe_for_company` picks it, or else the server-wide keys. Its webhook is
  ``/api/v1/webhooks/stripe/<company>``, which accepts only payments for that company's invoices.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import stripe
from cryptography.fernet import InvalidToken
from sqlalchemy import Engine, select

from ops_db.billing.models import Invoice, InvoiceStatus, Payment, PaymentProvider, Refund
from ops_db.billing.service import balance, check_refund, record_payment, refund
from ops_db.i18n import N_
from ops_db.identity.service import fernet
from ops_db.kit.errors import Conflict, PermissionDenied, ValidationError, not_found
from ops_db.kit.uow import Actor, UnitOfWork
from ops_db.settings import Settings

# Currencies Stripe counts in whole units (no cents).
ZERO_DECIMAL = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"}
)


class PaymentsUnavailable(Conflict):
    """Online payment is not set up on this server."""


@dataclass(frozen=True)
class StripeConfig:
    """The server's Stripe keys (and, for tests or a proxy, another API address)."""

    secret_key: str
    webhook_secret: str
    api_base: str | None = None

    def client(self) -> stripe.StripeClient:
        bases: Any = {"api": self.api_base} if self.api_base else None
        return stripe.StripeClient(self.secret_key, base_addresses=bases, max_network_retries=2)


def stripe_config(settings: Settings) -> StripeConfig | None:
    """The configured keys, or None when online payment is off."""
    if not settings.stripe_secret_key or not settings.stripe_webhook_secret:
        return None
    return StripeConfig(settings.stripe_secret_key, settings.stripe_webhook_secret, settings.stripe_api_base)


SECRET_KEY = re.compile(r"(sk|rk)_(test|live)_[A-Za-z0-9]{8,200}")
WEBHOOK_SECRET = re.compile(r"whsec_[A-Za-z0-9+/=]{8,200}")


@dataclass(frozen=True)
class StripeAccount:
    """What the Admin page shows of a company's own Stripe account: never the keys themselves."""

    key_hint: str
    is_active: bool
    updated_at: datetime


def configure_stripe(uow: UnitOfWork, secret_key: str, webhook_secret: str, *, is_active: bool = True) -> str:
    """Give the company its own Stripe account: its secret key (``sk_live_…``, ``sk_test_…`` or a restricted
    ``rk_…``) and the signing secret (``whsec_…``) of the webhook pointed at ``/api/v1/webhooks/stripe/<company>``.
    Both are kept encrypted; the audit records a hint of the key, never the key. Returns that hint."""
    with uow:
        uow.actor.require("settings.manage")
        key, signing = (secret_key or "").strip(), (webhook_secret or "").strip()
        if not SECRET_KEY.fullmatch(key):
            raise ValidationError("A Stripe secret key starts with sk_live_ or sk_test_ (rk_ for a restricted key).")
        if not WEBHOOK_SECRET.fullmatch(signing):
            raise ValidationError("A Stripe webhook signing secret starts with whsec_.")
        row = uow.session.execute(
            select(PaymentProvider).where(PaymentProvider.provider == "stripe").with_for_update()
        ).scalar_one_or_none()
        if row is None:
            row = PaymentProvider(tenant_id=uow.actor.tenant_id, provider="stripe")
            uow.session.add(row)
        cipher = fernet()
        row.secret_key_encrypted = cipher.encrypt(key.encode())
        row.webhook_secret_encrypted = cipher.encrypt(signing.encode())
        row.key_hint = f"{key[:8]}…{key[-4:]}"
        row.is_active = bool(is_active)
        uow.flush()
        uow.audit(
            "payments.configured",
            "payment_providers",
            row.id,
            after={"provider": "stripe", "key": row.key_hint, "is_active": row.is_active},
        )
        uow.commit()
        return row.key_hint


def stripe_account(uow: UnitOfWork) -> StripeAccount | None:
    """The company's own Stripe account as Admin shows it, or None when it uses the server's (or none)."""
    with uow:
        uow.actor.require("identity.read")
        row = uow.session.execute(
            select(PaymentProvider).where(PaymentProvider.provider == "stripe")
        ).scalar_one_or_none()
        return None if row is None else StripeAccount(row.key_hint, row.is_active, row.updated_at)


def stripe_config_for(
    engine: Engine, tenant_id: int, server: StripeConfig | None, *, api_base: str | None = None
) -> StripeConfig | None:
    """The keys that take a company's online payments: its own active account, else ``server`` (the server-wide
    keys, or None when online payment is off). Read as the system: customers paying may not see the keys."""
    with UnitOfWork(engine, Actor.system(tenant_id, "online payments")) as uow:
        row = uow.session.execute(
            select(PaymentProvider).where(PaymentProvider.provider == "stripe", PaymentProvider.is_active)
        ).scalar_one_or_none()
        if row is None:
            return server
        cipher = fernet()
        try:
            key = cipher.decrypt(row.secret_key_encrypted).decode()
            signing = cipher.decrypt(row.webhook_secret_encrypted).decode()
        except InvalidToken:
            raise PaymentsUnavailable(
                "The company's Stripe keys can no longer be read (the server's secret key "
                "changed); enter them again on Admin."
            ) from None
    return StripeConfig(key, signing, api_base or (server.api_base if server else None))


def stripe_for_company(engine: Engine, tenant_id: int, settings: Settings) -> StripeConfig | None:
    """:func:`stripe_config_for` with the server-wide keys of ``settings`` as the fallback."""
    return stripe_config_for(engine, tenant_id, stripe_config(settings), api_base=settings.stripe_api_base)


def minor_units(amount: Decimal, currency: str) -> int:
    """An amount as Stripe counts it (cents, or whole yen)."""
    exponent = Decimal(1) if currency.upper() in ZERO_DECIMAL else Decimal(100)
    return int((amount * exponent).quantize(Decimal(1), ROUND_HALF_UP))


def from_minor_units(value: int, currency: str) -> Decimal:
    """Stripe's integer amount back as money."""
    return Decimal(value) if currency.upper() in ZERO_DECIMAL else (Decimal(value) / 100).quantize(Decimal("0.01"))


def checkout_url(
    uow: UnitOfWork, config: StripeConfig | None, invoice_id: int, *, success_url: str, cancel_url: str
) -> str:
    """A Stripe Checkout page for what is still due on the invoice (the customer's own, or any for staff)."""
    if config is None:
        raise PaymentsUnavailable("Online payment is not set up; pay at the counter or by bank transfer.")
    with uow:
        actor = uow.actor
        actor.require("billing.pay_online")  # paying through the provider, not recording money as received
        invoice = uow.get(Invoice, invoice_id)
        if actor.is_customer and invoice.customer_id != actor.customer_id:
            raise not_found(Invoice, invoice_id)  # another customer's invoice reads like none
        if invoice.status not in (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID):
            raise Conflict(
                "Invoice {invoice} is {status}; there is nothing to pay.",
                invoice=invoice.invoice_number,
                status=invoice.status.value,
            )
        due = balance(uow, invoice)["due"]
        number, currency, tenant_id = invoice.invoice_number, invoice.currency, invoice.tenant_id
    metadata = {"tenant_id": str(tenant_id), "invoice_id": str(invoice_id), "invoice_number": number}
    try:
        session = config.client().v1.checkout.sessions.create(
            params={
                "mode": "payment",
                "success_url": success_url,
                "cancel_url": cancel_url,
                "client_reference_id": f"{tenant_id}:{invoice_id}",
                "metadata": metadata,
                "payment_intent_data": {"metadata": metadata},
                "line_items": [
                    {
                        "quantity": 1,
                        "price_data": {
                            "currency": currency.lower(),
                            "unit_amount": minor_units(due, currency),
                            "product_data": {"name": f"Invoice {number}"},
                        },
                    }
                ],
            },
            options={"idempotency_key": f"checkout-{tenant_id}-{invoice_id}-{minor_units(due, currency)}"},
        )
    except stripe.StripeError as error:
        why = error.user_message or N_("Stripe did not answer")
        raise PaymentsUnavailable(
            "The payment page could not be opened ({reason}); try again in a minute.", reason=why
        ) from error
    return str(session.url)


def handle_webhook(
    engine: Engine, config: StripeConfig | None, payload: bytes, signature: str | None, *, tenant_id: int | None = None
) -> str:
    """Verify and apply one Stripe event; returns what was done (for the log and the HTTP answer). With
    ``tenant_id`` (a company's own webhook) the payment must be for one of that company's invoices."""
    if config is None:
        raise PaymentsUnavailable("Online payment is not set up on this server.")
    try:
        event = stripe.Webhook.construct_event(payload, signature, config.webhook_secret)
    except stripe.SignatureVerificationError:
        raise PermissionDenied("The Stripe signature is missing, wrong or too old.") from None
    except ValueError:
        raise ValidationError("The webhook body is not a Stripe event.") from None
    if event.type != "checkout.session.completed":
        return f"ignored {event.type}"
    session = event.data.object.to_dict()
    if session.get("payment_status") != "paid":
        return "ignored an unpaid checkout"
    metadata = session.get("metadata") or {}
    try:
        paid_tenant, invoice_id = int(metadata["tenant_id"]), int(metadata["invoice_id"])
    except (KeyError, TypeError, ValueError, OverflowError):  # OverflowError: 1e400 is an infinite float
        raise ValidationError("The checkout session does not name a RepairOps invoice.") from None
    if tenant_id is not None and paid_tenant != tenant_id:
        raise PermissionDenied("That payment is for another company's invoice.")
    reference = str(session.get("payment_intent") or session.get("id"))
    minor = session.get("amount_total")
    if isinstance(minor, bool) or not isinstance(minor, int):  # Stripe counts in whole cents; 1e400 is no count
        raise ValidationError("The checkout session's amount is not a whole number of cents.")
    amount = from_minor_units(minor, str(session.get("currency") or "usd"))
    payment = record_payment(
        UnitOfWork(engine, Actor.system(paid_tenant, "stripe webhook")),
        invoice_id,
        amount,
        "online",
        f"stripe:{reference}",
        provider="stripe",
        provider_reference=reference,
    )
    return f"payment {payment.id} recorded"


def refund_online(
    uow: UnitOfWork, config: StripeConfig | None, payment_id: int, amount: Any, reason: str, idempotency_key: str
) -> Refund:
    """Refund a card payment through Stripe, then record it. Every check of a refund runs before Stripe is asked
    (so Stripe never returns money the books would refuse), and the idempotency key goes to Stripe too (so a
    retry after a crash between the two refunds once)."""
    if config is None:
        raise PaymentsUnavailable("Online payment is not set up; refund it by another method.")
    with uow:
        asked = check_refund(uow, payment_id, amount, reason, idempotency_key)
        payment = asked.payment
        if payment.provider != "stripe" or not payment.provider_reference:
            raise Conflict("That payment was not made through Stripe; refund it at the counter.")
        if asked.already is not None:
            return asked.already
        invoice = uow.session.get(Invoice, payment.invoice_id)
        currency = invoice.currency if invoice else "USD"
        reference, value = payment.provider_reference, asked.amount
    try:
        answer = config.client().v1.refunds.create(
            params={
                "payment_intent": reference,
                "amount": minor_units(value, currency),
                "reason": "requested_by_customer",
                "metadata": {"repairops_reason": asked.reason[:500]},
            },
            options={"idempotency_key": asked.key},
        )
    except stripe.StripeError as error:
        raise Conflict("Stripe refused the refund: {reason}.", reason=error.user_message or str(error)) from error
    return refund(uow, payment_id, value, asked.reason, asked.key, provider_reference=str(answer.id))


def refund_payment(
    uow: UnitOfWork,
    stripe_for: Callable[[], StripeConfig | None],
    payment_id: int,
    amount: Any,
    reason: str,
    idempotency_key: str,
) -> Refund:
    """Give money back the way it came: a payment made through Stripe is refunded through Stripe
    (:func:`refund_online`, with the keys ``stripe_for`` gives: only then are they looked up and decrypted),
    any other is recorded as refunded at the counter."""
    with uow:
        uow.actor.require("billing.refund")
        payment = uow.session.get(Payment, payment_id)
        online = payment is not None and payment.provider == "stripe"
    if online:
        return refund_online(uow, stripe_for(), payment_id, amount, reason, idempotency_key)
    return refund(uow, payment_id, amount, reason, idempotency_key)
