"""The second factor: TOTP set-up and confirmation, the check at sign-in (drift and replay), and the cipher for
secrets kept at rest."""

from __future__ import annotations

import hmac
import time
import unicodedata

import pyotp
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import text

from ops_db.identity.models import Tenant, TotpSecret, User
from ops_db.kit import keys
from ops_db.kit.errors import Conflict, NotFound, ValidationError
from ops_db.kit.uow import UnitOfWork


def fernet() -> Fernet:
    """The cipher for secrets kept at rest (second factors, payment keys), from the server's secret key."""
    return keys.cipher(keys.secret_key())


def _check_second_factor(uow: UnitOfWork, tenant: Tenant, user: User, code: str | None) -> str | None:
    secret = uow.session.get(TotpSecret, user.id)
    confirmed = secret is not None and secret.confirmed_at is not None
    if not confirmed:
        return "totp_setup_required" if tenant.require_totp else None
    assert secret is not None
    if not code:
        return "totp_required"
    return None if _accept_totp(secret, code) else "bad_totp"


def _accept_totp(secret: TotpSecret, code: str) -> bool:
    """Verify a code within one step of drift and refuse a code already used (replay)."""
    try:
        raw = fernet().decrypt(secret.secret_encrypted).decode()
    except InvalidToken:
        return False
    totp = pyotp.TOTP(raw)
    now_step = int(time.time()) // totp.interval
    # Full-width digits (a phone keyboard in CJK mode) are the same digits; anything else that is not ASCII is
    # simply a wrong code (hmac refuses to compare such text).
    code = unicodedata.normalize("NFKC", code).strip().replace(" ", "")
    if not code.isascii():
        return False
    for step in (now_step - 1, now_step, now_step + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            if secret.last_used_step is not None and step <= secret.last_used_step:
                return False
            secret.last_used_step = step
            return True
    return False


def enroll_totp(uow: UnitOfWork) -> str:
    """Start TOTP for the acting user; returns the ``otpauth://`` URI for an authenticator app."""
    with uow:
        actor = uow.actor
        if actor.user_id is None:
            raise ValidationError("Only a signed-in person can set up a second factor.")
        user = uow.session.get(User, actor.user_id)
        assert user is not None
        raw = pyotp.random_base32()
        existing = uow.session.get(TotpSecret, user.id)
        if existing is not None and existing.confirmed_at is not None:
            raise Conflict("A second factor is already set up for this account.")
        if existing is None:
            existing = TotpSecret(tenant_id=actor.tenant_id, user_id=user.id, secret_encrypted=b"")
            uow.session.add(existing)
        existing.secret_encrypted = fernet().encrypt(raw.encode())
        existing.confirmed_at = None
        uow.audit("totp.enroll", "users", user.id)
        tenant = uow.session.get(Tenant, actor.tenant_id)
        uow.commit()
        # The authenticator app lists the account under the company's name (white label).
        return pyotp.TOTP(raw).provisioning_uri(name=user.email, issuer_name=tenant.name if tenant else "RepairOps")


def has_second_factor(uow: UnitOfWork) -> bool:
    """Whether the signed-in person's sign-in asks for an authenticator code (set up and confirmed)."""
    with uow:
        user_id = uow.actor.user_id
        if user_id is None:  # own-account actions: only a signed-in person has one
            raise ValidationError("Only a signed-in person can set up a second factor.")
        secret = uow.session.get(TotpSecret, user_id)
        return secret is not None and secret.confirmed_at is not None


def confirm_totp(uow: UnitOfWork, code: str) -> None:
    """Finish TOTP set-up by proving the authenticator app produces valid codes."""
    with uow:
        actor = uow.actor
        if actor.user_id is None:
            raise ValidationError("Only a signed-in person can set up a second factor.")
        secret = uow.session.get(TotpSecret, actor.user_id)
        if secret is None:
            raise NotFound("Start the second-factor set-up first.")
        if not _accept_totp(secret, code or ""):
            raise ValidationError("That code is not valid; check the time on your phone and try again.")
        secret.confirmed_at = uow.now()
        if actor.session_id is not None:  # the code proved the factor in this session: it survives a requirement
            uow.session.execute(
                text("UPDATE auth_sessions SET second_factor = true WHERE id = CAST(:s AS uuid)"),
                {"s": actor.session_id},
            )
        uow.audit("totp.confirm", "users", actor.user_id)
        uow.commit()
