"""Notifications in the customer's language, the catalogs' merge fields, and customer preferences."""

from __future__ import annotations

import string
from datetime import time

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import text

from ops_db import i18n
from ops_db.comms.service import DEFAULT_TEMPLATES, built_in_text, notify_customer
from ops_db.customers.schemas import CustomerIn
from ops_db.customers.service import create_customer, set_preferences
from ops_db.kit.db import admin_engine
from ops_db.kit.errors import PermissionDenied, ValidationError
from tests.conftest import Shop


def _fields(message: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(message) if name}


@pytest.mark.parametrize("locale", [loc for loc in i18n.LOCALES if loc != "en"])
def test_every_translation_keeps_exactly_the_merge_fields_of_its_message(locale: str) -> None:
    with i18n.catalog_path(locale).open("rb") as po:
        catalog = read_po(po, locale=locale)
    for message in catalog:
        if message.id and message.string:
            assert _fields(str(message.string)) == _fields(str(message.id)), (locale, message.id)


def test_built_in_notifications_exist_in_every_language() -> None:
    for event in DEFAULT_TEMPLATES:
        english = built_in_text(event, "en")
        for locale in ("ru", "pt_BR", "zh_CN"):
            assert built_in_text(event, locale) != english, (event, locale)
    assert built_in_text("ready_for_pickup", "de") == built_in_text("ready_for_pickup", "en")  # unsupported


def _ready_message(shop: Shop, customer_id: int) -> tuple[str, str, str]:
    uow = shop.uow()
    with uow:
        message = notify_customer(uow, "ready_for_pickup", customer_id, {"order_number": "RO-9"})
        uow.commit()
    assert message is not None
    return message.channel, str(message.subject), message.body


def test_a_customer_hears_from_the_shop_in_their_language_on_their_channel(shop: Shop) -> None:
    customer = create_customer(shop.uow(), CustomerIn(name="Ли Вэй", email="li@mail.example", phone="+8613800000000"))
    own = shop.person("customer", customer_id=customer.id)
    set_preferences(
        shop.uow(own), customer.id, channel="sms", language="zh-CN", quiet_from=time(22, 0), quiet_until=time(7, 0)
    )
    channel, subject, body = _ready_message(shop, customer.id)
    assert (channel, subject, body) == ("sms", "您的设备已修好：RO-9", "订单 RO-9 已可取件。")
    set_preferences(shop.uow(shop.person("front_desk")), customer.id, channel="email", language="ru")
    assert _ready_message(shop, customer.id) == ("email", "Ваше устройство готово: RO-9", "Заказ RO-9 готов к выдаче.")


def test_bad_preferences_are_one_sentence_and_change_nothing(shop: Shop) -> None:
    customer = create_customer(shop.uow(), CustomerIn(name="Pat", email="pat@mail.example"))
    other = create_customer(shop.uow(), CustomerIn(name="Sam", email="sam@mail.example"))
    before = _preferences(shop)
    for kwargs, message in (
        ({"channel": "fax", "language": "en"}, "email, sms or whatsapp"),
        ({"channel": "sms", "language": "klingon"}, "language must be one of"),
        ({"channel": "sms", "language": "en", "quiet_from": time(22)}, "both ends"),
        ({"channel": "sms", "language": "en", "quiet_from": time(9), "quiet_until": time(9)}, "different times"),
    ):
        with pytest.raises(ValidationError, match=message):
            set_preferences(shop.uow(), customer.id, **kwargs)
    with pytest.raises(PermissionDenied):  # a customer sets only their own
        set_preferences(
            shop.uow(shop.person("customer", customer_id=other.id)), customer.id, channel="sms", language="en"
        )
    assert _preferences(shop) == before


def _preferences(shop: Shop) -> list[tuple[object, ...]]:
    with admin_engine(shop.url).connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                text("SELECT customer_id, channel, language, quiet_hours_start FROM customer_preferences ORDER BY 1")
            )
        ]


def test_every_stored_code_has_words_to_show_it_in() -> None:
    """Each value of every enum the models store reads as a word in tables, choices and error sentences."""
    import enum
    import importlib

    areas = (
        "assets",
        "billing",
        "comms",
        "customers",
        "identity",
        "inventory",
        "orders",
        "workforce",
        "sla",
        "warranty",
        "maintenance",
    )
    missing = []
    for area in areas:
        module = importlib.import_module(f"ops_db.{area}.models")
        for kind in vars(module).values():
            if isinstance(kind, type) and issubclass(kind, enum.Enum) and kind.__module__ == module.__name__:
                missing += [f"{kind.__name__}.{m.value}" for m in kind if m.value not in i18n.VALUE_LABELS]
    assert missing == []


def test_a_person_keeps_their_own_language_and_bad_choices_change_nothing(shop: Shop) -> None:
    from ops_db.identity.service import load_actor, set_language

    technician = shop.person("technician")
    assert set_language(shop.uow(technician), "zh-cn") == "zh_CN"
    assert technician.user_id is not None
    assert load_actor(shop.engine, shop.tenant_id, technician.user_id).locale == "zh_CN"
    for bad, sentence in (("", "Choose a language."), ("klingon", "The language must be one of en, ru, pt_BR, zh_CN.")):
        with pytest.raises(ValidationError) as refused:
            set_language(shop.uow(technician), bad)
        assert refused.value.message == sentence
    with pytest.raises(ValidationError, match="Only a signed-in person"):
        set_language(shop.uow(), "ru")  # the system itself has no language of its own
    with admin_engine(shop.url).connect() as conn:
        assert (
            conn.execute(text("SELECT locale FROM users WHERE id = :u"), {"u": technician.user_id}).scalar() == "zh_CN"
        )
        assert conn.execute(text("SELECT count(*) FROM audit_log WHERE action = 'user.language'")).scalar() == 1
