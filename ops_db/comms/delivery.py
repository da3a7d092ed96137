"""Deliver the notification outbox: claim due messages, send them, record every attempt.

At-least-once and crash-safe:

1. **Claim** (one short transaction per tenant): due messages of the channels we can send are set to
   ``sending`` with a lease (``not_before = now + LEASE``), ``FOR UPDATE SKIP LOCKED`` so two workers
   never take the same message.
2. **Send** outside any transaction. Email carries a ``Message-ID`` made from the message's dedupe
   key, so a message re-sent after a crash is recognisable as the same message.
3. **Mark** (one transaction per message): the attempt is recorded; the message becomes ``sent``,
   or ``failed`` with its next try after an increasing backoff, or ``dead`` after ``MAX_ATTEMPTS``.

A worker that dies between claim and mark leaves ``sending`` rows whose lease expires; the next
run claims them again. Channels without a configured sender stay ``pending`` untouched.

**Digests**: several emails due at once for the same staff member (SLA alerts on a busy morning) go out as
one email with every message under its own subject; each message still records its own attempt and state.
Customer messages always go one by one.
"""

from __future__ import annotations

import json
import logging
import smtplib
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr, formatdate, parseaddr
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

from sqlalchemy import Engine, text

from ops_db.i18n import N_, Word, gettext_for
from ops_db.kit.errors import Conflict, NotFound, ValidationError
from ops_db.kit.uow import Actor, UnitOfWork
from ops_db.settings import Settings

LEASE = timedelta(minutes=10)
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2), timedelta(hours=6))
MAX_ATTEMPTS = len(BACKOFF) + 1
BATCH = 200


class DeliveryFailed(Exception):
    """The provider refused or could not be reached; the message will be retried."""


@dataclass(frozen=True)
class Attachment:
    """A file that goes with a message."""

    filename: str
    media_type: str
    content: bytes


@dataclass(frozen=True)
class OutgoingMessage:
    """One claimed outbox message, as a sender sees it."""

    id: int
    tenant_id: int
    channel: str
    address: str
    subject: str | None
    body: str
    dedupe_key: str
    attempts: int
    to_staff: bool = False
    locale: str = "en"
    company: str = ""  # the company's name: the sender's name people see (white label)
    attachments: tuple[Attachment, ...] = ()


class Sender(Protocol):
    """Delivers one message on one channel; returns the provider's answer, raises ``DeliveryFailed``. A sender
    that holds a connection also has ``close()``, called at the end of each delivery run."""

    def send(self, message: OutgoingMessage) -> dict[str, Any]: ...


@dataclass
class SmtpEmailSender:
    """Email through an SMTP server (STARTTLS and login when configured). One connection serves a whole
    delivery run (:meth:`close` ends it); a connection the server dropped is opened again once."""

    host: str
    port: int = 25
    sender: str = "RepairOps <no-reply@localhost>"
    starttls: bool = False
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0
    _smtp: smtplib.SMTP | None = field(default=None, init=False, repr=False, compare=False)

    def _connect(self) -> smtplib.SMTP:
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if self.starttls:
            smtp.starttls()
        if self.username:
            smtp.login(self.username, self.password or "")
        self._smtp = smtp
        return smtp

    def close(self) -> None:
        """End the connection (at the end of a delivery run, or after an error)."""
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()

    def _transmit(self, email: EmailMessage) -> dict[str, tuple[int, bytes]]:
        reused = self._smtp is not None
        smtp = self._smtp or self._connect()
        try:
            return smtp.send_message(email)
        except smtplib.SMTPServerDisconnected:
            self.close()
            if not reused:
                raise
            return self._connect().send_message(email)  # the server ended an idle connection: once more

    def from_header(self, company: str) -> str:
        """The configured sender address under the company's name, so customers see who writes to them."""
        name, address = parseaddr(self.sender)
        return formataddr((company or name, address)) if address else self.sender

    def send(self, message: OutgoingMessage) -> dict[str, Any]:
        email = EmailMessage()
        email["From"], email["To"] = self.from_header(message.company), message.address
        email["Subject"] = message.subject or message.company or "RepairOps"
        email["Date"] = formatdate(localtime=False)
        email["Message-ID"] = f"<{message.dedupe_key.replace(':', '.')}.{message.id}@repairops>"
        email.set_content(message.body)
        for item in message.attachments:
            maintype, _, subtype = item.media_type.partition("/")
            email.add_attachment(
                item.content, maintype=maintype, subtype=subtype or "octet-stream", filename=item.filename
            )
        try:
            refused = self._transmit(email)
        except (OSError, smtplib.SMTPException) as error:
            self.close()  # whatever state the session is in, the next message starts a clean one
            raise DeliveryFailed(f"{type(error).__name__}: {error}") from error
        if refused:
            raise DeliveryFailed(f"recipient refused: {refused}")
        return {"smtp": f"{self.host}:{self.port}", "message_id": email["Message-ID"]}


