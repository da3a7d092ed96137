"""Send a document to whom it is for: a customer's receipt, estimate, work order, release certificate, invoice,
refund note or warranty certificate to the customer, in their language; a purchase order to its supplier, in
the company's. The PDF goes by email through the outbox, so it is delivered (and retried) like every message
and kept exactly as it was sent."""

from __future__ import annotations

from ops_db.comms.delivery import Attachment
from ops_db.comms.service import queue_email
from ops_db.customers.models import CustomerPreference
from ops_db.documents.kinds import BUILDERS, Context
from ops_db.documents.model import Document
from ops_db.documents.render import MEDIA_TYPES, check_request, to_pdf
from ops_db.i18n import check_locale
from ops_db.kit.errors import PermissionDenied, ValidationError
from ops_db.kit.uow import UnitOfWork


def send_document(uow: UnitOfWork, kind: str, record_id: int, *, locale: str | None = None) -> int:
    """Email one document as a PDF to its customer (in the customer's language unless ``locale`` is given) or,
    for a purchase order, to the supplier; the address is the one on file, never typed in. Needs ``documents.send``
    (``inventory.purchase`` for a purchase order) besides the read permission of the document: reading is not
    sending (an auditor reads every document and sends none). Audited; returns the outbox message's id."""
    with uow:
        if uow.actor.is_customer or "public" in uow.actor.roles:
            raise PermissionDenied("Only staff send documents.")
        # Who orders the parts sends the purchase order; a customer's documents need documents.send.
        uow.actor.require("inventory.purchase" if kind == "purchase_order" else "documents.send")
        check_request(kind, record_id)
        # Built once, with the permission and visibility checks; again only when the recipient reads another
        # language than the company's and none was chosen.
        document = BUILDERS[kind](Context(uow, locale), record_id)
        recipient = document.recipient
        if recipient is None:
            raise ValidationError("{document} has nobody to send it to.", document=document.title)
        if not recipient.email:
            raise ValidationError("{name} has no email address; add one, or print the document.", name=recipient.name)
        language = document.locale if locale else _language_of(uow, recipient.customer_id, document.locale)
        if language != document.locale:
            document = BUILDERS[kind](Context(uow, language), record_id)
        message = queue_email(
            uow,
            "document_sent",
            recipient.email,
            language,
            {"document": document.title, "company": document.brand.name, "recipient_name": recipient.name},
            attachments=[Attachment(_filename(document), MEDIA_TYPES["pdf"], to_pdf(document))],
            customer_id=recipient.customer_id,
            order_id=recipient.order_id,
        )
        uow.audit(
            "document.sent",
            "notification_outbox",
            message.id,
            after={
                "kind": kind,
                "record_id": record_id,
                "number": document.number,
                "to": recipient.email,
                "locale": language,
            },
        )
        uow.commit()
        return message.id


def _language_of(uow: UnitOfWork, customer_id: int | None, company_language: str) -> str:
    """The customer's chosen language for messages, else the company's."""
    preference = uow.session.get(CustomerPreference, customer_id) if customer_id is not None else None
    chosen = preference.language if preference is not None else None
    return check_locale(chosen, default=company_language) if chosen else company_language


def _filename(document: Document) -> str:
    """``invoice-INV-2026-000123.pdf``: the kind and number, safe as a file name everywhere."""
    number = "".join(c if c.isalnum() or c in "-_" else "-" for c in document.number)
    return f"{document.kind.replace('_', '-')}-{number}.pdf"
