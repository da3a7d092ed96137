"""The permission matrix, generated from its one declaration (``ops_db.identity.permissions.ACTIONS``) and tried
for real: every service and every page read, as every built-in role and as the anonymous portal, against a
real Postgres. An action the matrix refuses must be refused (before it touches anything); one it allows must get
past every permission check (it may still find nothing: the ids below point at nothing on purpose).

A scan of the source keeps the declaration complete: a new service or read that nobody declared fails here.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import textwrap
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

import dashboards.data
import ops_db
from dashboards.data import dispatch
from ops_db import imports, migrate
from ops_db.analytics import queries as analytics
from ops_db.analytics.warehouse import WarehouseMissing
from ops_db.assets import queries as asset_queries
from ops_db.audit import queries as audit_queries
from ops_db.audit import service as audit
from ops_db.billing import queries as billing_queries
from ops_db.billing import service as billing_service
from ops_db.billing import stripe_payments as stripe
from ops_db.comms import queries as comms_queries
from ops_db.comms import service as comms
from ops_db.comms import webhooks
from ops_db.customers import queries as customer_queries
from ops_db.customers import service as customers
from ops_db.customers.schemas import CustomerIn
from ops_db.documents import pdf, receipts, render, send
from ops_db.identity import queries as identity_queries
from ops_db.identity import service as identity
from ops_db.identity import sessions, tenants
from ops_db.identity.models import RoleCode
from ops_db.identity.permissions import (
    ACTIONS,
    DOCUMENT_READ,
    OPEN,
    OWN_ACCOUNT,
    OWN_INBOX,
    PUBLIC,
    allowed,
    matrix,
    permissions_of_role,
)
from ops_db.inventory import queries as inventory_queries
from ops_db.inventory import service as stock
from ops_db.inventory import van
from ops_db.inventory.schemas import PurchaseLineIn
from ops_db.kit.errors import RepairOpsError
from ops_db.kit.uow import Actor, UnitOfWork
from ops_db.maintenance import service as maintenance
from ops_db.orders import lines as order_lines
from ops_db.orders import queries as order_queries
from ops_db.orders import records as order_records
from ops_db.orders import service as order_service
from ops_db.sla import queries as sla_queries
from ops_db.sla import service as sla
from ops_db.tracking import service as tracking
from ops_db.warranty import queries as warranty_queries
from ops_db.warranty import service as warranty
from ops_db.workforce import planning
from ops_db.workforce import queries as workforce_queries
from ops_db.workforce import service as workforce
from ops_db.workforce.schemas import TechnicianIn
from tests.conftest import Shop, _temporary_database

ROLES = (PUBLIC, *(role.value for role in RoleCode))
NOTHING = 987_654_321  # an id no row has: allowed calls get past their checks and find nothing
DAY = date(2026, 11, 2)
AT = datetime(2026, 11, 2, 9, tzinfo=UTC)
PERIOD = analytics.Period(date(2026, 1, 1), date(2026, 11, 1))
STRIPE = stripe.StripeConfig("sk_test_matrix00", "whsec_matrix00", api_base="http://127.0.0.1:9")
# The sentences with which the matrix turns someone away: a permission they lack, or not being who the action is
# for (not signed in, not staff, not office staff). Any other answer came after the checks (a sentence about the
# record: not found, not theirs, not a technician's own booking).
REFUSALS = frozenset(
    {
        "You are not allowed to {action} {area}.",
        "The analytics figures are for office staff.",
        "Only staff send documents.",
        "Only a signed-in person can set up a second factor.",
        "Only a signed-in person has a language of their own.",
        "Only a signed-in person has a password to change.",
        "Only a signed-in person can sign out.",
        "Only signed-in staff have notification choices and an inbox.",
    }
)


@dataclass(frozen=True)
class World:
    """A company on a migrated database, with one person per built-in role and the anonymous portal."""

    engine: Engine
    actors: dict[str, Actor]
    warehouse: Path  # never built: an allowed warehouse read answers "not built yet"

    def uow(self, actor: Actor) -> UnitOfWork:
        return UnitOfWork(self.engine, actor)


@pytest.fixture(scope="module")
def world(server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    for url in _temporary_database(server_url):
        migrate.upgrade(url)
        shop = Shop(url)
        system = Actor.system(shop.tenant_id)
        customer = customers.create_customer(
            UnitOfWork(shop.engine, system), CustomerIn(name="Matrix Customer", email="matrix@example.com")
        )
        tech = workforce.create_technician(
            UnitOfWork(shop.engine, system), TechnicianIn(name="Matrix Tech", hourly_cost=Decimal("30"))
        )
        actors: dict[str, Actor] = {PUBLIC: Actor.public(shop.tenant_id)}
        for role in RoleCode:
            person = shop.person(
                role.value,
                customer_id=customer.id if role == RoleCode.CUSTOMER else None,
                technician_id=tech.id if role == RoleCode.TECHNICIAN else None,
            )
            assert isinstance(person, Actor)
            # Signed in through a session of their own (as the web app and the API sign people in).
            actors[role.value] = replace(person, session_id=str(uuid.uuid4()))
        yield World(shop.engine, actors, tmp_path_factory.mktemp("matrix") / "warehouse.duckdb")


Call = Callable[[World, Actor], object]


def _csv(header: str) -> bytes:
    return f"{header}\n".encode()


# How to call each declared action: shapes that are valid, ids that point at nothing, and (for changes) input
# that fails right after the permission check, so an allowed call writes nothing.
SERVICES: dict[str, Call] = {
    "ops_db.audit.service:verify_chain": lambda w, a: audit.verify_chain(w.uow(a)),
    "ops_db.billing.service:create_invoice": lambda w, a: billing_service.create_invoice(w.uow(a), NOTHING),
    "ops_db.billing.service:record_payment": lambda w, a: billing_service.record_payment(
        w.uow(a), NOTHING, "10.00", "cash", "matrix-key"
    ),
    "ops_db.billing.service:refund": lambda w, a: billing_service.refund(w.uow(a), NOTHING, "1.00", "why", "k"),
    "ops_db.billing.service:issue_credit_note": lambda w, a: billing_service.issue_credit_note(
        w.uow(a), NOTHING, "1.00", "why"
    ),
    "ops_db.billing.service:write_off": lambda w, a: billing_service.write_off(w.uow(a), NOTHING, "why"),
    "ops_db.billing.service:void_invoice": lambda w, a: billing_service.void_invoice(w.uow(a), NOTHING, "why"),
    "ops_db.billing.service:get_invoice": lambda w, a: billing_service.get_invoice(w.uow(a), NOTHING),
    "ops_db.billing.service:list_invoices": lambda w, a: billing_service.list_invoices(w.uow(a)),
    "ops_db.billing.service:receivables": lambda w, a: billing_service.receivables(w.uow(a), DAY),
    "ops_db.billing.service:save_tax_rate": lambda w, a: billing_service.save_tax_rate(w.uow(a), "", "x", "1"),
    "ops_db.billing.stripe_payments:configure_stripe": lambda w, a: stripe.configure_stripe(w.uow(a), "no", "no"),
    "ops_db.billing.stripe_payments:stripe_account": lambda w, a: stripe.stripe_account(w.uow(a)),
    "ops_db.billing.stripe_payments:checkout_url": lambda w, a: stripe.checkout_url(
        w.uow(a), STRIPE, NOTHING, success_url="https://shop.example/ok", cancel_url="https://shop.example/"
    ),
    "ops_db.billing.stripe_payments:refund_online": lambda w, a: stripe.refund_online(
        w.uow(a), STRIPE, NOTHING, "1.00", "why", "k"
    ),
    "ops_db.billing.stripe_payments:refund_payment": lambda w, a: stripe.refund_payment(
        w.uow(a), lambda: STRIPE, NOTHING, "1.00", "why", "k"
    ),
    "ops_db.comms.outbox:retry_messages": lambda w, a: comms.retry_messages(w.uow(a), [NOTHING]),
    "ops_db.comms.inbox:inbox": lambda w, a: comms.inbox(w.uow(a)),
    "ops_db.comms.inbox:unread_count": lambda w, a: comms.unread_count(w.uow(a)),
    "ops_db.comms.inbox:mark_read": lambda w, a: comms.mark_read(w.uow(a), [NOTHING]),
    "ops_db.comms.inbox:email_choices": lambda w, a: comms.email_choices(w.uow(a)),
    "ops_db.comms.inbox:set_email_choices": lambda w, a: comms.set_email_choices(w.uow(a), ["no_such"], None),
    "ops_db.comms.threads:post_message": lambda w, a: comms.post_message(w.uow(a), NOTHING, "Hello"),
    "ops_db.comms.threads:list_messages": lambda w, a: comms.list_messages(w.uow(a), NOTHING),
    "ops_db.comms.templates:save_template": lambda w, a: comms.save_template(
        w.uow(a), "no_such", "email", "en", None, "x"
    ),
    "ops_db.comms.channels:configure_channel": lambda w, a: comms.configure_channel(w.uow(a), "pigeon", "x"),
    "ops_db.comms.webhooks:add_endpoint": lambda w, a: webhooks.add_endpoint(w.uow(a), "ftp://nowhere"),
    "ops_db.comms.webhooks:retry_webhooks": lambda w, a: webhooks.retry_webhooks(w.uow(a), [NOTHING]),
    "ops_db.customers.service:create_customer": lambda w, a: customers.create_customer(w.uow(a), CustomerIn(name="")),
    "ops_db.customers.service:get_customer": lambda w, a: customers.get_customer(w.uow(a), NOTHING),
    "ops_db.customers.service:list_customers": lambda w, a: customers.list_customers(w.uow(a)),
    "ops_db.customers.service:preferences": lambda w, a: customers.preferences(w.uow(a), NOTHING),
    "ops_db.customers.service:set_preferences": lambda w, a: customers.set_preferences(
        w.uow(a), NOTHING, channel="pigeon", language="en"
    ),
    "ops_db.documents.pdf:tenant_brand": lambda w, a: pdf.tenant_brand(w.uow(a)),
    "ops_db.documents.receipts:intake_receipt": lambda w, a: receipts.intake_receipt(w.uow(a), NOTHING),
    "ops_db.identity.totp:enroll_totp": lambda w, a: (
        identity.has_second_factor(w.uow(a)) or identity.enroll_totp(w.uow(a))
    ),
    "ops_db.identity.totp:has_second_factor": lambda w, a: identity.has_second_factor(w.uow(a)),
    "ops_db.identity.totp:confirm_totp": lambda w, a: identity.confirm_totp(w.uow(a), "not a code"),
    "ops_db.identity.users:set_language": lambda w, a: identity.set_language(w.uow(a), ""),
    "ops_db.identity.passwords:change_password": lambda w, a: identity.change_password(w.uow(a), "wrong", "x"),
    "ops_db.identity.passwords:reset_password": lambda w, a: identity.reset_password(w.uow(a), NOTHING, "x"),
    "ops_db.identity.sessions:sign_out": lambda w, a: sessions.sign_out(w.uow(a)),
    "ops_db.identity.sessions:sign_out_everywhere": lambda w, a: sessions.sign_out_everywhere(w.uow(a), NOTHING),
    "ops_db.identity.users:create_user": lambda w, a: identity.create_user(
        w.uow(a), "not-an-email", "X", "p", ["auditor"]
    ),
    "ops_db.identity.users:grant_roles": lambda w, a: identity.grant_roles(w.uow(a), NOTHING, ["auditor"]),
    "ops_db.identity.users:unlock_user": lambda w, a: identity.unlock_user(w.uow(a), NOTHING),
    "ops_db.identity.tenants:update_company": lambda w, a: tenants.update_company(w.uow(a), tenants.CompanyIn("")),
    "ops_db.imports:import_csv#customers": lambda w, a: imports.import_csv(
        w.uow(a), "customers", _csv("name"), dry_run=True
    ),
    "ops_db.imports:import_csv#devices": lambda w, a: imports.import_csv(
        w.uow(a), "devices", _csv("manufacturer,model"), dry_run=True
    ),
    "ops_db.imports:import_csv#parts": lambda w, a: imports.import_csv(
        w.uow(a), "parts", _csv("sku,name"), dry_run=True
    ),
    "ops_db.inventory.service:reserve": lambda w, a: stock.reserve(w.uow(a), NOTHING, NOTHING, 1),
    "ops_db.inventory.service:consume": lambda w, a: stock.consume(w.uow(a), NOTHING),
    "ops_db.inventory.service:use_on_order": lambda w, a: stock.use_on_order(w.uow(a), NOTHING),
    "ops_db.inventory.van:van_stock": lambda w, a: van.van_stock(w.uow(a)),
    "ops_db.inventory.van:use_from_van": lambda w, a: van.use_from_van(w.uow(a), NOTHING, NOTHING, 1),
    "ops_db.inventory.service:release": lambda w, a: stock.release(w.uow(a), NOTHING),
    "ops_db.inventory.service:reservations": lambda w, a: stock.reservations(w.uow(a), NOTHING),
    "ops_db.inventory.service:transfer": lambda w, a: stock.transfer(w.uow(a), NOTHING, NOTHING, [(NOTHING, 1)]),
    "ops_db.inventory.service:adjust": lambda w, a: stock.adjust(w.uow(a), NOTHING, NOTHING, 1, "count"),
    "ops_db.inventory.service:create_purchase_order": lambda w, a: stock.create_purchase_order(
        w.uow(a), NOTHING, NOTHING, [PurchaseLineIn(NOTHING, 1)]
    ),
    "ops_db.inventory.service:send_purchase_order": lambda w, a: stock.send_purchase_order(w.uow(a), NOTHING),
    "ops_db.inventory.service:receive": lambda w, a: stock.receive(w.uow(a), NOTHING, [(NOTHING, 1)]),
    "ops_db.inventory.service:reorder_suggestions": lambda w, a: stock.reorder_suggestions(w.uow(a)),
    "ops_db.inventory.service:stock": lambda w, a: stock.stock(w.uow(a)),
    "ops_db.inventory.service:create_part": lambda w, a: stock.create_part(w.uow(a), "", ""),
    "ops_db.maintenance.service:create_plan": lambda w, a: maintenance.create_plan(
        w.uow(a), NOTHING, "x", "y", 30, DAY
    ),
    "ops_db.maintenance.service:generate_due_orders": lambda w, a: maintenance.generate_due_orders(w.uow(a), DAY),
    "ops_db.orders.intake:submit_request": lambda w, a: order_service.submit_request(
        w.uow(a), order_service.RequestIn(contact_name="", item_type="phone", problem_description="broken")
    ),
    "ops_db.orders.intake:record_request": lambda w, a: order_service.record_request(
        w.uow(a), order_service.RequestIn(contact_name="", item_type="phone", problem_description="broken")
    ),
    "ops_db.orders.intake:convert_request": lambda w, a: order_service.convert_request(w.uow(a), NOTHING),
    "ops_db.orders.intake:link_request": lambda w, a: order_service.link_request(w.uow(a), NOTHING, NOTHING),
    "ops_db.orders.intake:register_intake": lambda w, a: order_service.register_intake(
        w.uow(a), order_service.IntakeIn(customer=None, problem_description="")
    ),
    "ops_db.orders.lifecycle:transition": lambda w, a: order_service.transition(w.uow(a), NOTHING, "repair"),
    "ops_db.orders.lifecycle:set_priority": lambda w, a: order_service.set_priority(w.uow(a), NOTHING, "high"),
    "ops_db.orders.lifecycle:bulk_transition": lambda w, a: order_service.bulk_transition(
        w.uow(a), [NOTHING], "repair"
    ),
    "ops_db.orders.lifecycle:bulk_set_priority": lambda w, a: order_service.bulk_set_priority(
        w.uow(a), [NOTHING], "high"
    ),
    "ops_db.orders.estimates:send_estimate": lambda w, a: order_service.send_estimate(w.uow(a), NOTHING),
    "ops_db.orders.estimates:decide_estimate": lambda w, a: order_service.decide_estimate(
        w.uow(a), NOTHING, True, tracking_code=None if a.user_id is not None else "some code"
    ),
    "ops_db.orders.lines:add_line": lambda w, a: order_service.add_line(
        w.uow(a), NOTHING, order_service.LineIn(kind="labour")
    ),
    "ops_db.orders.lines:remove_line": lambda w, a: order_service.remove_line(w.uow(a), NOTHING, NOTHING),
    "ops_db.orders.lines:change_line": lambda w, a: order_lines.change_line(w.uow(a), NOTHING, NOTHING),
    "ops_db.orders.lines:apply_loyalty_discount": lambda w, a: order_service.apply_loyalty_discount(w.uow(a), NOTHING),
    "ops_db.orders.notes:add_note": lambda w, a: order_service.add_note(w.uow(a), NOTHING, "note"),
    "ops_db.orders.files:add_attachment": lambda w, a: order_service.add_attachment(
        w.uow(a), NOTHING, order_service.FileIn("a.png", "image/png", b"png")
    ),
    "ops_db.orders.notes:sign_off": lambda w, a: order_service.sign_off(w.uow(a), NOTHING, "intake", "Name"),
    "ops_db.orders.notes:rate_order": lambda w, a: order_service.rate_order(w.uow(a), NOTHING, 5),
    "ops_db.orders.queries:get_order": lambda w, a: order_service.get_order(w.uow(a), NOTHING),
    "ops_db.orders.queries:list_orders": lambda w, a: order_service.list_orders(w.uow(a)),
    "ops_db.tracking.service:track": lambda w, a: tracking.track(w.uow(a), "RO-NONE", "no code"),
    "ops_db.sla.service:evaluate_clocks": lambda w, a: sla.evaluate_clocks(w.uow(a), AT),
    "ops_db.sla.service:update_policy": lambda w, a: sla.update_policy(
        w.uow(a), NOTHING, response_minutes=60, resolution_minutes=120, at_risk_pct=80
    ),
    "ops_db.warranty.service:lookup": lambda w, a: warranty.lookup(w.uow(a), "SN-NONE"),
    "ops_db.warranty.service:file_claim": lambda w, a: warranty.file_claim(w.uow(a), NOTHING, NOTHING, "1", "why"),
    "ops_db.warranty.service:decide_claim": lambda w, a: warranty.decide_claim(w.uow(a), NOTHING, True),
    "ops_db.warranty.service:remind_expiring": lambda w, a: warranty.remind_expiring(w.uow(a), 0),
    "ops_db.workforce.planning:snapshot": lambda w, a: planning.snapshot(w.uow(a), DAY, now=AT),
    "ops_db.workforce.planning:save_proposed_plan": lambda w, a: planning.save_proposed_plan(
        w.uow(a), DAY, [{"order_id": NOTHING}], kpis={}, solver="matrix", time_limit=1, seed=0
    ),
    "ops_db.workforce.planning:plan_diff": lambda w, a: planning.plan_diff(w.uow(a), NOTHING),
    "ops_db.workforce.planning:accept_plan": lambda w, a: planning.accept_plan(w.uow(a), NOTHING),
    "ops_db.workforce.planning:move_plan_item": lambda w, a: planning.move_plan_item(
        w.uow(a), NOTHING, NOTHING, NOTHING, AT, AT + timedelta(hours=1)
    ),
    "ops_db.workforce.planning:move_booking": lambda w, a: planning.move_booking(
        w.uow(a), NOTHING, NOTHING, AT, AT + timedelta(hours=1)
    ),
    "ops_db.workforce.planning:technician_off_sick": lambda w, a: planning.technician_off_sick(w.uow(a), NOTHING, AT),
    "ops_db.workforce.planning:job_running_late": lambda w, a: planning.job_running_late(w.uow(a), NOTHING, AT),
    "ops_db.workforce.planning:current_plan_summary": lambda w, a: planning.current_plan_summary(w.uow(a), DAY),
    "ops_db.workforce.roster:create_technician": lambda w, a: workforce.create_technician(
        w.uow(a), TechnicianIn(name="", hourly_cost=Decimal("30"))
    ),
    "ops_db.workforce.roster:set_skill": lambda w, a: workforce.set_skill(w.uow(a), NOTHING, "none", 1),
    "ops_db.workforce.roster:add_shift": lambda w, a: workforce.add_shift(w.uow(a), NOTHING, AT, AT),
    "ops_db.workforce.roster:add_time_off": lambda w, a: workforce.add_time_off(w.uow(a), NOTHING, AT, AT, "x"),
    "ops_db.workforce.bookings:book": lambda w, a: workforce.book(w.uow(a), NOTHING, NOTHING, AT, AT),
    "ops_db.workforce.bookings:unbook": lambda w, a: workforce.unbook(w.uow(a), NOTHING),
    "ops_db.workforce.visits:respond": lambda w, a: workforce.respond(w.uow(a), NOTHING, True),
    "ops_db.workforce.visits:start_travel": lambda w, a: workforce.start_travel(w.uow(a), NOTHING),
    "ops_db.workforce.visits:check_in": lambda w, a: workforce.check_in(w.uow(a), NOTHING),
    "ops_db.workforce.visits:check_out": lambda w, a: workforce.check_out(w.uow(a), NOTHING),
    "ops_db.workforce.visits:complete_visit": lambda w, a: workforce.complete_visit(w.uow(a), NOTHING, "Name"),
    "ops_db.workforce.visits:clock": lambda w, a: workforce.clock(w.uow(a), False),
    "ops_db.workforce.commissions:commission": lambda w, a: workforce.commission(w.uow(a), NOTHING, DAY, DAY),
    "ops_db.workforce.roster:list_technicians": lambda w, a: workforce.list_technicians(w.uow(a)),
    "ops_db.workforce.bookings:list_bookings": lambda w, a: workforce.list_bookings(w.uow(a)),
}


def _documents(kind: str) -> dict[str, Call]:
    return {
        f"ops_db.documents.render:build#{kind}": lambda w, a: render.build(w.uow(a), kind, NOTHING),
        f"ops_db.documents.render:render#{kind}": lambda w, a: render.render(w.uow(a), kind, NOTHING),
        f"ops_db.documents.send:send_document#{kind}": lambda w, a: send.send_document(w.uow(a), kind, NOTHING),
    }


for _kind in DOCUMENT_READ:
    SERVICES.update(_documents(_kind))

ZONE = ZoneInfo("UTC")

READS: dict[str, Call] = {
    "ops_db.identity.queries:users": lambda w, a: identity_queries.users(w.uow(a)),
    "ops_db.identity.queries:roles": lambda w, a: identity_queries.roles(w.uow(a)),
    "ops_db.identity.queries:role_grants": lambda w, a: identity_queries.role_grants(w.uow(a)),
    "ops_db.identity.queries:branding": lambda w, a: identity_queries.branding(w.uow(a)),
    "ops_db.identity.queries:company_look": lambda w, a: identity_queries.company_look(w.uow(a)),
    "ops_db.identity.queries:tenant_zone": lambda w, a: identity_queries.tenant_zone(w.uow(a)),
    "ops_db.identity.queries:tenant_currency": lambda w, a: identity_queries.tenant_currency(w.uow(a)),
    "ops_db.identity.queries:data_version": lambda w, a: identity_queries.data_version(w.uow(a)),
    "ops_db.sla.queries:sla_policies": lambda w, a: sla_queries.sla_policies(w.uow(a)),
    "ops_db.billing.queries:tax_rates": lambda w, a: billing_queries.tax_rates(w.uow(a)),
    "ops_db.billing.queries:invoices": lambda w, a: billing_queries.invoices(w.uow(a), ZONE),
    "ops_db.billing.queries:invoice": lambda w, a: billing_queries.invoice(w.uow(a), ZONE, NOTHING),
    "ops_db.billing.queries:payable_invoices": lambda w, a: billing_queries.payable_invoices(w.uow(a)),
    "ops_db.billing.queries:uninvoiced_orders": lambda w, a: billing_queries.uninvoiced_orders(w.uow(a)),
    "ops_db.billing.queries:refundable_payments": lambda w, a: billing_queries.refundable_payments(w.uow(a), ZONE),
    "ops_db.billing.queries:drawer_payments": lambda w, a: billing_queries.drawer_payments(w.uow(a), ZONE, DAY),
    "ops_db.billing.queries:drawer_refunds": lambda w, a: billing_queries.drawer_refunds(w.uow(a), ZONE, DAY),
    "ops_db.comms.queries:notification_templates": lambda w, a: comms_queries.notification_templates(w.uow(a)),
    "ops_db.comms.queries:channels": lambda w, a: comms_queries.channels(w.uow(a)),
    "ops_db.comms.queries:webhook_endpoints": lambda w, a: comms_queries.webhook_endpoints(w.uow(a)),
    "ops_db.comms.queries:undelivered_messages": lambda w, a: comms_queries.undelivered_messages(w.uow(a)),
    "ops_db.comms.queries:undelivered_webhooks": lambda w, a: comms_queries.undelivered_webhooks(w.uow(a)),
    "ops_db.workforce.queries:technicians": lambda w, a: workforce_queries.technicians(w.uow(a)),
    "ops_db.workforce.queries:active_technicians": lambda w, a: workforce_queries.active_technicians(w.uow(a)),
    "ops_db.workforce.queries:skills": lambda w, a: workforce_queries.skills(w.uow(a)),
    "ops_db.workforce.queries:skill_levels": lambda w, a: workforce_queries.skill_levels(w.uow(a)),
    "ops_db.workforce.queries:skill_level": lambda w, a: workforce_queries.skill_level(w.uow(a), NOTHING, "none"),
    "ops_db.workforce.queries:active_bookings": lambda w, a: workforce_queries.active_bookings(w.uow(a), DAY),
    "ops_db.workforce.queries:my_jobs": lambda w, a: workforce_queries.my_jobs(w.uow(a), DAY),
    "ops_db.workforce.queries:clocked_in_since": lambda w, a: workforce_queries.clocked_in_since(w.uow(a)),
    "ops_db.workforce.queries:waiting_queue": lambda w, a: workforce_queries.waiting_queue(w.uow(a)),
    "ops_db.workforce.queries:map_points": lambda w, a: workforce_queries.map_points(w.uow(a)),
    "ops_db.workforce.queries:latest_plan": lambda w, a: workforce_queries.latest_plan(w.uow(a), DAY),
    "ops_db.workforce.queries:plan_warehouses": lambda w, a: workforce_queries.plan_warehouses(w.uow(a)),
    "ops_db.audit.queries:audit_choices": lambda w, a: audit_queries.audit_choices(w.uow(a)),
    "ops_db.audit.queries:audit_log": lambda w, a: audit_queries.audit_log(w.uow(a)),
    "ops_db.inventory.queries:locations": lambda w, a: inventory_queries.locations(w.uow(a)),
    "ops_db.inventory.queries:parts": lambda w, a: inventory_queries.parts(w.uow(a)),
    "ops_db.inventory.queries:priced_parts": lambda w, a: inventory_queries.priced_parts(w.uow(a)),
    "ops_db.inventory.queries:stock_locations": lambda w, a: inventory_queries.stock_locations(w.uow(a)),
    "ops_db.inventory.queries:suppliers": lambda w, a: inventory_queries.suppliers(w.uow(a)),
    "ops_db.inventory.queries:stock": lambda w, a: inventory_queries.stock(w.uow(a)),
    "ops_db.inventory.queries:active_reservations": lambda w, a: inventory_queries.active_reservations(w.uow(a)),
    "ops_db.inventory.queries:purchase_orders": lambda w, a: inventory_queries.purchase_orders(w.uow(a)),
    "ops_db.inventory.queries:purchase_order_lines": lambda w, a: inventory_queries.purchase_order_lines(
        w.uow(a), NOTHING
    ),
    "ops_db.inventory.queries:parts_to_bring": lambda w, a: inventory_queries.parts_to_bring(w.uow(a), [NOTHING]),
    "ops_db.customers.queries:my_devices": lambda w, a: customer_queries.my_devices(w.uow(a)),
    "ops_db.warranty.queries:my_warranties": lambda w, a: warranty_queries.my_warranties(w.uow(a)),
    "ops_db.assets.queries:equipment_models": lambda w, a: asset_queries.equipment_models(w.uow(a)),
    "ops_db.orders.queries:open_orders": lambda w, a: order_queries.open_orders(w.uow(a)),
    "ops_db.orders.queries:board_cards": lambda w, a: order_queries.board_cards(w.uow(a)),
    "ops_db.orders.queries:open_order_counts": lambda w, a: order_queries.open_order_counts(w.uow(a)),
    "ops_db.orders.queries:my_orders": lambda w, a: order_queries.my_orders(w.uow(a)),
    "ops_db.orders.queries:stages_passed": lambda w, a: order_queries.stages_passed(w.uow(a), NOTHING),
    "ops_db.orders.queries:device_history": lambda w, a: order_queries.device_history(w.uow(a), NOTHING, NOTHING),
    "ops_db.orders.queries:order_id_by_number": lambda w, a: order_queries.order_id_by_number(w.uow(a), "RO-NONE"),
    "ops_db.orders.queries:catalog_services": lambda w, a: order_queries.catalog_services(w.uow(a)),
    "ops_db.orders.queries:order_extras": lambda w, a: order_queries.order_extras(w.uow(a), NOTHING),
    "ops_db.orders.queries:requests_to_link": lambda w, a: order_queries.requests_to_link(w.uow(a)),
    "ops_db.orders.records:find_customers": lambda w, a: order_records.find_customers(w.uow(a), "nobody"),
    "ops_db.orders.records:order_header": lambda w, a: order_records.order_header(w.uow(a), NOTHING),
    "ops_db.orders.records:customer_record": lambda w, a: order_records.customer_record(w.uow(a), NOTHING),
    "ops_db.orders.records:device_record": lambda w, a: order_records.device_record(w.uow(a), NOTHING),
    "ops_db.orders.records:technician_record": lambda w, a: order_records.technician_record(w.uow(a), NOTHING),
    "ops_db.orders.queries:alerts": lambda w, a: order_queries.alerts(w.uow(a)),
    "ops_db.analytics.queries:monthly_finance": lambda w, a: analytics.monthly_finance(a, PERIOD, path=w.warehouse),
    "ops_db.analytics.queries:sla_compliance": lambda w, a: analytics.sla_compliance(a, PERIOD, path=w.warehouse),
    # Allowed, it runs the optimizer on an empty day (no jobs, no shifts): a proposal with nothing in it.
    "dashboards.data.dispatch:propose_plan": lambda w, a: dispatch.propose_plan(w.engine, a, DAY, time_limit=1, now=AT),
}
BRAND = pdf.Brand("Matrix", None, None, "#000000")


def _area(area: str) -> dict[str, Call]:
    spec = analytics.AREAS[area][0]
    calls: dict[str, Call] = {
        f"ops_db.analytics.queries:table#{area}": lambda w, a: analytics.table(a, spec, PERIOD, path=w.warehouse),
        f"ops_db.analytics.queries:area_report#{area}": lambda w, a: analytics.area_report(
            a, area, PERIOD, BRAND, path=w.warehouse
        ),
        f"ops_db.analytics.queries:table_report#{area}": lambda w, a: analytics.table_report(
            a, spec, PERIOD, BRAND, path=w.warehouse
        ),
    }
    if area in analytics.DRILLS:
        calls[f"ops_db.analytics.queries:drill_choices#{area}"] = lambda w, a: analytics.drill_choices(
            a, area, path=w.warehouse
        )
        calls[f"ops_db.analytics.queries:drill_orders#{area}"] = lambda w, a: analytics.drill_orders(
            a, area, 1, PERIOD, path=w.warehouse
        )
    return calls


for _name in analytics.AREAS:
    READS.update(_area(_name))

CALLS: dict[str, Call] = {**SERVICES, **READS}


def refused(error: BaseException) -> bool:
    """Whether the matrix turned the call away (for who is asking, not for what they asked)."""
    return isinstance(error, RepairOpsError) and error.template in REFUSALS


def outcome(world: World, role: str, action: str) -> tuple[bool, str]:
    """(allowed, what happened) of one call as one role."""
    try:
        CALLS[action](world, world.actors[role])
    except (RepairOpsError, WarehouseMissing) as error:
        return not refused(error), f"{type(error).__name__}: {error}"
    return True, "done"


def test_every_declared_action_is_called_here_and_every_call_is_declared() -> None:
    assert set(CALLS) == set(ACTIONS), (sorted(set(ACTIONS) - set(CALLS)), sorted(set(CALLS) - set(ACTIONS)))


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_each_role_is_allowed_exactly_what_the_matrix_says(world: World, action: str) -> None:
    wrong = []
    for role in ROLES:
        got, what = outcome(world, role, action)
        if got != allowed(role, action):
            wrong.append(f"{role}: matrix says {'allowed' if allowed(role, action) else 'refused'}, got {what}")
    assert not wrong, "\n".join(wrong)


def test_the_signed_in_people_hold_exactly_their_roles_permissions_from_the_database(world: World) -> None:
    for role in ROLES:
        assert world.actors[role].permissions == permissions_of_role(role), role


# --------------------------------------------------------------------------------------------- the decisions


def test_the_matrix_keeps_the_decisions_of_issue_17() -> None:
    grid = matrix()
    # A customer pays online; recording money as received (cash, a terminal) is the shop's word, not theirs.
    assert grid["customer"]["ops_db.billing.stripe_payments:checkout_url"]
    assert not grid["customer"]["ops_db.billing.service:record_payment"]
    # A read-only auditor reads every document and the audit trail, and changes nothing.
    assert not grid["auditor"]["ops_db.orders.estimates:decide_estimate"]
    assert not any(grid["auditor"][f"ops_db.documents.send:send_document#{k}"] for k in ("invoice", "estimate"))
    assert grid["auditor"]["ops_db.documents.render:render#invoice"]
    assert grid["auditor"]["ops_db.audit.queries:audit_log"]
    # The estimate is the customer's to decide (or, holding its tracking code, the portal's); the front desk records
    # an answer given by phone; who prices the work (a technician) does not also say the customer agreed.
    decide = "ops_db.orders.estimates:decide_estimate"
    assert grid["customer"][decide] and grid[PUBLIC][decide] and grid["front_desk"][decide]
    assert not grid["technician"][decide]
    # Nobody rates a repair on a customer's behalf.
    assert [role for role in ROLES if grid[role]["ops_db.orders.notes:rate_order"]] == ["customer"]
    # Company-wide warehouse figures are for office staff: the warehouse cannot narrow rows as Postgres does.
    assert not grid["technician"]["ops_db.analytics.queries:table#Workforce"]
    # A dispatcher sees the order, not its money.
    assert not grid["dispatcher"]["ops_db.billing.queries:invoices"]


def test_the_auditor_may_only_read_besides_their_own_account() -> None:
    """Every action an auditor may do needs nothing but read permissions (verifying the audit chain reads it),
    or is their own account's, or open to anyone: no read permission opens a change."""
    own = (OWN_ACCOUNT, OWN_INBOX, OPEN)
    beyond = [
        a
        for a in ACTIONS
        if allowed("auditor", a)
        and ACTIONS[a] not in own
        and not all(p.endswith(".read") or p == "audit.verify" for p in ACTIONS[a].all_of | ACTIONS[a].any_of)
    ]
    assert beyond == []


