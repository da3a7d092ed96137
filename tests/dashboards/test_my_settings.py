"""My settings in the UI (AppTest, real Postgres): a person's language is kept on their account and their next
sign-in opens in it; an authenticator app is set up with a real TOTP code and sign-in then asks for one; staff
choose their emails and a digest time; a customer chooses how the shop contacts them. Each test makes its own
people, so the shared demo logins stay as they are."""

from __future__ import annotations

import time
import uuid
from datetime import time as clock
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pyotp
import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from ops_db.identity.service import AuthenticationFailed, authenticate, create_user, resolve_tenant
from ops_db.kit import db
from ops_db.kit.uow import Actor, UnitOfWork
from tests.dashboards.conftest import APP

PASSWORD = "settings-pass-1"
PAGE = "app_pages/my_settings.py"


def _new_login(demo_db: str, roles: list[str], *, customer_id: int | None = None) -> str:
    """A new login of the demo company; returns its email."""
    engine = db.app_engine(demo_db)
    email = f"settings-{uuid.uuid4().hex[:8]}@riverside.example"
    create_user(
        UnitOfWork(engine, Actor.system(resolve_tenant(engine, "riverside"))),
        email,
        "Sam Settings",
        PASSWORD,
        roles,
        customer_id=customer_id,
    )
    return email


def _sign_in_on_the_page(email: str, code: str = "") -> AppTest:
    """A new browser session that signs in through the sign-in form."""
    app = AppTest.from_file(APP, default_timeout=120).run()
    app.text_input[1].input(email)
    app.text_input[2].input(PASSWORD)
    if code:
        app.text_input[3].input(code)
    app.button[0].click().run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    return app


def _row(demo_db: str, sql: str, **params: object) -> tuple[Any, ...]:
    with db.admin_engine(demo_db).connect() as conn:
        return conn.execute(text(sql), params).tuples().one()


def test_the_language_picked_is_kept_and_the_next_sign_in_opens_in_it(ops_env: Path, demo_db: str) -> None:
    email = _new_login(demo_db, ["dispatcher"])
    app = _sign_in_on_the_page(email)
    assert app.title[0].value == "Today"
    app.selectbox(key="ui_locale").select("pt_BR").run()
    assert not app.exception and app.title[0].value == "Hoje"
    assert _row(demo_db, "SELECT locale FROM users WHERE email = :e", e=email) == ("pt_BR",)
    assert _row(
        demo_db,
        "SELECT count(*) FROM audit_log WHERE action = 'user.language' AND after->>'locale' = "
        "'pt_BR' AND entity_id = (SELECT id FROM users WHERE email = :e)",
        e=email,
    ) == (1,)
    again = _sign_in_on_the_page(email)  # another day, another browser
    assert again.selectbox(key="ui_locale").value == "pt_BR" and again.title[0].value == "Hoje"


def test_an_authenticator_app_is_set_up_with_a_real_code_and_sign_in_then_asks_for_one(
    ops_env: Path, demo_db: str
) -> None:
    email = _new_login(demo_db, ["front_desk"])
    app = _sign_in_on_the_page(email)
    app.switch_page(PAGE).run()
    app.button(key="totp_start").click().run()
    assert not app.exception and len(app.image) == 1  # the QR code
    secret = parse_qs(urlparse(app.session_state["totp_setup_uri"]).query)["secret"][0]
    assert secret in app.markdown[-1].value or any(secret in m.value for m in app.markdown)
    app.text_input(key="totp_code").input("000000")
    app.button(key="totp_confirm_submit").click().run()
    assert [e.value for e in app.error] == ["That code is not valid; check the time on your phone and try again."]
    assert _row(
        demo_db,
        "SELECT confirmed_at IS NULL FROM totp_secrets t JOIN users u ON u.id = t.user_id WHERE u.email = :e",
        e=email,
    ) == (True,)
    app.text_input(key="totp_code").input(pyotp.TOTP(secret).now())
    app.button(key="totp_confirm_submit").click().run()
    assert not app.exception and not app.error
    assert app.success[0].value == "Your sign-in asks for a 6-digit code from your authenticator app."
    engine = db.app_engine(demo_db)
    tenant = resolve_tenant(engine, "riverside")
    with pytest.raises(AuthenticationFailed, match="6-digit code"):
        authenticate(engine, tenant, email, PASSWORD)
    # The code of the next 30-second step (the one just used cannot be replayed).
    assert authenticate(engine, tenant, email, PASSWORD, pyotp.TOTP(secret).at(time.time() + 30)).actor


