"""PDF layout kit with the tenant's branding: a header and footer, label/value fields, paragraphs and tables.

Built on fpdf2 with the fonts shipped in ``fonts/``: DejaVu Sans (Latin, Cyrillic, Greek, accents) and, as the
fallback for every glyph DejaVu lacks, Droid Sans Fallback (Chinese, Japanese, Korean). A fresh machine renders
the same documents without any system font.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.enums import TableCellFillMode, XPos, YPos

from ops_db.identity.models import Tenant
from ops_db.kit.colors import hex_color_or
from ops_db.kit.errors import NotFound
from ops_db.kit.uow import UnitOfWork

FONT_DIR = Path(__file__).parent / "fonts"
FONT = "DejaVu"
CJK_FONT = "DroidFallback"
DEFAULT_COLOR = "#1f2937"
MAX_CELL_CHARS = 120  # a table cell longer than this is cut with an ellipsis (the CSV/XLSX has it whole)


@dataclass(frozen=True)
class Brand:
    """What a document shows of the company that issues it."""

    name: str
    legal_name: str | None = None
    tax_number: str | None = None
    color: str = DEFAULT_COLOR

    @classmethod
    def of(cls, tenant: Tenant) -> Brand:
        """The tenant's name, legal details and primary colour (a malformed colour falls back to slate)."""
        color = hex_color_or(str((tenant.branding or {}).get("primary_color", DEFAULT_COLOR)), DEFAULT_COLOR)
        return cls(tenant.name, tenant.legal_name, tenant.tax_number, color)


def tenant_brand(uow: UnitOfWork) -> Brand:
    """The branding of the actor's company."""
    with uow:
        tenant = uow.session.get(Tenant, uow.actor.tenant_id)
        if tenant is None:
            raise NotFound("The company does not exist.")
        return Brand.of(tenant)


@dataclass(frozen=True)
class TableSection:
    """One titled table of a report."""

    heading: str
    columns: Sequence[str]
    rows: Sequence[Sequence[Any]]
    note: str | None = None


