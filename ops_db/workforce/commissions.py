"""What a technician earned over a period from completed work, by the company's commission rules."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select, text

from ops_db.kit.errors import ValidationError
from ops_db.kit.uow import UnitOfWork
from ops_db.workforce.models import CommissionRule
from ops_db.workforce.roster import _technician


def commission(uow: UnitOfWork, technician_id: int, period_start: date, period_end: date) -> dict[str, Any]:
    """What a technician earned over a period from completed work: base per job + labour share + bonus."""
    with uow:
        actor = uow.actor
        if actor.technician_id != technician_id:
            actor.require("workforce.commissions")
        if period_end < period_start:
            raise ValidationError("The period must end after it starts.")
        _technician(uow, technician_id)
        rule = (
            uow.session.execute(
                select(CommissionRule)
                .where(
                    (CommissionRule.technician_id == technician_id) | CommissionRule.technician_id.is_(None),
                    CommissionRule.valid_from <= period_end,
                    (CommissionRule.valid_to.is_(None)) | (CommissionRule.valid_to >= period_start),
                )
                .order_by(CommissionRule.technician_id.is_(None), CommissionRule.valid_from.desc())
            )
            .scalars()
            .first()
        )
        row = uow.session.execute(
            text(
                "SELECT count(*) AS jobs, COALESCE(sum(l.labour), 0) AS labour FROM service_orders o"
                " LEFT JOIN LATERAL (SELECT sum(round(quantity * unit_price, 2)) AS labour FROM order_lines"
                "   WHERE order_id = o.id AND kind IN ('labour', 'service')) l ON true"
                " WHERE o.assigned_technician_id = :t AND o.completed_at >= :a AND o.completed_at < :b"
            ),
            {"t": technician_id, "a": period_start, "b": period_end + timedelta(days=1)},
        ).one()
        jobs, labour = int(row.jobs), Decimal(row.labour)
        if rule is None:
            return {
                "technician_id": technician_id,
                "jobs": jobs,
                "labour_revenue": labour,
                "base": Decimal(0),
                "share": Decimal(0),
                "bonus": Decimal(0),
                "total": Decimal(0),
            }
        base = rule.base_per_job * jobs
        share = (labour * rule.labour_pct / 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
        bonus = (
            rule.bonus_amount
            if rule.bonus_jobs_threshold is not None and jobs >= rule.bonus_jobs_threshold
            else Decimal(0)
        )
        return {
            "technician_id": technician_id,
            "jobs": jobs,
            "labour_revenue": labour,
            "base": base,
            "share": share,
            "bonus": bonus,
            "total": base + share + bonus,
        }