def test_staff_choose_their_emails_and_a_daily_digest(ops_env: Path, demo_db: str) -> None:
    email = _new_login(demo_db, ["manager"])
    app = _sign_in_on_the_page(email)
    app.switch_page(PAGE).run()
    assert not app.exception and app.subheader[-1].value == "Email notifications"
    app.checkbox(key="email_message_received").uncheck()
    app.radio(key="email_when").set_value("digest")
    app.time_input(key="email_digest_at").set_value(clock(7, 45))
    app.button(key="email_submit").click().run()
    assert not app.exception and not app.error
    assert _row(demo_db, "SELECT email_digest_at FROM users WHERE email = :e", e=email) == (clock(7, 45),)
    with db.admin_engine(demo_db).connect() as conn:
        muted = (
            conn.execute(
                text(
                    "SELECT p.event FROM notification_preferences p JOIN users u ON u.id = p.user_id"
                    " WHERE u.email = :e AND NOT p.enabled"
                ),
                {"e": email},
            )
            .scalars()
            .all()
        )
    assert muted == ["message_received"]
    app.switch_page(PAGE).run()  # the page shows what was saved
    assert app.radio(key="email_when").value == "digest" and not app.checkbox(key="email_message_received").value


def test_a_customer_chooses_how_the_shop_contacts_them(ops_env: Path, demo_db: str) -> None:
    customer_id = _row(demo_db, "SELECT id FROM customers WHERE phone IS NOT NULL ORDER BY id DESC LIMIT 1")[0]
    email = _new_login(demo_db, ["customer"], customer_id=int(customer_id))
    app = _sign_in_on_the_page(email)
    app.switch_page(PAGE).run()
    assert not app.exception and app.subheader[-1].value == "How we contact you"
    app.selectbox(key="contact_channel").select("sms")
    app.selectbox(key="contact_language").select("zh_CN")
    app.checkbox(key="contact_quiet").check()
    app.time_input(key="contact_quiet_from").set_value(clock(22, 0))
    app.time_input(key="contact_quiet_until").set_value(clock(7, 0))
    app.button(key="contact_submit").click().run()
    assert not app.exception and not app.error
    assert _row(
        demo_db,
        "SELECT channel, language, quiet_hours_start, quiet_hours_end FROM customer_preferences WHERE customer_id = :c",
        c=customer_id,
    ) == ("sms", "zh_CN", clock(22, 0), clock(7, 0))


def test_the_bell_counts_new_notifications_and_opens_the_order_they_are_about(ops_env: Path, demo_db: str) -> None:
    from ops_db.comms.service import notify_user

    email = _new_login(demo_db, ["manager"])
    user_id, order_id, number = _row(
        demo_db,
        "SELECT u.id, o.id, o.order_number FROM users u, service_orders o WHERE u.email = :e ORDER BY o.id LIMIT 1",
        e=email,
    )
    engine = db.app_engine(demo_db)
    uow = UnitOfWork(engine, Actor.system(resolve_tenant(engine, "riverside")))
    with uow:
        notify_user(
            uow, "sla_breached", int(user_id), {"order_number": number, "kind": "resolution"}, order_id=int(order_id)
        )
        uow.commit()
    app = _sign_in_on_the_page(email)
    from tests.dashboards.test_languages import _nodes

    bells = [node.proto.popover.label for node in _nodes(app._tree) if getattr(node, "type", "") == "popover"]
    assert bells == ["Notifications: 1 new"]
    app.button(key=f"inbox_open_{_row(demo_db, 'SELECT max(id) FROM in_app_notifications')[0]}").click().run()
    assert not app.exception
    assert app.title[0].value == "Order" and app.text_input(key="order_number_input").value == number
    assert _row(
        demo_db, "SELECT count(*) FROM in_app_notifications WHERE user_id = :u AND read_at IS NULL", u=user_id
    ) == (0,)


def test_a_company_that_requires_a_second_factor_has_newcomers_set_it_up_at_their_first_sign_in(
    ops_env: Path, demo_db: str
) -> None:
    from ops_db.identity.tenants import TenantIn, provision_tenant

    engine = db.app_engine(demo_db)
    provision_tenant(
        engine,
        TenantIn(
            slug="strict",
            name="Strict Repairs",
            admin_email="admin@strict.example",
            admin_password=PASSWORD,
            require_totp=True,
        ),
    )
    with pytest.raises(AuthenticationFailed, match="set up an authenticator app on My settings first"):
        authenticate(engine, resolve_tenant(engine, "strict"), "admin@strict.example", PASSWORD)  # the API's way
    app = AppTest.from_file(APP, default_timeout=120).run()
    app.text_input[0].input("strict")
    app.text_input[1].input("admin@strict.example")
    app.text_input[2].input(PASSWORD)
    app.button[0].click().run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    from dashboards.session import visible_pages

    assert [p.title for p in visible_pages(app.session_state["actor"])] == ["My settings"]  # nothing else yet
    assert app.title[0].value == "My settings" and app.warning[0].value.startswith("Your company requires")
    app.button(key="totp_start").click().run()
    secret = parse_qs(urlparse(app.session_state["totp_setup_uri"]).query)["secret"][0]
    app.text_input(key="totp_code").input(pyotp.TOTP(secret).now())
    app.button(key="totp_confirm_submit").click().run()
    assert not app.exception and not app.error
    actor = app.session_state["actor"]
    assert not actor.second_factor_pending and "Admin" in [p.title for p in visible_pages(actor)]
    signed = authenticate(
        engine,
        resolve_tenant(engine, "strict"),
        "admin@strict.example",
        PASSWORD,
        pyotp.TOTP(secret).at(time.time() + 30),
    )
    assert signed.token and signed.actor.can("identity.manage_users")
