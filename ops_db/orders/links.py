"""The public address that shows one order to its customer (the portal's tracking page, filled in), as printed on
the intake receipt, sent in the first message and drawn as a QR code at the counter."""

from __future__ import annotations

from urllib.parse import urlencode

from ops_db.settings import get_settings


def tracking_link(company: str, order_number: str, tracking_code: str) -> str:
    """The tracking page of one order, with the company, number and code already filled in."""
    base = get_settings().public_url.rstrip("/")
    return f"{base}/track?{urlencode({'company': company, 'order': order_number, 'code': tracking_code})}"
