"""The permission catalogue (``area.action``) and what each built-in role may do.

The catalogue lives in code so services and the database agree; a migration and
``sync_role_permissions`` copy it into the ``permissions`` and ``role_permissions`` tables.
"""

from __future__ import annotations

from ops_db.identity.models import RoleCode

PERMISSIONS: dict[str, str] = {
    "customers.read": "See customers, their sites, contacts and devices",
    "customers.write": "Create and edit customers, sites, contacts and devices",
    "requests.submit": "Submit a repair request",
    "requests.read": "See incoming repair requests",
    "requests.convert": "Turn a request into a service order, or reject it",
    "orders.read": "See service orders",
    "orders.create": "Register devices and open service orders",
    "orders.transition": "Move orders between stages",
    "orders.edit_lines": "Add and remove services, labour, parts, goods and discounts",
    "orders.estimate": "Prepare and send estimates",
    "orders.approve": "Approve or decline an estimate (the customer)",
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
    "billing.pay": "Record payments",
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

_READ = frozenset(p for p in PERMISSIONS if p.endswith(".read"))
_ALL = frozenset(PERMISSIONS)

ROLE_PERMISSIONS: dict[RoleCode, frozenset[str]] = {
    RoleCode.ADMIN: _ALL,
    RoleCode.MANAGER: _ALL - {"identity.manage_roles"},
    RoleCode.DISPATCHER: frozenset({
        "customers.read", "requests.read", "requests.convert", "orders.read", "orders.transition", "orders.note",
        "workforce.read", "workforce.book", "workforce.manage", "plans.read", "plans.propose", "plans.accept",
        "sla.read", "inventory.read", "inventory.reserve", "comms.read", "comms.send", "maintenance.read",
        "warranty.read",
    }),
    RoleCode.FRONT_DESK: frozenset({
        "customers.read", "customers.write", "requests.submit", "requests.read", "requests.convert", "orders.read",
        "orders.create", "orders.transition", "orders.edit_lines", "orders.estimate", "orders.note",
        "billing.read", "billing.invoice", "billing.pay", "warranty.read", "warranty.claim", "inventory.read",
        "inventory.reserve", "comms.read", "comms.send", "workforce.read", "workforce.book", "sla.read",
    }),
    RoleCode.TECHNICIAN: frozenset({
        "customers.read", "orders.read", "orders.transition", "orders.edit_lines", "orders.estimate",
        "orders.note", "workforce.read", "workforce.respond", "workforce.clock", "inventory.read",
        "inventory.reserve", "inventory.consume", "warranty.read", "comms.read", "comms.send",
    }),
    RoleCode.INVENTORY: frozenset({
        "orders.read", "inventory.read", "inventory.reserve", "inventory.consume", "inventory.transfer",
        "inventory.purchase", "inventory.receive", "inventory.adjust",
    }),
    RoleCode.FINANCE: frozenset({
        "customers.read", "orders.read", "billing.read", "billing.invoice", "billing.pay", "billing.refund",
        "billing.write_off", "warranty.read", "warranty.manage", "workforce.read", "workforce.commissions",
        "audit.read", "inventory.read",
    }),
    RoleCode.CUSTOMER: frozenset({
        "requests.submit", "orders.read", "orders.approve", "orders.rate", "billing.read", "billing.pay",
        "warranty.read", "comms.read", "comms.send", "customers.read",
    }),
    RoleCode.AUDITOR: _READ | {"audit.verify"},
}

# What an anonymous visitor of the public portal may do (submit a request, track an order by code).
PUBLIC_PERMISSIONS = frozenset({"requests.submit"})
