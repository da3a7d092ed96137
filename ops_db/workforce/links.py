"""Links a technician taps on a job: call the customer (``tel:``) and get directions there (a maps URL that
opens the phone's maps app, or the browser's where there is none)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlencode


def call_url(phone: str | None) -> str | None:
    """A ``tel:`` link for a phone number as people write it (spaces, dashes and brackets dropped)."""
    digits = "".join(c for c in phone or "" if c.isdigit() or c == "+")
    return f"tel:{digits}" if len(digits.lstrip("+")) >= 3 else None


def navigate_url(latitude: Any, longitude: Any, address: str | None) -> str | None:
    """A maps link with directions to the job: to its coordinates when known, else to its address."""
    if latitude is not None and longitude is not None:
        destination = f"{Decimal(str(latitude)):f},{Decimal(str(longitude)):f}"
    elif address:
        destination = address
    else:
        return None
    return "https://www.google.com/maps/dir/?" + urlencode({"api": "1", "destination": destination}, quote_via=quote)
