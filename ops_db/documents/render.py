"""Draw a :class:`Document` as PDF, DOCX or XLSX.

DOCX comes from a docxtpl template a shop can replace: put ``<kind>.docx`` (or ``document.docx`` for every
kind) in ``<data dir>/templates/<company slug>/``. The template sees ``brand`` (name, legal_name, tax_number,
color), ``title``, ``number``, ``kind``, ``locale``, ``fields``, ``blocks``, ``grids``, ``totals``, ``notes``,
``signatures`` (lists of pairs / objects as in :mod:`ops_db.documents.model`) and ``details``, a ready-made
sub-document with the blocks, tables, totals, notes and signature lines, so a letterhead-only template
(``{{ title }}`` … ``{{p details }}``) is enough.
"""

from __future__ import annotations

import io
from dataclasses import asdict
from pathlib import Path
from typing import Any

import segno
import xlsxwriter
from docx import Document as DocxFile
from docx.shared import Pt, RGBColor
from docxtpl import DocxTemplate
from fpdf.enums import TableCellFillMode, XPos, YPos

from ops_db import i18n
from ops_db.documents.kinds import BUILDERS, Context
from ops_db.documents.model import Document, Grid
from ops_db.documents.pdf import FONT, BrandedPdf, heading_style, rgb
from ops_db.kit.errors import ValidationError
from ops_db.kit.spreadsheets import XLSX_OPTIONS, safe_cell
from ops_db.kit.uow import UnitOfWork
from ops_db.settings import get_settings

FORMATS = ("pdf", "docx", "xlsx")
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def check_request(kind: str, record_id: int) -> None:
    """Refuse, in one sentence, a document kind that does not exist or a record id that cannot be one."""
    if kind not in BUILDERS:
        raise ValidationError(
            "There is no document called {kind}; choose one of {kinds}.", kind=repr(kind), kinds=", ".join(BUILDERS)
        )
    if isinstance(record_id, bool) or not isinstance(record_id, int) or record_id <= 0:
        raise ValidationError("The record id must be a positive whole number.")


def build(uow: UnitOfWork, kind: str, record_id: int, locale: str | None = None) -> Document:
    """The document ``kind`` of one record, in ``locale`` (default: the company's language)."""
    check_request(kind, record_id)
    with uow:
        return BUILDERS[kind](Context(uow, locale), record_id)


def render(uow: UnitOfWork, kind: str, record_id: int, fmt: str = "pdf", locale: str | None = None) -> bytes:
    """The file of one document: ``fmt`` is pdf, docx or xlsx."""
    if fmt not in FORMATS:
        raise ValidationError("The format must be one of {formats}.", formats=", ".join(FORMATS))
    document = build(uow, kind, record_id, locale)
    if fmt == "pdf":
        return to_pdf(document)
    if fmt == "docx":
        return to_docx(document, company_template(document.company_slug, kind))
    return to_xlsx(document)


# ------------------------------------------------------------------------------------------------------ PDF