# --------------------------------------------------------------------------------------------- completeness


def _entry_points(module: Any, *, first: str) -> list[str]:
    """Public functions of ``module`` whose first parameter is ``first`` (a unit of work, or the actor of a
    warehouse read) and that are defined there."""
    found = []
    for name, function in inspect.getmembers(module, inspect.isfunction):
        if name.startswith("_") or function.__module__ != module.__name__:
            continue
        if list(inspect.signature(function).parameters)[:1] == [first]:
            found.append(f"{module.__name__}:{name}")
    return found


# Functions that take a unit of work already open, inside a service that checked (each says so in its
# docstring); pages and the API never call them on their own.
INSIDE_A_SERVICE = frozenset(
    {
        "ops_db.billing.service:balance",
        "ops_db.billing.service:invoice_dict",
        "ops_db.billing.service:check_refund",
        "ops_db.comms.delivery:requeue",
        "ops_db.comms.outbox:notify_customer",
        "ops_db.comms.outbox:notify_user",
        "ops_db.comms.outbox:queue_email",
        "ops_db.comms.webhooks:enqueue_order_event",
        "ops_db.customers.service:find_or_create",
        "ops_db.inventory.service:release_all_for_order",
        "ops_db.inventory.service:add_part",
        "ops_db.orders.common:record_event",
        "ops_db.orders.common:load_order",
        "ops_db.orders.lifecycle:needs_approval",
        "ops_db.orders.lines:append_line",
        "ops_db.orders.lines:order_totals",
        "ops_db.orders.notes:record_signoff",
        "ops_db.orders.lifecycle:move",
        "ops_db.orders.lifecycle:assign",
        "ops_db.orders.queries:order_dict",
        "ops_db.orders.queries:timeline",
        "ops_db.sla.service:choose_policy",
        "ops_db.sla.service:start_clocks",
        "ops_db.sla.service:pause_clocks",
        "ops_db.sla.service:resume_clocks",
        "ops_db.sla.service:stop_clock",
        "ops_db.sla.service:retarget_clocks",
        "ops_db.sla.service:cancel_clocks",
        "ops_db.warranty.service:create_repair_warranty",
        "ops_db.workforce.bookings:book_in",
        "ops_db.workforce.bookings:cancel_bookings_for_order",
        "ops_db.identity.actors:actor_of",
        "ops_db.orders.intake:check_required_skill",
        "ops_db.orders.intake:open_order",
        # Subscribers of domain events (ops_db.wiring): they run inside the publishing service's unit of work.
        "ops_db.inventory.service:release_for_cancelled_order",
        "ops_db.inventory.service:settle_for_finished_order",
        "ops_db.inventory.service:settle_reservations",
        "ops_db.workforce.bookings:cancel_visits_of_cancelled_order",
        "ops_db.warranty.service:cover_finished_repair",
        # The plumbing of every query: it runs one statement for a query that has checked already.
        "ops_db.kit.rows:fetch",
        "ops_db.kit.rows:fetch_rows",
        # The unit of work's own hooks for the submission it carries out (nothing happens twice), and the API's
        # note of a first answer beside its claim (as the system, after the service has checked).
        "ops_db.kit.idempotency:open_submission",
        "ops_db.kit.idempotency:close_submission",
        "ops_db.kit.idempotency:claimed",
        "ops_db.kit.idempotency:refuse_as_repeat",
        "ops_db.kit.idempotency:remember_response",
    }
)
# Every module of ops_db (the migrations and the demo generator write as the owner and the system, not as people).
SERVICE_MODULES = tuple(
    importlib.import_module(m.name)
    for m in pkgutil.walk_packages(ops_db.__path__, "ops_db.")
    if not m.name.startswith(("ops_db.migrations", "ops_db.demo"))
)
# The warehouse has no unit of work: its reads take the actor (and check it first).
WAREHOUSE_READS = "ops_db.analytics.queries:"
# The page modules (dashboards/data): frames over the queries; only a page's own step between two services checks.
PAGE_MODULES = tuple(
    importlib.import_module(m.name) for m in pkgutil.walk_packages(dashboards.data.__path__, "dashboards.data.")
)


