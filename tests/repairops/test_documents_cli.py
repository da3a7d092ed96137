"""``repairops documents render`` as a real subprocess against the demo company."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from ops_db.kit import db
from tests.ops_db.documents.test_receipts import pdf_text
from tests.repairops.test_cli import run


def _first(demo_db: str, sql: str) -> int:
    with db.admin_engine(demo_db).connect() as conn:
        return int(conn.execute(text(sql)).scalar_one())


def test_render_an_invoice_in_russian_and_a_work_order_as_docx(demo_db: str, tmp_path: Path) -> None:
    invoice_id = _first(demo_db, "SELECT min(id) FROM invoices")
    with db.admin_engine(demo_db).connect() as conn:
        number = conn.execute(text("SELECT invoice_number FROM invoices WHERE id = :i"), {"i": invoice_id}).scalar()
    env = {"DATABASE_URL": demo_db}
    target = tmp_path / "out" / "invoice.pdf"
    done = run(
        tmp_path / ".repairops",
        "documents",
        "render",
        "invoice",
        str(invoice_id),
        "--locale",
        "ru",
        "--output",
        str(target),
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert f"Счёт {number}" in pdf_text(target.read_bytes())
    order_id = _first(demo_db, "SELECT min(id) FROM service_orders")
    docx = tmp_path / "work-order.docx"
    done = run(
        tmp_path / ".repairops",
        "documents",
        "render",
        "work_order",
        str(order_id),
        "--format",
        "docx",
        "-o",
        str(docx),
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert docx.read_bytes().startswith(b"PK")  # a zip: the .docx container


def test_bad_requests_are_one_sentence_and_write_nothing(demo_db: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": demo_db}
    target = tmp_path / "x.pdf"
    for args, message in (
        (("receipt", "1"), "There is no document called 'receipt'"),
        (("invoice", "999999999"), "Invoice 999999999 does not exist."),
        (("invoice", "1", "--format", "odt"), "The format must be one of pdf, docx, xlsx."),
        (("invoice", "1", "--locale", "fr"), "The language must be one of"),
    ):
        done = run(tmp_path / ".repairops", "documents", "render", *args, "--output", str(target), env=env)
        assert done.returncode == 1, done.stdout
        assert message in done.stderr and "Traceback" not in done.stderr
    assert not target.exists()


def test_import_checks_with_a_dry_run_then_writes(demo_db: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": demo_db}
    good = tmp_path / "parts.csv"
    good.write_text(
        "sku,name,unit_cost,sale_price\nIMP-1,Шлейф 排线,3.50,9.90\nIMP-2,Screw kit,0.40,1.00\n", encoding="utf-8"
    )
    bad = tmp_path / "bad.csv"
    bad.write_text("sku,name,unit_cost\nIMP-3,,1\nIMP-4,Fan,-2\n", encoding="utf-8")
    checked = run(tmp_path / ".repairops", "import", "parts", str(good), "--dry-run", env=env)
    assert checked.returncode == 0, checked.stderr
    assert "All 2 rows are valid" in checked.stdout
    assert _first(demo_db, "SELECT count(*) FROM parts WHERE sku LIKE 'IMP-%'") == 0
    refused = run(tmp_path / ".repairops", "import", "parts", str(bad), env=env)
    assert refused.returncode == 1
    assert "2 problems in 2 rows; nothing was written." in refused.stderr and "Traceback" not in refused.stderr
    done = run(tmp_path / ".repairops", "import", "parts", str(good), env=env)
    assert done.returncode == 0 and "Imported 2 rows: 2 new" in done.stdout
    assert _first(demo_db, "SELECT count(*) FROM parts WHERE sku LIKE 'IMP-%'") == 2