@dataclass(frozen=True)
class AppriseSender:
    """Any channel apprise supports (SMS and WhatsApp providers, chat, email): the company's apprise URL with
    the recipient in place of ``{address}``."""

    url_template: str

    def url_for(self, address: str) -> str:
        return self.url_template.replace("{address}", quote(address, safe="+@"))

    def send(self, message: OutgoingMessage) -> dict[str, Any]:
        import apprise

        notifier = apprise.Apprise()
        url = self.url_for(message.address)
        scheme = url.split("://", 1)[0]
        if not notifier.add(url):
            raise DeliveryFailed(f"the {scheme} URL of this channel is not one apprise understands")
        with tempfile.TemporaryDirectory() as folder, apprise.LogCapture(level=logging.WARNING) as log:
            files = []
            for item in message.attachments:  # apprise attaches files by path
                path = Path(folder) / Path(item.filename).name
                path.write_bytes(item.content)
                files.append(str(path))
            delivered = notifier.notify(body=message.body, title=message.subject or "", attach=files or None)
        if not delivered:
            reason = " ".join(str(log.getvalue()).split())[:500] or "no reason given"
            raise DeliveryFailed(f"{scheme}: {reason}")
        return {"apprise": scheme}  # never the URL itself: it holds the provider's credentials


def tenant_senders(app_engine: Engine, tenant_id: int) -> dict[str, Sender]:
    """The company's own senders (``notification_channels``), by channel."""
    with UnitOfWork(app_engine, Actor.system(tenant_id, "notification delivery")) as uow:
        rows = uow.session.execute(text("SELECT channel, apprise_url FROM notification_channels WHERE is_active")).all()
    return {str(row.channel): AppriseSender(str(row.apprise_url)) for row in rows}


def tenant_channels(admin_engine: Engine) -> list[str]:
    """Channels some company has configured for itself (``admin_engine`` must bypass RLS)."""
    with admin_engine.connect() as conn:
        return sorted(
            conn.execute(text("SELECT DISTINCT channel FROM notification_channels WHERE is_active")).scalars()
        )


def configured_senders(settings: Settings) -> dict[str, Sender]:
    """The senders the settings configure: email when ``REPAIROPS_SMTP_HOST`` is set (more channels later)."""
    senders: dict[str, Sender] = {}
    if settings.smtp_host:
        senders["email"] = SmtpEmailSender(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_sender,
            settings.smtp_starttls,
            settings.smtp_username,
            settings.smtp_password,
        )
    return senders


@dataclass
class DeliveryReport:
    """What one delivery run did."""

    claimed: int = 0
    sent: int = 0
    failed: int = 0
    dead: int = 0
    errors: list[str] = field(default_factory=list)


def due_count(engine: Engine, channels: Sequence[str], now: datetime | None = None) -> int:
    """Messages of ``channels`` that are due now, across tenants (``engine`` must bypass RLS: admin)."""
    if not channels:
        return 0
    with engine.connect() as conn:
        found = conn.execute(
            text(
                "SELECT count(*) FROM notification_outbox WHERE channel = ANY(:c) AND status IN "
                "('pending', 'failed', 'sending') AND not_before <= coalesce(CAST(:now AS timestamptz), now())"
            ),
            {"c": list(channels), "now": now},
        ).scalar()
    return int(found or 0)