def _declared(action: str) -> str:
    return action.split("#")[0]


def test_every_service_and_query_that_takes_a_unit_of_work_is_declared() -> None:
    found = {f for module in SERVICE_MODULES for f in _entry_points(module, first="uow")}
    declared = {_declared(a) for a in ACTIONS if a.startswith("ops_db.") and not a.startswith(WAREHOUSE_READS)}
    assert sorted(found - declared - INSIDE_A_SERVICE) == []
    assert sorted((declared | INSIDE_A_SERVICE) - found) == []


def test_every_warehouse_read_is_declared() -> None:
    found = set(_entry_points(analytics, first="actor"))
    found -= {f"{WAREHOUSE_READS}{name}" for name in ("require_area", "may_read", "require_drill", "may_drill")}
    declared = {_declared(a) for a in ACTIONS if a.startswith(WAREHOUSE_READS)}
    assert sorted(found - declared) == [] and sorted(declared - found) == []


def test_a_page_module_that_checks_a_permission_is_declared() -> None:
    """Reads live in ops_db and check there; a page function naming a permission itself is declared too."""
    checking = {
        f"{module.__name__}:{name}"
        for module in PAGE_MODULES
        for name, function in inspect.getmembers(module, inspect.isfunction)
        if function.__module__ == module.__name__ and _literal_requires(function)
    }
    declared = {_declared(a) for a in ACTIONS if a.startswith("dashboards.")}
    assert checking == declared


def _literal_requires(function: Callable[..., Any]) -> set[str]:
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    return {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "require"
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    }


def test_a_function_that_names_its_permission_names_the_declared_one() -> None:
    wrong = []
    for action, needs in ACTIONS.items():
        module, name = _declared(action).split(":")
        literal = _literal_requires(getattr(importlib.import_module(module), name))
        declared = needs.all_of | needs.any_of
        # A variant (a document kind) leaves part of the check to what it calls: it may name less, never other.
        if literal and not (literal <= declared if "#" in action else literal == declared):
            wrong.append(f"{action}: declares {sorted(declared)}, checks {sorted(literal)}")
    assert not wrong, "\n".join(wrong)
