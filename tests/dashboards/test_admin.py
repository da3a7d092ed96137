"""The Admin page (AppTest, real Postgres): users and roles, bad input as one sentence, the audit viewer and its
chain check, who gets the forms, and technicians' skill levels."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from dashboards.session import company_look, visible_pages
from ops_db.identity.service import AuthenticationFailed, authenticate, create_user, resolve_tenant
from ops_db.kit import db
from ops_db.kit.uow import Actor, UnitOfWork
from ops_db.workforce.service import set_skill
from tests.dashboards.conftest import signed_in

PAGE = "app_pages/admin.py"


def _admin_page(demo_db: str, email: str = "admin@riverside.example") -> AppTest:
    app = signed_in(demo_db, email)
    app.switch_page(PAGE).run()
    assert not app.exception, app.exception
    assert app.title[0].value == "Admin"
    return app


def _scalar(demo_db: str, sql: str, **params: object) -> object:
    with db.admin_engine(demo_db).connect() as conn:
        return conn.execute(text(sql), params).scalar()


def _users(demo_db: str) -> int:
    return int(str(_scalar(demo_db, "SELECT count(*) FROM users")))


def _system(demo_db: str) -> tuple[UnitOfWork, Actor]:
    engine = db.app_engine(demo_db)
    actor = Actor.system(resolve_tenant(engine, "riverside"), "test setup")
    return UnitOfWork(engine, actor), actor


def _one_sentence(app: AppTest) -> str:
    assert len(app.error) == 1, [e.value for e in app.error]
    message = str(app.error[0].value)
    assert message.endswith(".") and "\n" not in message and message.count(". ") == 0, message
    return message


def _fill_new_user(app: AppTest, email: str, name: str, password: str, roles: list[str]) -> None:
    app.text_input(key="new_user_email").input(email)
    app.text_input(key="new_user_name").input(name)
    app.text_input(key="new_user_password").input(password)
    for role in roles:
        app.multiselect(key="new_user_roles").select(role)
    app.button(key="create_user_submit").click().run()
    assert not app.exception, app.exception


def test_the_page_has_every_section_as_a_tab(ops_env: Path, demo_db: str) -> None:
    app = _admin_page(demo_db)
    assert [t.label for t in app.tabs] == [
        "Users",
        "Roles and permissions",
        "SLA policies",
        "Tax rates",
        "Notification templates",
        "Channels and webhooks",
        "Delivery",
        "Branding",
        "Technicians and skills",
        "Import",
        "Audit log",
    ]
    assert not app.error
    users = app.dataframe[0].value
    assert "admin@riverside.example" in set(users["email"])
    assert not {"password_hash", "secret_encrypted"} & set(users.columns)
    assert {"roles", "locked", "totp_enrolled", "last_login_at"} <= set(users.columns)
    matrix = next(d.value for d in app.dataframe if "permission" in d.value.columns)
    auditor = matrix.set_index("permission")["auditor"]
    assert auditor["audit.verify"] and not auditor["identity.manage_users"]
    sla = next(d.value for d in app.dataframe if "resolution" in d.value.columns)
    assert set(sla["priority"]) == {"emergency", "high", "normal", "low"}
    assert set(sla["business_hours"]) == {"Mon–Fri 08:00–18:00"}


def test_the_admin_creates_a_user_with_a_role(ops_env: Path, demo_db: str) -> None:
    app = _admin_page(demo_db)
    email = f"new.dispatcher.{uuid.uuid4().hex[:6]}@riverside.example"
    _fill_new_user(app, email, "Noor Dispatcher", "a-good-pass-1", ["dispatcher"])
    assert not app.error, [e.value for e in app.error]
    assert app.success[0].value.startswith(email)
    with db.admin_engine(demo_db).connect() as conn:
        roles = [
            str(r.code)
            for r in conn.execute(
                text(
                    "SELECT r.code FROM users u JOIN role_grants g ON g.user_id = u.id JOIN roles r"
                    " ON r.id = g.role_id "
                    "WHERE u.email = :e"
                ),
                {"e": email},
            )
        ]
    assert roles == ["dispatcher"]
    assert email in set(app.dataframe[0].value["email"])  # the list is read after the change
    engine = db.app_engine(demo_db)
    signed_in = authenticate(engine, resolve_tenant(engine, "riverside"), email, "a-good-pass-1").actor
    assert signed_in.roles == {"dispatcher"}


def test_a_duplicate_email_is_refused_with_one_sentence_and_no_row_added(ops_env: Path, demo_db: str) -> None:
    app = _admin_page(demo_db)
    before = _users(demo_db)
    _fill_new_user(app, "Manager@Riverside.example", "Second Manager", "a-good-pass-1", ["front_desk"])
    assert _one_sentence(app) == "A user with that email already exists."
    assert not app.success
    assert _users(demo_db) == before


@pytest.mark.parametrize(
    ("email", "roles", "message"),
    [
        ("", ["front_desk"], "Give a valid email address."),
        ("not-an-email", ["front_desk"], "Give a valid email address."),
        ("no.roles@riverside.example", [], "Give the user at least one role."),
    ],
)
def test_bad_user_input_is_one_sentence_and_changes_nothing(
    ops_env: Path, demo_db: str, email: str, roles: list[str], message: str
) -> None:
    app = _admin_page(demo_db)
    before = _users(demo_db)
    _fill_new_user(app, email, "Somebody", "a-good-pass-1", roles)
    assert _one_sentence(app) == message
    assert _users(demo_db) == before


def test_roles_carrying_permissions_the_manager_lacks_are_not_offered(ops_env: Path, demo_db: str) -> None:
    app = _admin_page(demo_db, "manager@riverside.example")
    offered = set(app.multiselect(key="new_user_roles").options)
    assert "front desk" in offered and "manager" in offered  # the options read as words
    assert "admin" not in offered  # admin carries identity.manage_roles, which a manager lacks
    assert "customer" not in offered  # customer logins belong to a customer record


def test_the_admin_grants_more_roles_and_an_empty_choice_is_one_sentence(ops_env: Path, demo_db: str) -> None:
    uow, _ = _system(demo_db)
    email = f"granted.{uuid.uuid4().hex[:6]}@riverside.example"
    user = create_user(uow, email, "Gina Granted", "a-good-pass-1", ["inventory"])
    app = _admin_page(demo_db)
    label = next(o for o in app.selectbox(key="grant_user").options if o.startswith(email))
    app.selectbox(key="grant_user").select(label)
    app.button(key="grant_submit").click().run()
    assert _one_sentence(app) == "Choose at least one role to grant."
    app.multiselect(key="grant_roles").select("finance")
    app.button(key="grant_submit").click().run()
    assert not app.exception and not app.error
    with db.admin_engine(demo_db).connect() as conn:
        roles = [
            str(r.code)
            for r in conn.execute(
                text(
                    "SELECT r.code FROM role_grants g JOIN roles r ON r.id = g.role_id WHERE g.user_id = :u ORDER BY 1"
                ),
                {"u": user.id},
            )
        ]
    assert roles == ["finance", "inventory"]
    shown = app.dataframe[0].value
    assert shown.loc[shown["email"] == email, "roles"].iloc[0] == "finance, inventory"


def test_the_admin_unlocks_a_locked_account(ops_env: Path, demo_db: str) -> None:
    uow, actor = _system(demo_db)
    email = f"locked.{uuid.uuid4().hex[:6]}@riverside.example"
    user = create_user(uow, email, "Lou Locked", "right-pass-1", ["front_desk"])
    engine = db.app_engine(demo_db)
    # Failed sign-ins slow the account down (issue 17: no lockout at will); the throttle's clock runs an hour
    # ahead, so the block outlasts however slowly the page below loads.
    ahead = datetime.now(UTC) + timedelta(hours=1)
    for _ in range(5):
        with pytest.raises(AuthenticationFailed):
            authenticate(engine, actor.tenant_id, email, "wrong-pass-1", clock=lambda: ahead)
    assert (
        _scalar(demo_db, "SELECT max(blocked_until) > now() FROM sign_in_throttles WHERE email = :e", e=email) is True
    )
    app = _admin_page(demo_db)
    label = next(o for o in app.selectbox(key="unlock_user").options if o.startswith(email))
    app.selectbox(key="unlock_user").select(label)
    app.button(key="unlock_submit").click().run()
    assert not app.exception and not app.error
    assert app.success[0].value == f"{email} can sign in again."
    assert _scalar(demo_db, "SELECT locked_until FROM users WHERE id = :u", u=user.id) is None
    assert authenticate(engine, actor.tenant_id, email, "right-pass-1").actor.user_id == user.id
    from ops_db.identity.service import unlock_user
    from ops_db.kit.errors import Conflict

    audits = _scalar(demo_db, "SELECT count(*) FROM audit_log WHERE action = 'user.unlock'")
    with pytest.raises(Conflict, match="is not locked; they can sign in"):
        unlock_user(_system(demo_db)[0], user.id)  # unlocking again changes nothing and is not audited
    assert _scalar(demo_db, "SELECT count(*) FROM audit_log WHERE action = 'user.unlock'") == audits


def test_the_audit_viewer_lists_rows_newest_first_and_filters_by_table(ops_env: Path, demo_db: str) -> None:
    uow, _ = _system(demo_db)
    create_user(
        uow, f"audited.{uuid.uuid4().hex[:6]}@riverside.example", "Audited Person", "a-good-pass-1", ["inventory"]
    )
    tech = int(str(_scalar(demo_db, "SELECT min(id) FROM technicians")))
    set_skill(_system(demo_db)[0], tech, "tv", 2)
    app = _admin_page(demo_db, "auditor@riverside.example")
    records = app.dataframe[-1].value
    assert {"users", "technicians"} <= set(records["table"])
    assert list(records["id"]) == sorted(records["id"], reverse=True)
    assert len(records) == min(500, int(str(_scalar(demo_db, "SELECT count(*) FROM audit_log"))))

    app.selectbox(key="audit_table").select("technicians").run()
    assert not app.exception and not app.error
    technicians = app.dataframe[-1].value
    assert set(technicians["table"]) == {"technicians"}
    expected = int(str(_scalar(demo_db, "SELECT count(*) FROM audit_log WHERE entity = 'technicians'")))
    assert len(technicians) == min(500, expected)
    assert technicians.iloc[0]["action"] == "technician.skill"


def test_the_audit_filters_by_action_actor_and_a_day_range(ops_env: Path, demo_db: str) -> None:
    uow, _ = _system(demo_db)
    create_user(uow, f"ranged.{uuid.uuid4().hex[:6]}@riverside.example", "Ranged Person", "a-good-pass-1", ["finance"])
    today = _scalar(demo_db, "SELECT (now() AT TIME ZONE 'America/Chicago')::date")
    assert isinstance(today, date)
    app = _admin_page(demo_db, "auditor@riverside.example")
    app.selectbox(key="audit_action").select("user.create")
    app.selectbox(key="audit_actor").select("test setup")
    app.date_input(key="audit_from").set_value(today)
    app.date_input(key="audit_to").set_value(today).run()
    assert not app.exception and not app.error
    rows = app.dataframe[-1].value
    assert len(rows) >= 1 and set(rows["action"]) == {"user.create"} and set(rows["actor"]) == {"test setup"}

    app.date_input(key="audit_from").set_value(today + timedelta(days=1)).run()
    assert _one_sentence(app) == "The “From” day is after the “To” day."


def test_verify_the_audit_chain_reports_ok(ops_env: Path, demo_db: str) -> None:
    tech = int(str(_scalar(demo_db, "SELECT max(id) FROM technicians")))
    set_skill(_system(demo_db)[0], tech, "printer", 4)
    app = _admin_page(demo_db, "auditor@riverside.example")
    app.button(key="verify_chain").click().run()
    assert not app.exception and not app.error
    message = app.success[0].value
    found = re.fullmatch(r"The audit chain is intact: ([\d,]+) records checked\.", message)
    assert found, message
    assert int(found.group(1).replace(",", "")) == int(str(_scalar(demo_db, "SELECT count(*) FROM audit_log")))


def test_the_auditor_sees_the_page_but_no_forms(ops_env: Path, demo_db: str) -> None:
    app = _admin_page(demo_db, "auditor@riverside.example")
    assert not app.error
    assert len(app.tabs) == 11
    assert "admin@riverside.example" in set(app.dataframe[0].value["email"])
    buttons = {b.key for b in app.button}
    assert "create_user_submit" not in buttons and "grant_submit" not in buttons
    assert "skill_submit" not in buttons
    assert "verify_chain" in buttons
    assert "new_user_email" not in {t.key for t in app.text_input}


def test_front_desk_does_not_get_the_admin_page(ops_env: Path, demo_db: str) -> None:
    app = signed_in(demo_db, "frontdesk@riverside.example")
    assert not app.exception
    assert "app_pages/admin.py" not in {p.path for p in visible_pages(app.session_state["actor"])}


def _skill_form(app: AppTest, skill: str, level: int) -> tuple[int, str]:
    label = app.selectbox(key="skill_technician").options[0]
    tech_id = int(re.search(r"\(#(\d+)\)", label).group(1))  # type: ignore[union-attr]
    app.selectbox(key="skill_technician").select(label)
    app.selectbox(key="skill_code").set_value(skill)
    app.number_input(key="skill_level").set_value(level)
    app.button(key="skill_submit").click().run()
    assert not app.exception, app.exception
    return tech_id, label


def _level(demo_db: str, tech_id: int, skill: str) -> object:
    return _scalar(
        demo_db,
        "SELECT ts.level FROM technician_skills ts JOIN skills s ON s.id = ts.skill_id "
        "WHERE ts.technician_id = :t AND s.code = :c",
        t=tech_id,
        c=skill,
    )


def test_setting_a_skill_level_changes_technician_skills(ops_env: Path, demo_db: str) -> None:
    app = _admin_page(demo_db)
    first = app.selectbox(key="skill_technician").options[0]
    tech = int(re.search(r"\(#(\d+)\)", first).group(1))  # type: ignore[union-attr]
    level = 1 if _level(demo_db, tech, "console") != 1 else 2
    tech_id, _ = _skill_form(app, "console", level)
    assert not app.error, [e.value for e in app.error]
    assert _level(demo_db, tech_id, "console") == level
    matrix = next(d.value for d in app.dataframe if "console" in d.value.columns)
    name = str(_scalar(demo_db, "SELECT name FROM technicians WHERE id = :t", t=tech_id))
    assert int(matrix.loc[matrix["name"] == name, "console"].iloc[0]) == level


def test_a_skill_level_out_of_range_is_one_sentence_and_changes_nothing(ops_env: Path, demo_db: str) -> None:
    app = _admin_page(demo_db)
    first = app.selectbox(key="skill_technician").options[0]
    tech = int(re.search(r"\(#(\d+)\)", first).group(1))  # type: ignore[union-attr]
    before = _level(demo_db, tech, "hvac")
    _skill_form(app, "hvac", 7)
    assert _one_sentence(app) == "A skill level is from 1 to 5."
    assert _level(demo_db, tech, "hvac") == before


def _submit(app: AppTest, label: str) -> None:
    [button] = [b for b in app.button if b.label == label]
    button.click().run()
    assert not app.exception, app.exception


def test_the_admin_adds_a_tax_rate_and_a_bad_rate_is_one_sentence(ops_env: Path, demo_db: str) -> None:
    app = _admin_page(demo_db)
    app.text_input(key="tax_code").input("red5")
    app.text_input(key="tax_name").input("Reduced")
    app.text_input(key="tax_rate").input("abc")
    _submit(app, "Save the rate")
    assert "number of percent" in _one_sentence(app)
    assert _scalar(demo_db, "SELECT count(*) FROM tax_rates WHERE code = 'RED5'") == 0
    app.text_input(key="tax_rate").input("5,5")
    _submit(app, "Save the rate")
    assert not app.error
    assert app.success[0].value == "Tax rate RED5 saved."
    assert str(_scalar(demo_db, "SELECT rate_pct FROM tax_rates WHERE code = 'RED5'")) == "5.500"


def test_the_admin_changes_the_colour_and_an_sla_target(ops_env: Path, demo_db: str) -> None:
    app = _admin_page(demo_db)
    app.color_picker(key="company_colour").pick("#123456")
    app.text_input(key="company_logo").input("RIVER")
    _submit(app, "Save the settings")
    assert not app.error
    assert (
        _scalar(demo_db, "SELECT branding->>'primary_color' || ' ' || (branding->>'logo_text') FROM tenants")
        == "#123456 RIVER"
    )
    look = company_look(resolve_tenant(db.app_engine(demo_db), "riverside"))  # what every page now wears
    assert (look.color, look.logo_text) == ("#123456", "RIVER")
    policy = app.selectbox(key="sla_policy").value
    app.number_input(key="sla_response").set_value(45)
    _submit(app, "Save the policy")
    assert not app.error
    assert _scalar(demo_db, "SELECT response_minutes FROM sla_policies WHERE id = :p", p=policy) == 45


def test_a_notification_text_with_an_unknown_field_is_refused_then_saved(ops_env: Path, demo_db: str) -> None:
    app = _admin_page(demo_db)
    app.selectbox(key="template_event").select("ready_for_pickup")
    app.selectbox(key="template_channel").select("sms")
    app.text_input(key="template_locale").input("ru")
    app.text_area(key="template_body").input("{customer} заберите заказ")
    _submit(app, "Save the text")
    assert "cannot use {customer}" in _one_sentence(app)
    app.text_area(key="template_body").input("Заказ {order_number} готов к выдаче.")
    _submit(app, "Save the text")
    assert not app.error
    assert (
        _scalar(
            demo_db,
            "SELECT body FROM notification_templates WHERE event = 'ready_for_pickup' "
            "AND channel = 'sms' AND locale = 'ru'",
        )
        == "Заказ {order_number} готов к выдаче."
    )


def test_the_auditor_gets_no_settings_forms(ops_env: Path, demo_db: str) -> None:
    app = _admin_page(demo_db, "auditor@riverside.example")
    keys = {t.key for t in app.text_input}
    assert not keys & {"tax_code", "company_name", "template_locale"}
    assert "sla_policy" not in {s.key for s in app.selectbox}


def test_the_admin_sets_an_sms_channel_and_adds_a_webhook(ops_env: Path, demo_db: str) -> None:
    app = _admin_page(demo_db)
    app.text_input(key="channel_url").input("nonsense://gateway/{address}")
    _submit(app, "Save the channel")
    assert "Apprise does not understand" in _one_sentence(app)
    app.text_input(key="channel_url").input("json://127.0.0.1:9/sms/{address}")
    _submit(app, "Save the channel")
    assert not app.error
    assert (
        _scalar(demo_db, "SELECT channel || ' ' || split_part(apprise_url, '://', 1) FROM notification_channels")
        == "sms json"
    )
    app.text_input(key="webhook_url").input("https://erp.example/repairops")
    _submit(app, "Add the endpoint")
    assert not app.error and any(c.value.startswith("whsec_") for c in app.code)
    assert _scalar(demo_db, "SELECT url FROM webhook_endpoints") == "https://erp.example/repairops"


def test_a_given_up_message_is_listed_with_its_error_and_sent_again(ops_env: Path, demo_db: str) -> None:
    from datetime import UTC, datetime

    from ops_db.comms.service import notify_customer

    uow, _actor = _system(demo_db)
    customer_id = int(str(_scalar(demo_db, "SELECT id FROM customers WHERE email IS NOT NULL ORDER BY id LIMIT 1")))
    with uow:
        message = notify_customer(uow, "ready_for_pickup", customer_id, {"order_number": "RO-DEAD-1"})
        uow.commit()
        assert message is not None
        message_id = message.id
    with db.admin_engine(demo_db).begin() as conn:
        conn.execute(
            text("UPDATE notification_outbox SET status = 'dead', attempts = 6 WHERE id = :m"), {"m": message_id}
        )
        conn.execute(
            text(
                "INSERT INTO delivery_attempts (tenant_id, outbox_id, attempted_at, succeeded, error)"
                " SELECT tenant_id, id, :at, false, '550 mailbox unavailable' FROM notification_outbox"
                " WHERE id = :m"
            ),
            {"m": message_id, "at": datetime.now(UTC)},
        )
    app = _admin_page(demo_db)
    undelivered = next(f.value for f in app.dataframe if "last_error" in f.value.columns)
    assert "550 mailbox unavailable" in set(undelivered["last_error"])
    app.multiselect(key="retry_messages").select(message_id)
    app.button(key="retry_messages_submit").click().run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    assert _scalar(demo_db, "SELECT status FROM notification_outbox WHERE id = :m", m=message_id) == "pending"
    assert _scalar(demo_db, "SELECT count(*) FROM audit_log WHERE action = 'delivery.requeued'") == 1
