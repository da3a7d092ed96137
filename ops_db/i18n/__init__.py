"""Languages: gettext catalogs (Babel) for what RepairOps writes to people, and locale-aware formatting.

Catalogs live in ``locales/<locale>/LC_MESSAGES/repairops.po`` and are read directly (no compile step), so a
fresh checkout works as is. English is the source language: a message id is its English text.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal
from babel.support import NullTranslations, Translations

from ops_db.kit.errors import RepairOpsError, ValidationError

LOCALES = ("en", "ru", "pt_BR", "zh_CN")
LOCALE_DIR = Path(__file__).parent / "locales"
DOMAIN = "repairops"


def N_(message: str) -> str:  # noqa: N802 (gettext's name for "translate later")
    """Mark a message for the catalogs without translating it here (it is translated where it is drawn)."""
    return message


def as_is(message: str) -> str:
    """English, the source language: a message as it is (the default ``t`` of functions that write words)."""
    return message


# Stored values shown to people, in English (the message ids); translated where they are drawn.
VALUE_LABELS = {
    "emergency": N_("emergency"),
    "high": N_("high"),
    "normal": N_("normal"),
    "low": N_("low"),
    "received": N_("received"),
    "diagnostics": N_("diagnostics"),
    "awaiting_approval": N_("awaiting approval"),
    "awaiting_parts": N_("awaiting parts"),
    "repair": N_("repair"),
    "quality_check": N_("quality check"),
    "ready": N_("ready"),
    "closed": N_("closed"),
    "on_hold": N_("on hold"),
    "cancelled": N_("cancelled"),
    "draft": N_("draft"),
    "issued": N_("issued"),
    "partially_paid": N_("partially paid"),
    "paid": N_("paid"),
    "written_off": N_("written off"),
    "void": N_("void"),
    "cash": N_("cash"),
    "card": N_("card"),
    "bank_transfer": N_("bank transfer"),
    "online": N_("online"),
    "sent": N_("sent"),
    "partially_received": N_("partially received"),
    "manufacturer": N_("manufacturer"),
    "extended": N_("extended"),
    "parts": N_("parts"),
    "labour": N_("labour"),
    "full": N_("full"),
    "service": N_("service"),
    "part": N_("part"),
    "goods": N_("goods"),
    "discount": N_("discount"),
    "consumable": N_("consumable"),
    "none": N_("none"),
    "pending": N_("pending"),
    "approved": N_("approved"),
    "declined": N_("declined"),
    "tentative": N_("tentative"),
    "confirmed": N_("confirmed"),
    "in_progress": N_("in progress"),
    "done": N_("done"),
    "field": N_("field"),
    "workshop": N_("workshop"),
    # equipment, payments, outbox
    "active": N_("active"),
    "in_repair": N_("in repair"),
    "retired": N_("retired"),
    "lost": N_("lost"),
    "succeeded": N_("succeeded"),
    "failed": N_("failed"),
    "sending": N_("sending"),
    "dead": N_("dead"),
    "suppressed": N_("suppressed"),
    # customers and channels
    "person": N_("person"),
    "company": N_("company"),
    "email": N_("email"),
    "sms": N_("SMS"),
    "whatsapp": N_("WhatsApp"),
    "in_app": N_("in the app"),
    "phone": N_("phone"),
    # roles
    "admin": N_("admin"),
    "manager": N_("manager"),
    "dispatcher": N_("dispatcher"),
    "front_desk": N_("front desk"),
    "technician": N_("technician"),
    "inventory": N_("inventory"),
    "finance": N_("finance"),
    "customer": N_("customer"),
    "auditor": N_("auditor"),
    # stock
    "warehouse": N_("warehouse"),
    "van": N_("van"),
    "initial": N_("initial stock"),
    "receipt": N_("receipt"),
    "consume": N_("used on an order"),
    "sale": N_("sale"),
    "transfer_out": N_("transfer out"),
    "transfer_in": N_("transfer in"),
    "adjustment": N_("adjustment"),
    "return": N_("return"),
    "consumed": N_("consumed"),
    "released": N_("released"),
    "in_transit": N_("in transit"),
    # requests and order events
    "web": N_("web"),
    "walk_in": N_("walk-in"),
    "messaging": N_("messaging"),
    "new": N_("new"),
    "converted": N_("converted"),
    "rejected": N_("rejected"),
    "created": N_("created"),
    "stage_changed": N_("stage changed"),
    "assigned": N_("assigned"),
    "estimate_sent": N_("estimate sent"),
    "estimate_approved": N_("estimate approved"),
    "estimate_declined": N_("estimate declined"),
    "parts_reserved": N_("parts reserved"),
    "note_added": N_("note added"),
    "invoiced": N_("invoiced"),
    "payment_received": N_("payment received"),
    # time, plans and their changes
    "shift": N_("shift"),
    "travel": N_("travel"),
    "on_site": N_("on site"),
    "break": N_("break"),
    "proposed": N_("proposed"),
    "accepted": N_("accepted"),
    "partially_accepted": N_("partially accepted"),
    "superseded": N_("superseded"),
    "discarded": N_("discarded"),
    "moved": N_("moved"),
    "reassigned": N_("reassigned"),
    "dropped": N_("dropped"),
    "unassigned": N_("unassigned"),
    "unchanged": N_("unchanged"),
    # SLA clocks and warranty claims
    "response": N_("response"),
    "resolution": N_("resolution"),
    "running": N_("running"),
    "paused": N_("paused"),
    "at_risk": N_("at risk"),
    "breached": N_("breached"),
    "met": N_("met"),
    "on track": N_("on track"),
    "at risk": N_("at risk"),
    "no SLA": N_("no SLA"),
    "submitted": N_("submitted"),
    # receivables buckets and the optimizer's reasons for leaving a job out
    "open": N_("open"),
    "open_breached": N_("open, breached"),
    "current": N_("current"),
    "no_skill": N_("no technician has the skill"),
    "parts_unavailable": N_("parts unavailable"),
    "no_window": N_("no time window fits"),
    "capacity": N_("no capacity left"),
}


def value_words(code: str, t: Callable[[str], str] = as_is) -> str:
    """A stored code ("awaiting_parts", "bank_transfer") as words through ``t``, a catalog's gettext; a code with
    no label reads with its underscores as spaces."""
    return t(VALUE_LABELS.get(code, code.replace("_", " ")))


def check_locale(locale: str | None, default: str = "en") -> str:
    """A supported locale (``None`` → ``default``; ``pt-BR`` and ``zh_cn`` are accepted spellings)."""
    if locale is None or not locale.strip():
        locale = default
    wanted = locale.strip().replace("-", "_").lower()
    for known in LOCALES:
        if known.lower() == wanted:
            return known
    raise ValidationError("The language must be one of {locales}.", locales=", ".join(LOCALES))


def negotiate(accept_language: str | None) -> str:
    """The supported locale an ``Accept-Language`` header prefers most ("ru-RU,ru;q=0.9" → ru, "pt-BR" → pt_BR,
    "zh" → zh_CN); English when it names none of ours."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate((accept_language or "").split(",")):
        tag, _, quality = part.strip().partition(";q=")
        try:
            weight = float(quality) if quality else 1.0
        except ValueError:
            continue
        ranked.append((-weight, index, tag.strip().replace("-", "_").lower()))
    for _, _, tag in sorted(ranked):
        for known in LOCALES:
            if tag == known.lower() or tag.split("_")[0] == known.split("_")[0].lower():
                return known
    return "en"