def _claim(
    engine: Engine, tenant_id: int, channels: Sequence[str], now: datetime | None, limit: int
) -> list[OutgoingMessage]:
    with UnitOfWork(engine, Actor.system(tenant_id, "notification delivery")) as uow:
        rows = uow.session.execute(
            text(
                """UPDATE notification_outbox SET status = 'sending', attempts = attempts + 1,
                      not_before = coalesce(CAST(:now AS timestamptz), now()) + :lease
               WHERE id IN (SELECT id FROM notification_outbox
                            WHERE channel = ANY(:c) AND status IN ('pending', 'failed', 'sending')
                              AND not_before <= coalesce(CAST(:now AS timestamptz), now())
                            ORDER BY not_before, id LIMIT :n FOR UPDATE SKIP LOCKED)
               RETURNING id, tenant_id, channel, address, subject, body, dedupe_key, attempts,
                         recipient_user_id IS NOT NULL AS to_staff, locale"""
            ),
            {"c": list(channels), "now": now, "lease": LEASE, "n": limit},
        ).all()
        company = uow.session.execute(text("SELECT name FROM tenants WHERE id = :t"), {"t": tenant_id}).scalar()
        files: dict[int, list[Attachment]] = {}
        for row in uow.session.execute(
            text(
                "SELECT outbox_id, filename, media_type, content FROM notification_attachments"
                " WHERE outbox_id = ANY(:ids) ORDER BY id"
            ),
            {"ids": [int(r.id) for r in rows]},
        ):
            files.setdefault(int(row.outbox_id), []).append(
                Attachment(str(row.filename), str(row.media_type), bytes(row.content))
            )
        uow.commit()
    return sorted(
        (
            OutgoingMessage(
                int(r.id),
                int(r.tenant_id),
                str(r.channel),
                str(r.address),
                r.subject,
                str(r.body),
                str(r.dedupe_key),
                int(r.attempts),
                bool(r.to_staff),
                str(r.locale),
                str(company or ""),
                tuple(files.get(int(r.id), ())),
            )
            for r in rows
        ),
        key=lambda m: m.id,
    )


def after_attempt(attempts: int, error: str | None, now: datetime) -> tuple[str, datetime | None]:
    """The state after an attempt: sent; failed with the next try after the backoff; or dead after the last."""
    if error is None:
        return "sent", None
    if attempts >= MAX_ATTEMPTS:
        return "dead", None
    return "failed", now + BACKOFF[min(attempts, len(BACKOFF)) - 1]


def _mark(
    engine: Engine, message: OutgoingMessage, answer: dict[str, Any] | None, error: str | None, now: datetime
) -> str:
    status, next_try = after_attempt(message.attempts, error, now)
    with UnitOfWork(engine, Actor.system(message.tenant_id, "notification delivery")) as uow:
        # The attempt and the message's new state in one statement: one round trip per message.
        uow.session.execute(
            text(
                "WITH attempt AS (INSERT INTO delivery_attempts (tenant_id, outbox_id, attempted_at, succeeded, error,"
                " provider_response) VALUES (:t, :id, :at, :ok, :error, CAST(:answer AS jsonb)))"
                " UPDATE notification_outbox SET status = :s, sent_at = CAST(:sent_at AS timestamptz), "
                "not_before = coalesce(CAST(:next AS timestamptz), not_before) WHERE id = :id"
            ),
            {
                "t": message.tenant_id,
                "at": now,
                "ok": error is None,
                "error": error,
                "answer": json.dumps(answer) if answer is not None else None,
                "s": status,
                "sent_at": now if status == "sent" else None,
                "next": next_try,
                "id": message.id,
            },
        )
        uow.commit()
    return status


def digest_groups(messages: Sequence[OutgoingMessage]) -> list[list[OutgoingMessage]]:
    """Messages to send together: several emails due at once for the same staff address become one digest
    (alerts pile up for managers); everything else, and every customer message, goes alone."""
    groups: dict[tuple[str, str], list[OutgoingMessage]] = {}
    alone: list[list[OutgoingMessage]] = []
    for message in messages:
        if message.to_staff and message.channel == "email" and not message.attachments:
            groups.setdefault((message.channel, message.address.lower()), []).append(message)
        else:
            alone.append([message])
    return alone + list(groups.values())


