"""The permission catalogue: every permission (``area.action``) a service or a read may check, with its words.

It sits in kit beside :class:`ops_db.kit.uow.Actor`, which checks them, as the error types do: every area names its
permissions from here, and kit imports no area. Who holds which permission (the roles, the matrix of actions) is
``ops_db.identity.permissions``, which re-exports these names.
"""

from __future__ import annotations

PERMISSIONS: dict[str, str] = {
    "customers.read": "See customers, their sites, contacts and devices",
    "customers.write": "Create and edit customers, sites, contacts and devices",
    "requests.submit": "Submit a repair request",
    "requests.read": "See incoming repair requests",
    "requests.convert": "Record requests taken by phone, turn requests into service orders or reject them, and "
    "link a portal request to the customer it belongs to",
    "orders.read": "See service orders",
    "orders.create": "Register devices and open service orders",
    "orders.transition": "Move orders between stages",
    "orders.edit_lines": "Add and remove services, labour, parts, goods and discounts",
    "orders.estimate": "Prepare and send estimates",
    "orders.approve": "Approve or decline an estimate (the customer, for their own order)",
    "orders.approve_for_customer": "Record a customer's approval or refusal of an estimate given by phone or at "
    "the counter",
    "orders.note": "Add notes, attachments and sign-offs",
    "orders.rate": "Rate a finished order (the customer)",
    "workforce.read": "See technicians, shifts and bookings",
    "workforce.manage": "Manage technicians, skills, shifts and time off",
    "workforce.book": "Book and unbook technicians",
    "workforce.respond": "Accept or decline an assignment (the technician)",
    "workforce.clock": "Clock in and out, record time (the technician)",
    "workforce.commissions": "See and compute commissions",
    "inventory.read": "See stock and reservations",
    "inventory.reserve": "Reserve and release parts for orders",
    "inventory.consume": "Record parts used",
    "inventory.transfer": "Move stock between locations",
    "inventory.purchase": "Create and send purchase orders",
    "inventory.receive": "Receive deliveries",
    "inventory.adjust": "Correct stock counts",
    "billing.read": "See invoices, payments and receivables",
    "billing.invoice": "Create and issue invoices",
    "billing.pay": "Record payments received (cash, card terminal, bank transfer)",
    "billing.pay_online": "Pay an invoice online by card through the payment provider's page",
    "billing.refund": "Refund payments and issue credit notes",
    "billing.write_off": "Write off unpaid invoices",
    "warranty.read": "See warranties and claims",
    "warranty.manage": "Register warranties and decide claims",
    "warranty.claim": "File warranty claims",
    "sla.read": "See SLA clocks",
    "sla.manage": "Manage SLA policies and evaluate clocks",
    "maintenance.read": "See maintenance plans",
    "maintenance.manage": "Create maintenance plans and generate due orders",
    "comms.read": "See messages and notifications",
    "comms.send": "Write messages in order threads",
    "comms.templates": "Edit notification templates",
    "documents.send": "Email a customer's documents (receipts, estimates, invoices) to them",
    "plans.read": "See optimizer plans",
    "plans.propose": "Run the optimizer",
    "plans.accept": "Accept optimizer proposals",
    "settings.manage": "Change company settings: name, branding, security and tax rates",
    "identity.read": "See users and roles",
    "identity.manage_users": "Create users and grant roles",
    "identity.manage_roles": "Change what roles may do",
    "audit.read": "Read the audit trail",
    "audit.verify": "Verify the audit hash chain",
}

# What an anonymous visitor of the public portal may do: submit a request, and, holding an order's tracking
# code, approve or decline its estimate (tracking itself needs the number and the code, no permission).
PUBLIC_PERMISSIONS = frozenset({"requests.submit", "orders.approve"})