def error_in(error: RepairOpsError, locale: str) -> str:
    """A domain error's sentence in ``locale``, stored codes in it as words (in English too: "written off")."""
    t = gettext_for(locale)
    return error.in_language(t, lambda value: value_words(value, t) if value in VALUE_LABELS else t(value))


def catalog_path(locale: str) -> Path:
    """Where a locale's catalog lives."""
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=len(LOCALES))
def translations(locale: str) -> NullTranslations:
    """The locale's catalog (English needs none)."""
    path = catalog_path(locale)
    if locale == "en" or not path.exists():
        return NullTranslations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=locale, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def gettext_for(locale: str) -> Callable[[str], str]:
    """``t("Invoice")`` in that language."""
    return translations(check_locale(locale)).gettext


def untranslated(locale: str, message_ids: set[str]) -> list[str]:
    """The message ids that have no translation in the locale's catalog (English has nothing to translate)."""
    if locale == "en":
        return []
    with catalog_path(locale).open("rb") as po:
        catalog = read_po(po, locale=locale, domain=DOMAIN)
    return sorted(m for m in message_ids if not (catalog.get(m) and catalog.get(m).string))  # type: ignore[union-attr]


_ROOT = Path(__file__).parents[2]
# The UI, the API and every domain package whose errors reach a person (the demo generator and migrations do not).
TRANSLATED_SOURCES = (_ROOT / "ops_db", _ROOT / "dashboards", _ROOT / "api")
UNTRANSLATED_FOLDERS = ("migrations", "demo")
# t("…") and _("…") translate now, N_("…") marks a message that is translated where it is drawn, and an error's
# first argument is its sentence (``ops_db.kit.errors``).
ERROR_CLASSES = (
    "RepairOpsError",
    "ValidationError",
    "PermissionDenied",
    "NotFound",
    "Conflict",
    "DatabaseUnavailable",
    "AuthenticationFailed",
    "PaymentsUnavailable",
    "RateLimited",
    "SignInThrottled",
    "ConfigurationError",
)
KEYWORDS: dict[str, None] = {"t": None, "_": None, "N_": None, **dict.fromkeys(ERROR_CLASSES)}


