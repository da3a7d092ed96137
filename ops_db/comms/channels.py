"""The company's own senders: an apprise URL per channel, checked before it is kept."""

from __future__ import annotations

from sqlalchemy import select

from ops_db.comms.delivery import AppriseSender
from ops_db.comms.models import NotificationChannel
from ops_db.customers.models import Channel
from ops_db.kit.errors import ValidationError
from ops_db.kit.uow import UnitOfWork

OWN_CHANNELS = (Channel.EMAIL, Channel.SMS, Channel.WHATSAPP)


def configure_channel(uow: UnitOfWork, channel: str, apprise_url: str, *, is_active: bool = True) -> None:
    """Give the company its own sender for a channel: an apprise URL with ``{address}`` where the recipient
    goes. The URL is checked by apprise before it is kept; the audit records the provider, not the secrets."""
    with uow:
        uow.actor.require("settings.manage")
        if channel not in {c.value for c in OWN_CHANNELS}:
            raise ValidationError("A company can configure email, sms or whatsapp.")
        url = (apprise_url or "").strip()
        if not url or len(url) > 2000:
            raise ValidationError("The channel URL must have 1 to 2,000 characters.")
        if "{address}" not in url:
            raise ValidationError("The channel URL must contain {address} where the recipient goes.")
        import apprise  # here, not at the top: loading its plugins is slow and only this call needs it

        if not apprise.Apprise().add(AppriseSender(url).url_for("+15550000000")):
            raise ValidationError("Apprise does not understand that URL; see its list of services for the form.")
        row = uow.session.execute(
            select(NotificationChannel).where(NotificationChannel.channel == channel).with_for_update()
        ).scalar_one_or_none()
        if row is None:
            row = NotificationChannel(tenant_id=uow.actor.tenant_id, channel=channel)
            uow.session.add(row)
        row.apprise_url, row.is_active = url, bool(is_active)
        uow.session.flush()
        uow.audit(
            "channel.configured",
            "notification_channels",
            row.id,
            after={"channel": channel, "provider": url.split("://", 1)[0], "is_active": row.is_active},
        )
        uow.commit()
