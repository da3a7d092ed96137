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
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import stripe
from sqlalchemy import Engine

from ops_db.billing.models import Invoice, InvoiceStatus, Payment
from ops_db.billing.service import balance, record_payment, refund
from ops_db.i18n import N_
from ops_db.kit.errors import Conflict, NotFound, PermissionDenied, ValidationError
from ops_db.kit.uow import Actor, UnitOfWork
from ops_db.settings import Settings

# Currencies Stripe counts in whole units (no cents).
ZERO_DECIMAL = frozenset({"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND",
                          "VUV", "XAF", "XOF", "XPF"})


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


def minor_units(amount: Decimal, currency: str) -> int:
    """An amount as Stripe counts it (cents, or whole yen)."""
    exponent = Decimal(1) if currency.upper() in ZERO_DECIMAL else Decimal(100)
    return int((amount * exponent).quantize(Decimal(1), ROUND_HALF_UP))


def from_minor_units(value: int, currency: str) -> Decimal:
    """Stripe's integer amount back as money."""
    return Decimal(value) if currency.upper() in ZERO_DECIMAL else (Decimal(value) / 100).quantize(Decimal("0.01"))


def checkout_url(uow: UnitOfWork, config: StripeConfig | None, invoice_id: int, *, success_url: str,
                 cancel_url: str) -> str:
    """A Stripe Checkout page for what is still due on the invoice (the customer's own, or any for staff)."""
    if config is None:
        raise PaymentsUnavailable("Online payment is not set up; pay at the counter or by bank transfer.")
    with uow:
        actor = uow.actor
        actor.require("billing.pay")
        invoice = uow.session.get(Invoice, invoice_id)
        if invoice is None or (actor.is_customer and invoice.customer_id != actor.customer_id):
            raise NotFound("Invoice {invoice} does not exist.", invoice=invoice_id)
        if invoice.status not in (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID):
            raise Conflict("Invoice {invoice} is {status}; there is nothing to pay.", invoice=invoice.invoice_number,
                           status=invoice.status.value)
        due = balance(uow, invoice)["due"]
        number, currency, tenant_id = invoice.invoice_number, invoice.currency, invoice.tenant_id
    metadata = {"tenant_id": str(tenant_id), "invoice_id": str(invoice_id), "invoice_number": number}
    try:
        session = config.client().v1.checkout.sessions.create(params={
            "mode": "payment", "success_url": success_url, "cancel_url": cancel_url,
            "client_reference_id": f"{tenant_id}:{invoice_id}", "metadata": metadata,
            "payment_intent_data": {"metadata": metadata},
            "line_items": [{"quantity": 1, "price_data": {
                "currency": currency.lower(), "unit_amount": minor_units(due, currency),
                "product_data": {"name": f"Invoice {number}"}}}],
        }, options={"idempotency_key": f"checkout-{tenant_id}-{invoice_id}-{minor_units(due, currency)}"})
    except stripe.StripeError as error:
        why = error.user_message or N_("Stripe did not answer")
        raise PaymentsUnavailable("The payment page could not be opened ({reason}); try again in a minute.",
                                  reason=why) from error
    return str(session.url)


def handle_webhook(engine: Engine, config: StripeConfig | None, payload: bytes, signature: str | None) -> str:
    """Verify and apply one Stripe event; returns what was done (for the log and the HTTP answer)."""
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
        tenant_id, invoice_id = int(metadata["tenant_id"]), int(metadata["invoice_id"])
    except (KeyError, TypeError, ValueError):
        raise ValidationError("The checkout session does not name a RepairOps invoice.") from None
    reference = str(session.get("payment_intent") or session.get("id"))
    amount = from_minor_units(int(session.get("amount_total") or 0), str(session.get("currency") or "usd"))
    payment = record_payment(UnitOfWork(engine, Actor.system(tenant_id, "stripe webhook")), invoice_id, amount,
                             "online", f"stripe:{reference}", provider="stripe", provider_reference=reference)
    return f"payment {payment.id} recorded"


def refund_online(uow: UnitOfWork, config: StripeConfig | None, payment_id: int, amount: Any, reason: str,
                  idempotency_key: str) -> int:
    """Refund a card payment through Stripe, then record it; returns the refund's id."""
    if config is None:
        raise PaymentsUnavailable("Online payment is not set up; refund it by another method.")
    with uow:
        uow.actor.require("billing.refund")
        payment = uow.session.get(Payment, payment_id)
        if payment is None:
            raise NotFound("Payment {payment} does not exist.", payment=payment_id)
        if payment.provider != "stripe" or not payment.provider_reference:
            raise Conflict("That payment was not made through Stripe; refund it at the counter.")
        invoice = uow.session.get(Invoice, payment.invoice_id)
        currency = invoice.currency if invoice else "USD"
        reference = payment.provider_reference
    try:
        value = Decimal(str(amount).strip().replace(",", "."))
    except ArithmeticError:
        raise ValidationError("The refund amount must be a number.") from None
    if not value.is_finite() or value <= 0:
        raise ValidationError("The refund amount must be more than zero.")
    try:
        answer = config.client().v1.refunds.create(params={
            "payment_intent": reference, "amount": minor_units(value, currency), "reason": "requested_by_customer",
            "metadata": {"repairops_reason": reason[:500]}}, options={"idempotency_key": idempotency_key})
    except stripe.StripeError as error:
        raise Conflict("Stripe refused the refund: {reason}.", reason=error.user_message or str(error)) from error
    made = refund(uow, payment_id, value, reason, idempotency_key, provider_reference=str(answer.id))
    return made.id