def translated_files() -> list[Path]:
    """The Python files whose messages the catalogs hold."""
    return sorted(
        path
        for folder in TRANSLATED_SOURCES
        for path in folder.rglob("*.py")
        if not set(path.relative_to(folder).parts[:-1]) & set(UNTRANSLATED_FOLDERS)
    )


def source_messages() -> set[str]:
    """Every message id the translated sources use (what each catalog must translate)."""
    from babel.messages.extract import extract_from_file

    found: set[str] = set()
    for path in translated_files():
        for _, message, _, _ in extract_from_file("python", str(path), keywords=KEYWORDS):
            if isinstance(message, str):
                found.add(message)
    return found


def babel_locale(locale: str) -> str:
    """Babel's spelling of a locale (``pt_BR`` stays, ``en`` → ``en_US`` for US-style dates)."""
    return "en_US" if locale == "en" else locale


def money(amount: Decimal | int | float, currency: str, locale: str) -> str:
    """``$1,234.50``, ``1 234,50 ₽``, ``R$ 1.234,50``, ``¥1,234.50``."""
    return format_currency(Decimal(amount), currency, locale=babel_locale(locale))


def number(value: Decimal | int | float, locale: str) -> str:
    """A quantity or rate as that locale writes it (2.5 / 2,5)."""
    return format_decimal(Decimal(value).normalize(), locale=babel_locale(locale))


@lru_cache(maxsize=4096)  # a table of payments writes the same few days hundreds of times; babel is slow at it
def day(value: date, locale: str) -> str:
    """A date in the locale's medium form (Dec 2, 2026 / 2 дек. 2026 г. / 2 de dez. de 2026 / 2026年12月2日)."""
    return format_date(value, format="medium", locale=babel_locale(locale))


def moment(value: datetime, zone: ZoneInfo, locale: str) -> str:
    """A point in time as local wall-clock time in the locale's short form."""
    return format_datetime(value, format="short", tzinfo=zone, locale=babel_locale(locale))


class Word(str):
    """A stored code that a message shows as a word in the reader's language ("approved", "resolution"): mark a
    merge field with it so a notification translates it where its language is known."""

    __slots__ = ()


@dataclass(frozen=True)
class Money:
    """An amount in a currency, written the reader's way when a notification is rendered."""

    amount: Decimal
    currency: str


def field_text(value: object, locale: str) -> object:
    """A notification's merge field as the reader reads it: a :class:`Word` translated, :class:`Money` and dates
    in the locale's form; anything else (names, numbers, codes customers quote) as it is."""
    if isinstance(value, Word):
        return value_words(value, gettext_for(locale))
    if isinstance(value, Money):
        return money(value.amount, value.currency, locale)
    if isinstance(value, date) and not isinstance(value, datetime):
        return day(value, locale)
    return value
