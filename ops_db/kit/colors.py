"""Company colours: the one rule for what counts as a colour a company may choose (``#0f766e``)."""

from __future__ import annotations

import re

HEX_COLOR = re.compile(r"#[0-9a-fA-F]{6}")


def is_hex_color(value: object) -> bool:
    """Whether ``value`` is a six-digit hex colour such as ``#0f766e`` (nothing before or after it)."""
    return isinstance(value, str) and HEX_COLOR.fullmatch(value) is not None


def hex_color_or(value: object, default: str) -> str:
    """``value`` when it is a hex colour, else ``default`` (a stored colour that is malformed is not shown)."""
    return value if isinstance(value, str) and is_hex_color(value) else default
