"""Notification delivery throughput: the outbox worker against a real SMTP server on loopback, beside the peer
figure of plain ``smtplib`` sending the same messages to the same server with no database at all.

Usage: ``python benchmarks/delivery.py [--messages 2000] [--documents 200]``

1. starts its own embedded Postgres in a temporary directory, migrates it and provisions a company;
2. queues ``--messages`` customer notifications (one service transaction each, as the order services do) and
   ``--documents`` invoices sent by email with their PDF attached (``documents.send.send_document``);
3. runs ``deliver_due`` once over the whole outbox with an ``SmtpEmailSender`` pointed at an aiosmtpd server on
   loopback: claim under a lease, send, record each attempt and mark each message, as the Dagster sensor and
   ``repairops notify run`` do;
4. sends the same rendered messages again with bare ``smtplib`` over one connection (as the worker uses one
   per run) with no database at all, and prints both rates and their ratio: what the outbox's crash-safety
   (a transaction per message recording its attempt and state) costs over the wire itself.
"""

from __future__ import annotations

import argparse
import smtplib
import socket
import time
from dataclasses import dataclass
from decimal import Decimal
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import text

from ops_db import embedded, migrate
from ops_db.billing import service as billing
from ops_db.comms.delivery import SmtpEmailSender, deliver_due
from ops_db.comms.service import notify_customer
from ops_db.customers.service import CustomerIn, create_customer
from ops_db.documents.send import send_document
from ops_db.identity.tenants import TenantIn, provision_tenant
from ops_db.kit.db import admin_engine, app_engine
from ops_db.kit.uow import Actor, UnitOfWork
from ops_db.orders import service as orders


@dataclass
class Counter:
    """An SMTP server that counts what it accepts (and the bytes)."""

    received: int = 0
    size: int = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        self.received += 1
        self.size += len(envelope.content)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _queue(url: str, tenant_id: int, messages: int, documents: int, progress: Progress) -> None:
    engine = app_engine(url)
    system = Actor.system(tenant_id, "benchmark")
    task = progress.add_task("Queuing notifications", total=messages)
    customer = create_customer(UnitOfWork(engine, system), CustomerIn("Bench Customer", email="c@mail.example"))
    for n in range(messages):
        uow = UnitOfWork(engine, system)
        with uow:
            notify_customer(uow, "ready_for_pickup", customer.id, {"order_number": f"RO-BENCH-{n:06d}"})
            uow.commit()
        progress.advance(task)
    task = progress.add_task("Issuing and sending invoices", total=documents)
    for _ in range(documents):
        receipt = orders.register_intake(
            UnitOfWork(engine, system),
            orders.IntakeIn(customer=None, customer_id=customer.id, problem_description="Screen"),
        )
        orders.add_line(
            UnitOfWork(engine, system),
            receipt.order_id,
            orders.LineIn(kind="labour", description="Fit screen", unit_price=Decimal("80")),
        )
        invoice = billing.create_invoice(UnitOfWork(engine, system), receipt.order_id)
        send_document(UnitOfWork(engine, system), "invoice", invoice.id)
        progress.advance(task)


def _bare_smtp(url: str, port: int) -> tuple[int, float]:
    """The same rendered messages (with their attachments) over plain smtplib, no database in the loop."""
    with admin_engine(url).connect() as conn:
        rows = conn.execute(
            text(
                "SELECT m.address, m.subject, m.body, a.filename, a.content FROM notification_outbox m"
                " LEFT JOIN notification_attachments a ON a.outbox_id = m.id WHERE m.channel = 'email'"
            )
        ).all()
    built = []
    for row in rows:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "bench@localhost", row.address, row.subject or ""
        message.set_content(row.body)
        if row.content is not None:
            message.add_attachment(bytes(row.content), maintype="application", subtype="pdf", filename=row.filename)
        built.append(message)
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        for message in built:
            smtp.send_message(message)
    return len(built), time.perf_counter() - started


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=2000, help="customer notifications to queue")
    parser.add_argument("--documents", type=int, default=200, help="invoices to send with their PDF")
    args = parser.parse_args()
    if not 1 <= args.messages <= 200_000 or not 0 <= args.documents <= 10_000:
        parser.error("messages must be 1..200,000 and documents 0..10,000")
    console = Console()
    counter = Counter()
    port = _free_port()
    controller = Controller(counter, hostname="127.0.0.1", port=port)
    controller.start()
    with embedded.scratch_server("repairops-delivery-") as server:
        url = server.url
        try:
            migrate.upgrade(url)
            tenant_id = provision_tenant(
                app_engine(url),
                TenantIn(
                    slug="bench", name="Bench Repairs", admin_email="admin@bench.example", admin_password="bench-pass-1"
                ),
            )
            with Progress(console=console) as progress:
                _queue(url, tenant_id, args.messages, args.documents, progress)
            with admin_engine(url).connect() as conn:  # intake itself notifies the customer too
                total = int(conn.execute(text("SELECT count(*) FROM notification_outbox")).scalar_one())
            sender = SmtpEmailSender("127.0.0.1", port, "Bench <bench@localhost>")
            with console.status(f"Delivering {total:,} messages through the outbox…"):
                started = time.perf_counter()
                report = deliver_due(app_engine(url), [tenant_id], {"email": sender}, batch=500)
                outbox_seconds = time.perf_counter() - started
            assert report.sent == total and counter.received == total, (report, counter.received)
            mean_bytes = counter.size / total
            with console.status("Sending them again with bare smtplib…"):
                bare_count, bare_seconds = _bare_smtp(url, port)
        finally:
            controller.stop()
    outbox_rate, bare_rate = total / outbox_seconds, bare_count / bare_seconds
    table = Table(title=f"{total:,} emails ({args.documents:,} with a PDF) to an SMTP server on loopback")
    for column in ("sender", "seconds", "emails/s"):
        table.add_column(column, justify="right")
    table.add_row("RepairOps outbox (claim, send, record, mark)", f"{outbox_seconds:.1f}", f"{outbox_rate:,.0f}")
    table.add_row("peer: bare smtplib, no database", f"{bare_seconds:.1f}", f"{bare_rate:,.0f}")
    console.print(table)
    print(
        f"emails={total} documents={args.documents} outbox_s={outbox_seconds:.2f} outbox_per_s={outbox_rate:.0f} "
        f"bare_smtplib_per_s={bare_rate:.0f} ratio={outbox_rate / bare_rate:.2f} "
        f"mean_bytes={mean_bytes:.0f}",
        flush=True,
    )


if __name__ == "__main__":
    main()