def to_pdf(document: Document) -> bytes:
    """A4, the company's header, fields, blocks, tables, totals, notes and signature lines."""
    t = i18n.gettext_for(document.locale)
    pdf = BrandedPdf(document.brand, document.title, page_label=t("page {page} of {pages}"))
    pdf.fields([(label, value) for label, value in document.fields if value])
    for block in document.blocks:
        shown = [(label, value) for label, value in block.fields if value]
        if shown:
            pdf.subheading(block.heading)
            pdf.fields(shown)
    for grid in document.grids:
        _pdf_grid(pdf, grid)
    if document.totals:
        pdf.ln(2)
        for label, value in document.totals:
            pdf.set_font(FONT, "B" if label == document.totals[-1][0] else "", 10)
            pdf.cell(pdf.epw - 45, 6, label, align="R")
            pdf.cell(45, 6, value, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for note in document.notes:
        pdf.ln(2)
        pdf.paragraph(note, size=8.5)
    if document.qr:
        pdf.ln(2)
        pdf.image(_qr_png(document.qr), w=32)
    if document.signatures:
        pdf.ln(14)
        pdf.set_font(FONT, "", 9)
        width = pdf.epw / len(document.signatures)
        for label in document.signatures:
            pdf.cell(width, 6, f"{label}: ____________________")
        pdf.ln(6)
    return pdf.to_bytes()


def _qr_png(link: str) -> io.BytesIO:
    """``link`` as a QR code picture (PNG) for the PDF."""
    picture = io.BytesIO()
    segno.make(link, error="m").save(picture, kind="png", scale=6, border=2)
    picture.seek(0)
    return picture


def _pdf_grid(pdf: BrandedPdf, grid: Grid) -> None:
    pdf.subheading(grid.heading)
    if not grid.rows:
        pdf.paragraph("—")
        return
    pdf.set_font(FONT, "", 8)
    align = tuple("RIGHT" if n else "LEFT" for n in (grid.numeric or [False] * len(grid.columns)))
    with pdf.table(
        headings_style=heading_style(pdf.brand.color),
        line_height=4.5,
        text_align=align,
        cell_fill_mode=TableCellFillMode.ROWS,
        cell_fill_color=(245, 245, 245),
        borders_layout="HORIZONTAL_LINES",
    ) as table:
        header = table.row()
        for column in grid.columns:
            header.cell(column)
        for values in grid.rows:
            row = table.row()
            for value in values:
                row.cell(value)
    pdf.ln(1)


# ----------------------------------------------------------------------------------------------------- DOCX


def company_template(slug: str, kind: str) -> Path | None:
    """The shop's own template for this kind, if it has put one in place."""
    if not slug:
        return None
    folder = get_settings().data_path / "templates" / slug
    for name in (f"{kind}.docx", "document.docx"):
        if (folder / name).is_file():
            return folder / name
    return None


def default_template() -> bytes:
    """The built-in template: letterhead, title, the fields table and the ready-made details."""
    doc = DocxFile()
    style = doc.styles["Normal"]
    style.font.name, style.font.size = "DejaVu Sans", Pt(10)  # Word falls back to a font it has
    doc.add_paragraph("{{ brand.name }}").runs[0].bold = True
    doc.add_paragraph("{{ brand_details }}")
    doc.add_heading("{{ title }}", level=1)
    table = doc.add_table(rows=3, cols=2)
    table.style = "Light List"
    table.cell(0, 0).text = "{%tr for label, value in fields %}"
    table.cell(1, 0).text = "{{ label }}"
    table.cell(1, 1).text = "{{ value }}"
    table.cell(2, 0).text = "{%tr endfor %}"
    doc.add_paragraph("{{p details }}")
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def to_docx(document: Document, template: Path | None = None) -> bytes:
    """The document through a docxtpl template (the shop's, or the built-in one)."""
    source = str(template) if template is not None else io.BytesIO(default_template())
    tpl = DocxTemplate(source)
    details = tpl.new_subdoc()
    color = RGBColor(*rgb(document.brand.color))
    for block in document.blocks:
        shown = [(label, value) for label, value in block.fields if value]
        if shown:
            details.add_heading(block.heading, level=2).runs[0].font.color.rgb = color
            for label, value in shown:
                paragraph = details.add_paragraph()
                paragraph.add_run(f"{label}: ").bold = True
                paragraph.add_run(value)
    for grid in document.grids:
        details.add_heading(grid.heading, level=2).runs[0].font.color.rgb = color
        table = details.add_table(rows=1 + len(grid.rows), cols=len(grid.columns))
        table.style = "Light Grid"
        for column, name in enumerate(grid.columns):
            table.cell(0, column).text = name
        for row_no, values in enumerate(grid.rows, start=1):
            for column, value in enumerate(values):
                table.cell(row_no, column).text = value
    for label, value in document.totals:
        paragraph = details.add_paragraph()
        paragraph.add_run(f"{label}: ").bold = True
        paragraph.add_run(value).bold = label == document.totals[-1][0]
    for note in document.notes:
        details.add_paragraph(note)
    for label in document.signatures:
        details.add_paragraph(f"\n{label}: ____________________")
    brand = document.brand
    context: dict[str, Any] = {
        **asdict(document),
        "brand": asdict(brand),
        "details": details,
        "brand_details": " · ".join(p for p in (brand.legal_name, brand.tax_number) if p),
    }
    tpl.render(context, autoescape=True)
    buffer = io.BytesIO()
    tpl.save(buffer)
    return buffer.getvalue()


# ----------------------------------------------------------------------------------------------------- XLSX


def to_xlsx(document: Document) -> bytes:
    """One sheet: title, fields, blocks, each table, totals (for a spreadsheet or an accounting import).

    Every cell is written as text: names and notes through ``safe_cell`` (a customer named ``=HYPERLINK(…)``
    stays that text), the amounts we formatted ourselves (totals, numeric columns) as they are."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, **XLSX_OPTIONS})
    sheet = book.add_worksheet(document.kind[:31])
    bold = book.add_format({"bold": True})
    title = book.add_format({"bold": True, "font_size": 14, "font_color": document.brand.color})
    header = book.add_format({"bold": True, "font_color": "#ffffff", "bg_color": document.brand.color})

    def text(row: int, column: int, value: object, style: Any = None, *, ours: bool = False) -> None:
        shown = "" if value is None else str(value)
        sheet.write_string(row, column, shown if ours else str(safe_cell(shown)), style)

    row = 0
    text(row, 0, document.brand.name, bold)
    text(row + 1, 0, document.title, title)
    row += 3
    for label, value in document.fields:
        text(row, 0, label, bold)
        text(row, 1, value)
        row += 1
    for block in document.blocks:
        row += 1
        text(row, 0, block.heading, bold)
        row += 1
        for label, value in block.fields:
            text(row, 0, label)
            text(row, 1, value)
            row += 1
    for grid in document.grids:
        row += 1
        text(row, 0, grid.heading, bold)
        row += 1
        for column, heading in enumerate(grid.columns):
            text(row, column, heading, header)
        for values in grid.rows:
            row += 1
            for column, value in enumerate(values):
                numeric = column < len(grid.numeric) and grid.numeric[column]
                text(row, column, value, ours=numeric)
        row += 1
    for label, value in document.totals:
        text(row, 0, label, bold)
        text(row, 1, value, bold, ours=True)
        row += 1
    sheet.set_column(0, 0, 28)
    sheet.set_column(1, 6, 22)
    book.close()
    return buffer.getvalue()
