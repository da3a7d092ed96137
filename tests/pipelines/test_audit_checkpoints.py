"""The nightly Dagster job writes a signed checkpoint of every company's audit chain, and none for a broken one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from ops_db.audit import checkpoints as seals
from ops_db.audit.service import verify_chain
from ops_db.kit.db import admin_engine
from ops_db.kit.uow import Actor, UnitOfWork
from ops_db.settings import get_settings
from pipelines.defs.audit.checkpoints import audit_checkpoint_job
from pipelines.resources import OpsDatabase
from tests.conftest import Shop


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("REPAIROPS_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_the_nightly_job_signs_every_companys_chain_and_refuses_a_broken_one(shop: Shop, data_dir: Path) -> None:
    other = Shop(shop.url, slug="bolt")
    resource = OpsDatabase(url=shop.url)

    assert audit_checkpoint_job.execute_in_process(resources={"ops_db": resource}).success
    written = sorted(p.name.split("-")[0] for p in (data_dir / "audit-checkpoints").glob("*.json"))
    assert written == ["acme", "bolt"]
    trusted = seals.trusted_checkpoints()  # the installation's own key, the default folder
    report = verify_chain(UnitOfWork(shop.engine, Actor.system(other.tenant_id)), trusted)
    assert report.ok and report.checkpoints == 1

    with admin_engine(shop.url).begin() as conn:
        conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        conn.execute(text("UPDATE audit_log SET actor_label = 'Mallory' WHERE tenant_id = :t"), {"t": other.tenant_id})
        conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))
    failed = audit_checkpoint_job.execute_in_process(resources={"ops_db": resource}, raise_on_error=False)
    assert not failed.success
    assert len(list((data_dir / "audit-checkpoints").glob("*.json"))) == 2  # acme's again, nothing new for bolt
