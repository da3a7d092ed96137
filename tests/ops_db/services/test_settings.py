"""Company settings from the Admin page: branding and security, tax rates, SLA targets, notification texts.
Each change is audited; bad input and the wrong person are one sentence and change nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text

from ops_db.billing.service import save_tax_rate
from ops_db.comms.service import render, save_template, template_fields
from ops_db.identity.tenants import CompanyIn, update_company
from ops_db.kit.errors import Conflict, NotFound, PermissionDenied, ValidationError
from ops_db.sla.service import update_policy
from tests.conftest import Shop


def _one(shop: Shop, sql: str, **params: object) -> tuple[Any, ...]:
    with shop.uow() as uow:
        return tuple(uow.session.execute(text(sql), params).one())


def _audits(shop: Shop, action: str) -> int:
    return int(_one(shop, "SELECT count(*) FROM audit_log WHERE action = :a", a=action)[0])


def test_the_admin_rebrands_the_company_and_tightens_sign_in(shop: Shop) -> None:
    admin = shop.person("admin")
    update_company(
        shop.uow(admin),
        CompanyIn(
            "Acme Ремонт",
            legal_name="Acme LLC",
            tax_number="US-1",
            primary_color="#AA3300",
            logo_text="ACME",
            require_totp=True,
            max_failed_logins=3,
        ),
    )
    row = _one(
        shop,
        "SELECT name, legal_name, branding->>'primary_color', branding->>'logo_text', require_totp, "
        "max_failed_logins FROM tenants",
    )
    assert row == ("Acme Ремонт", "Acme LLC", "#aa3300", "ACME", True, 3)
    assert _audits(shop, "company.settings") == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": "  "}, "company name cannot be empty"),
        ({"name": "x" * 201}, "too long"),
        ({"primary_color": "red"}, "hex colour"),
        ({"max_failed_logins": 0}, "between 3 and 20"),
        ({"max_failed_logins": True}, "between 3 and 20"),
    ],
)
def test_bad_company_settings_change_nothing(shop: Shop, change: dict[str, object], message: str) -> None:
    before = _one(shop, "SELECT name, branding::text, max_failed_logins FROM tenants")
    data = {"name": "Acme", **change}
    with pytest.raises(ValidationError, match=message):
        update_company(shop.uow(), CompanyIn(**data))  # type: ignore[arg-type]
    assert _one(shop, "SELECT name, branding::text, max_failed_logins FROM tenants") == before


def test_company_settings_are_for_admins_and_managers_only(shop: Shop) -> None:
    update_company(shop.uow(shop.person("manager")), CompanyIn("Acme by the manager"))
    for role in ("front_desk", "finance", "auditor"):
        with pytest.raises(PermissionDenied):
            update_company(shop.uow(shop.person(role)), CompanyIn("Hijacked"))
    assert _one(shop, "SELECT name FROM tenants") == ("Acme by the manager",)


def test_a_new_default_tax_rate_takes_over_and_old_lines_keep_theirs(shop: Shop) -> None:
    admin = shop.person("admin")
    rate = save_tax_rate(shop.uow(admin), "vat20", "VAT standard", "20,5", is_default=True)
    assert (rate.code, rate.rate_pct, rate.is_default) == ("VAT20", Decimal("20.5"), True)
    assert _one(shop, "SELECT count(*) FROM tax_rates WHERE is_default") == (1,)
    save_tax_rate(shop.uow(admin), "VAT20", "VAT standard", "21")
    with pytest.raises(Conflict, match="default rate"):
        save_tax_rate(shop.uow(admin), "VAT20", "VAT standard", "21", is_default=False)
    assert _one(shop, "SELECT rate_pct, is_default FROM tax_rates WHERE code = 'VAT20'") == (Decimal("21.000"), True)
    assert _audits(shop, "tax_rate.saved") == 2


@pytest.mark.parametrize(
    ("code", "rate", "message"),
    [
        ("", "5", "tax code"),
        ("VAT 5", "5", "tax code"),
        ("V5", "-1", "between 0 and 100"),
        ("V5", "101", "between 0 and 100"),
        ("V5", "abc", "must be a number"),
        ("V5", "5.0001", "3 decimals"),
        ("V5", "NaN", "between 0 and 100"),
        ("V5", "1e999", "between 0 and 100"),
    ],
)
def test_bad_tax_rates_change_nothing(shop: Shop, code: str, rate: str, message: str) -> None:
    before = _one(shop, "SELECT count(*), sum(rate_pct) FROM tax_rates")
    with pytest.raises(ValidationError, match=message):
        save_tax_rate(shop.uow(), code, "Reduced", rate)
    with pytest.raises(PermissionDenied):
        save_tax_rate(shop.uow(shop.person("finance")), "V5", "Reduced", "5")
    assert _one(shop, "SELECT count(*), sum(rate_pct) FROM tax_rates") == before


def test_sla_targets_change_for_new_orders_and_bad_targets_are_refused(shop: Shop) -> None:
    policy_id = int(_one(shop, "SELECT id FROM sla_policies WHERE priority = 'high' ORDER BY id LIMIT 1")[0])
    update_policy(
        shop.uow(shop.person("manager")), policy_id, response_minutes=120, resolution_minutes=960, at_risk_pct=70
    )
    assert _one(
        shop, "SELECT response_minutes, resolution_minutes, at_risk_pct FROM sla_policies WHERE id = :p", p=policy_id
    ) == (120, 960, 70)
    for response, resolution, risk, message in (
        (0, 60, 80, "response target"),
        (120, 60, 80, "cannot be shorter"),
        (60, 10**9, 80, "resolution target"),
        (60, 120, 100, "1 and 99"),
    ):
        with pytest.raises(ValidationError, match=message):
            update_policy(
                shop.uow(), policy_id, response_minutes=response, resolution_minutes=resolution, at_risk_pct=risk
            )
    with pytest.raises(NotFound):
        update_policy(shop.uow(), policy_id + 999, response_minutes=60, resolution_minutes=120, at_risk_pct=80)
    with pytest.raises(PermissionDenied):
        update_policy(
            shop.uow(shop.person("front_desk")), policy_id, response_minutes=1, resolution_minutes=2, at_risk_pct=50
        )
    assert _one(shop, "SELECT response_minutes FROM sla_policies WHERE id = :p", p=policy_id) == (120,)
    assert _audits(shop, "sla_policy.updated") == 1


def test_a_company_text_replaces_the_built_in_one_and_checks_its_fields(shop: Shop) -> None:
    assert template_fields("ready_for_pickup") == ["order_number"]
    admin = shop.person("admin")
    save_template(shop.uow(admin), "ready_for_pickup", "sms", "ru", None, "Заказ {order_number} готов.")
    save_template(shop.uow(admin), "ready_for_pickup", "sms", "ru", None, "Заказ {order_number} готов!")
    body = _one(shop, "SELECT body FROM notification_templates WHERE event = 'ready_for_pickup' AND locale = 'ru'")
    assert body == ("Заказ {order_number} готов!",)
    assert render(str(body[0]), {"order_number": "RO-1"}) == "Заказ RO-1 готов!"
    before = _one(shop, "SELECT count(*), string_agg(body, '|') FROM notification_templates")
    for args, message in (
        (("ready_for_pickup", "sms", "ru", None, "{customer_name} come"), "cannot use {customer_name}"),
        (("ready_for_pickup", "sms", "ru", None, "Broken {order_number"), "unmatched"),
        (("ready_for_pickup", "sms", "russian", None, "x"), "language"),
        (("ready_for_pickup", "fax", "ru", None, "x"), "channel"),
        (("party", "sms", "ru", None, "x"), "no notification event"),
        (("ready_for_pickup", "sms", "ru", None, " "), "1 to 5,000"),
        (("ready_for_pickup", "sms", "ru", None, "x" * 5001), "1 to 5,000"),
    ):
        with pytest.raises(ValidationError, match=message):
            save_template(shop.uow(admin), *args)
    with pytest.raises(PermissionDenied):
        save_template(shop.uow(shop.person("front_desk")), "ready_for_pickup", "sms", "ru", None, "x")
    assert _one(shop, "SELECT count(*), string_agg(body, '|') FROM notification_templates") == before
