"""A document as data: what every format (PDF, DOCX, XLSX) draws, already translated and formatted."""

from __future__ import annotations

from dataclasses import dataclass, field

from ops_db.documents.pdf import Brand


@dataclass(frozen=True)
class Block:
    """A titled group of label/value lines (the customer, the device, the supplier)."""

    heading: str
    fields: list[tuple[str, str]]


@dataclass(frozen=True)
class Grid:
    """A titled table of formatted cells; ``numeric`` columns are right-aligned."""

    heading: str
    columns: list[str]
    rows: list[list[str]]
    numeric: list[bool] = field(default_factory=list)


@dataclass(frozen=True)
class Recipient:
    """Whom a document is for, to send it to them: the customer, or a purchase order's supplier."""

    name: str
    email: str | None
    customer_id: int | None = None
    order_id: int | None = None


@dataclass(frozen=True)
class Document:
    """One document, in one language, ready to draw."""

    kind: str
    number: str
    title: str
    locale: str
    brand: Brand
    fields: list[tuple[str, str]]
    blocks: list[Block] = field(default_factory=list)
    grids: list[Grid] = field(default_factory=list)
    totals: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    signatures: list[str] = field(default_factory=list)
    company_slug: str = ""  # whose own DOCX template to look for
    recipient: Recipient | None = None
    qr: str | None = None  # a link drawn as a QR code (the receipt's tracking page), for a phone to scan

    def text(self) -> str:
        """Every word of the document, one piece per line (search, tests, plain-text delivery)."""
        parts = [self.brand.name, self.title, *(f"{k}: {v}" for k, v in self.fields)]
        for block in self.blocks:
            parts += [block.heading, *(f"{k}: {v}" for k, v in block.fields)]
        for grid in self.grids:
            parts += [grid.heading, " | ".join(grid.columns), *(" | ".join(r) for r in grid.rows)]
        parts += [f"{k}: {v}" for k, v in self.totals] + self.notes + self.signatures
        return "\n".join(parts)