def rgb(color: str) -> tuple[int, int, int]:
    """``#0f766e`` as (15, 118, 110)."""
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def cell_text(value: Any) -> str:
    """A value as a table cell shows it: no ``None``/``nan``, dates without seconds, long text cut."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, datetime):
        midnight = (value.hour, value.minute, value.second) == (0, 0, 0)
        text = value.strftime("%Y-%m-%d" if midnight else "%Y-%m-%d %H:%M")
    elif isinstance(value, float):
        text = f"{value:,.2f}"
    elif isinstance(value, Decimal):
        text = f"{value:,}"
    else:
        text = str(value)
    return text if len(text) <= MAX_CELL_CHARS else text[: MAX_CELL_CHARS - 1] + "…"


class BrandedPdf(FPDF):
    """An A4 page with the company's name in its colour, the document title, and numbered pages."""

    def __init__(
        self,
        brand: Brand,
        title: str,
        *,
        landscape: bool = False,
        page_label: str = "page {page} of {pages}",
        t: Callable[[str], str] = str,
    ) -> None:
        super().__init__(orientation="L" if landscape else "P", unit="mm", format="A4")
        self.brand, self.doc_title, self.page_label, self.t = brand, title, page_label, t
        self.add_font(FONT, "", FONT_DIR / "DejaVuSans.ttf")
        self.add_font(FONT, "B", FONT_DIR / "DejaVuSans-Bold.ttf")
        self.add_font(CJK_FONT, "", FONT_DIR / "DroidSansFallbackFull.ttf")
        self.set_fallback_fonts([CJK_FONT], exact_match=False)
        self.set_title(title)
        self.set_author(brand.name)
        self.set_creator("RepairOps")
        self.set_auto_page_break(auto=True, margin=18)
        self.alias_nb_pages()
        self.add_page()

    def cell(self, *args: Any, **kwargs: Any) -> Any:
        drawn = super().cell(*args, **kwargs)
        self._reselect_font()
        return drawn

    def multi_cell(self, *args: Any, **kwargs: Any) -> Any:
        drawn = super().multi_cell(*args, **kwargs)
        self._reselect_font()
        return drawn

    def _reselect_font(self) -> None:
        # fpdf2 2.8 does not select the main font again after the fallback font drew part of a text, so the
        # next text is drawn with the wrong font's glyph ids (garbage); selecting it before every text is
        # cheap and always right.
        self.current_font_is_set_on_page = False

    def header(self) -> None:
        self.set_font(FONT, "B", 15)
        self.set_text_color(*rgb(self.brand.color))
        self.cell(0, 8, self.brand.name, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT, "", 8)
        self.set_text_color(90, 90, 90)
        details = " · ".join(
            p for p in (self.brand.legal_name, self.brand.tax_number and f"Tax no. {self.brand.tax_number}") if p
        )
        if details:
            self.cell(0, 4, details, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_draw_color(*rgb(self.brand.color))
        self.set_line_width(0.6)
        self.line(self.l_margin, self.get_y() + 2, self.w - self.r_margin, self.get_y() + 2)
        self.ln(5)
        self.set_font(FONT, "B", 13)
        self.set_text_color(0, 0, 0)
        self.cell(0, 8, self.doc_title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, "", 7)
        self.set_text_color(120, 120, 120)
        self.cell(0, 5, f"{self.doc_title} · {self.page_label.format(page=self.page_no(), pages='{nb}')}", align="C")

    def fields(self, pairs: Sequence[tuple[str, Any]], *, label_width: float = 42) -> None:
        """Label/value lines (the values wrap); empty values are left out."""
        for label, value in pairs:
            text = cell_text(value)
            if not text:
                continue
            self.set_font(FONT, "B", 9)
            self.cell(label_width, 5.5, label)
            self.set_font(FONT, "", 9)
            self.multi_cell(0, 5.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)

    def subheading(self, text: str) -> None:
        """A section title in the company's colour."""
        self.ln(1)
        self.set_font(FONT, "B", 11)
        self.set_text_color(*rgb(self.brand.color))
        self.cell(0, 7, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(0, 0, 0)

    def paragraph(self, text: str, *, size: float = 9) -> None:
        """Wrapped running text."""
        self.set_font(FONT, "", size)
        self.multi_cell(0, size * 0.55, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1.5)

    def table_section(self, section: TableSection, *, max_columns: int = 10) -> None:
        """A heading and a table; columns past ``max_columns`` are left out and the note says so."""
        self.subheading(section.heading)
        columns = list(section.columns)[:max_columns]
        notes = [section.note] if section.note else []
        if len(section.columns) > max_columns:
            notes.append(
                self.t("First {shown} of {total} columns; the CSV/XLSX export has all.").format(
                    shown=max_columns, total=len(section.columns)
                )
            )
        if notes:
            self.paragraph(" ".join(notes), size=7.5)
        if not section.rows:
            self.paragraph(self.t("No rows."))
            return
        self.set_font(FONT, "", 7)
        first = list(section.rows[0])[: len(columns)]
        align = tuple("RIGHT" if _is_number(value) else "LEFT" for value in first)
        with self.table(
            headings_style=heading_style(self.brand.color),
            line_height=4,
            text_align=align,
            cell_fill_mode=TableCellFillMode.ROWS,
            cell_fill_color=(245, 245, 245),
            borders_layout="HORIZONTAL_LINES",
        ) as table:
            header = table.row()
            for column in columns:
                header.cell(str(column).replace("_", " "))
            for values in section.rows:
                row = table.row()
                for value in list(values)[: len(columns)]:
                    row.cell(cell_text(value))
        self.ln(2)

    def to_bytes(self) -> bytes:
        """The finished file."""
        return bytes(self.output())


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def heading_style(color: str) -> Any:
    """Table headings: bold white on the company's colour."""
    from fpdf.fonts import FontFace

    return FontFace(family=FONT, emphasis="BOLD", color=(255, 255, 255), fill_color=rgb(color))


def report_pdf(
    brand: Brand, title: str, subtitle: str, sections: Sequence[TableSection], *, t: Callable[[str], str] = str
) -> bytes:
    """A landscape report: a subtitle line (what and when) and one table per section; ``t`` translates the
    report's own words (page numbers, notes), the caller gives title, subtitle and headings already translated."""
    pdf = BrandedPdf(brand, title, landscape=True, page_label=t("page {page} of {pages}"), t=t)
    pdf.paragraph(subtitle)
    for section in sections:
        pdf.table_section(section)
    return pdf.to_bytes()
