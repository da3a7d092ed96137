"""Preventive maintenance: plans that open service orders when they fall due."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from ops_db.assets.models import Equipment
from ops_db.customers.models import Customer
from ops_db.i18n import N_
from ops_db.kit import bounds
from ops_db.kit.errors import ValidationError
from ops_db.kit.uow import UnitOfWork
from ops_db.maintenance.models import MaintenancePlan
from ops_db.orders.models import OPEN_STAGES, Priority, ServiceLocation, ServiceOrder
from ops_db.orders.service import check_required_skill, open_order


def create_plan(
    uow: UnitOfWork,
    equipment_id: int,
    name: str,
    task: str,
    interval_days: int,
    first_due: date,
    *,
    priority: str = "normal",
    required_skill_id: int | None = None,
) -> MaintenancePlan:
    """A recurring service for one device every ``interval_days`` from ``first_due``."""
    with uow:
        uow.actor.require("maintenance.manage")
        equipment = uow.get(Equipment, equipment_id)
        check_required_skill(uow, required_skill_id)
        if not 1 <= interval_days <= 3660:
            raise ValidationError("The interval must be between 1 and 3,660 days.")
        if not (name or "").strip() or not (task or "").strip():
            raise ValidationError("Give the plan a name and a task description.")
        plan = MaintenancePlan(
            tenant_id=equipment.tenant_id,
            customer_id=equipment.customer_id,
            equipment_id=equipment.id,
            name=bounds.text(name, N_("plan name"), 200),
            task_description=task.strip(),
            priority=Priority(priority),
            required_skill_id=required_skill_id,
            interval_days=interval_days,
            next_due_on=first_due,
        )
        uow.session.add(plan)
        uow.flush()
        uow.audit("maintenance.create", "maintenance_plans", plan.id, after={"equipment_id": equipment.id})
        uow.commit()
        return plan


def generate_due_orders(uow: UnitOfWork, today: date | None = None) -> list[str]:
    """Open an order for every active plan due by ``today`` (unless one is still open) and move its next date."""
    with uow:
        uow.actor.require("maintenance.manage")
        now = uow.now()
        today = today or now.date()
        plans = (
            uow.session.execute(
                select(MaintenancePlan)
                .where(
                    MaintenancePlan.is_active,
                    MaintenancePlan.next_due_on <= today,
                    MaintenancePlan.interval_days.is_not(None),
                )
                .order_by(MaintenancePlan.id)
                .with_for_update(skip_locked=True)
            )
            .scalars()
            .all()
        )
        created: list[str] = []
        for plan in plans:
            assert plan.next_due_on is not None and plan.interval_days is not None
            still_open = uow.session.execute(
                select(ServiceOrder.id).where(
                    ServiceOrder.maintenance_plan_id == plan.id, ServiceOrder.stage.in_(OPEN_STAGES)
                )
            ).first()
            while plan.next_due_on <= today:
                plan.next_due_on += timedelta(days=plan.interval_days)
            plan.last_generated_at = now
            if still_open is not None:
                continue
            customer = uow.session.get(Customer, plan.customer_id)
            equipment = uow.session.get(Equipment, plan.equipment_id)
            assert customer is not None
            order = open_order(
                uow,
                customer,
                problem=f"Preventive maintenance: {plan.task_description}",
                priority=plan.priority,
                location=ServiceLocation.FIELD,
                request_id=None,
                now=now,
                equipment=equipment,
                skill_id=plan.required_skill_id,
                maintenance_plan_id=plan.id,
            )
            order.is_warranty_repair = False
            created.append(order.order_number)
            uow.audit("maintenance.generate", "service_orders", order.id, after={"plan_id": plan.id})
        uow.commit()
        return created