def digest_of(messages: Sequence[OutgoingMessage]) -> OutgoingMessage:
    """One email that carries every message of the group, each under its own subject, headed in the reader's
    language with the company's name."""
    first = messages[0]
    body = "\n\n".join(f"{m.subject or ''}\n{m.body}".strip() for m in messages)
    subject = gettext_for(first.locale)(N_("Updates from {company} ({count})")).format(
        count=len(messages), company=first.company or "RepairOps"
    )
    return OutgoingMessage(
        first.id,
        first.tenant_id,
        first.channel,
        first.address,
        subject,
        body,
        "digest:" + ".".join(str(m.id) for m in messages),
        first.attempts,
        True,
        first.locale,
        first.company,
    )


def deliver_due(
    app_engine: Engine,
    tenant_ids: Sequence[int],
    senders: Mapping[str, Sender],
    *,
    now: datetime | None = None,
    batch: int = BATCH,
) -> DeliveryReport:
    """Send every due message for ``tenant_ids`` through ``senders`` (server-wide) or, where a company has
    configured its own channel, through that; see the module notes."""
    report = DeliveryReport()
    for tenant_id in tenant_ids:
        chosen = {**senders, **tenant_senders(app_engine, tenant_id)}
        channels = sorted(chosen)
        if not channels:
            continue
        try:
            _deliver_tenant(app_engine, tenant_id, chosen, channels, now, batch, report)
        finally:
            for sender in chosen.values():
                getattr(sender, "close", lambda: None)()
    return report


def _deliver_tenant(
    app_engine: Engine,
    tenant_id: int,
    chosen: Mapping[str, Sender],
    channels: list[str],
    now: datetime | None,
    batch: int,
    report: DeliveryReport,
) -> None:
    while True:
        claimed = _claim(app_engine, tenant_id, channels, now, batch)
        report.claimed += len(claimed)
        for group in digest_groups(claimed):
            sending = group[0] if len(group) == 1 else digest_of(group)
            answer, error = None, None
            try:
                answer = chosen[sending.channel].send(sending)
            except DeliveryFailed as failure:
                error = str(failure)
                report.errors.append(f"message {sending.id}: {error}")
            for message in group:  # each message keeps its own attempts and state
                status = _mark(app_engine, message, answer, error, now or datetime.now(UTC))
                setattr(report, status, getattr(report, status) + 1)
        if len(claimed) < batch:
            return


RETRIABLE = ("failed", "dead")
REQUEUE_LIMIT = 500


def requeue(uow: UnitOfWork, table: str, ids: Sequence[int]) -> int:
    """Inside an open unit: put given-up (``dead``) or waiting-to-retry (``failed``) rows of ``table`` (the
    outbox or webhook deliveries) back in the queue, due now with a fresh run of attempts; the attempts so far
    stay in the history. All or nothing: an unknown id or one in another state is one sentence."""
    assert table in ("notification_outbox", "webhook_deliveries")
    uow.actor.require("settings.manage")
    wanted = sorted({int(i) for i in ids})
    if not wanted:
        raise ValidationError("Choose what to send again.")
    if len(wanted) > REQUEUE_LIMIT:
        raise ValidationError("Send at most {limit} again at once.", limit=REQUEUE_LIMIT)
    found: dict[int, str] = {
        int(row.id): str(row.status)
        for row in uow.session.execute(
            text(f"SELECT id, status FROM {table} WHERE id = ANY(:ids) FOR UPDATE"), {"ids": wanted}
        )
    }
    for item in wanted:
        if item not in found:
            raise NotFound("There is no message {id} to send again.", id=item)
        if found[item] not in RETRIABLE:
            raise Conflict(
                "Message {id} is {status}; only failed or given-up messages are sent again.",
                id=item,
                status=Word(str(found[item])),
            )
    uow.session.execute(
        text(f"UPDATE {table} SET status = 'pending', attempts = 0, not_before = :now WHERE id = ANY(:ids)"),
        {"now": uow.now(), "ids": wanted},
    )
    uow.audit("delivery.requeued", table, None, after={"ids": wanted})
    return len(wanted)
