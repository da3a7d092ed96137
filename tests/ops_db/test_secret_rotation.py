"""`repairops secrets rotate`: every stored secret of every company moves to a new key in one transaction."""

from __future__ import annotations

import stat
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pyotp
import pytest
from cryptography.fernet import InvalidToken
from sqlalchemy import Engine

from ops_db import admin
from ops_db.billing.stripe_payments import configure_stripe, stripe_config_for
from ops_db.identity.service import authenticate, confirm_totp, enroll_totp
from ops_db.kit import keys
from ops_db.kit.errors import ConfigurationError
from ops_db.kit.uow import Actor, UnitOfWork
from ops_db.settings import get_settings
from tests.conftest import Shop, conninfo

PASSWORD = "person-pass-1"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No REPAIROPS_SECRET_KEY: the key lives in this test's own DATA_DIR/secret.key."""
    folder = tmp_path / "data"
    monkeypatch.setenv("REPAIROPS_DATA_DIR", str(folder))
    monkeypatch.delenv("REPAIROPS_SECRET_KEY", raising=False)
    monkeypatch.delenv("REPAIROPS_NEW_SECRET_KEY", raising=False)
    get_settings.cache_clear()
    yield folder
    get_settings.cache_clear()


class Secrets:
    """Two companies, each with a person signing in with a second factor and its own Stripe keys."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.shops = [Shop(url, slug="acme"), Shop(url, slug="globex")]
        self.people: list[tuple[Shop, str, pyotp.TOTP]] = []
        for number, shop in enumerate(self.shops):
            person = shop.person("manager")
            assert isinstance(person, Actor)
            totp = pyotp.parse_uri(enroll_totp(UnitOfWork(shop.engine, person)))
            assert isinstance(totp, pyotp.TOTP)
            confirm_totp(UnitOfWork(shop.engine, person), totp.now())
            self.people.append((shop, f"manager{shop._users}@{shop.slug}.example", totp))
            admin_actor = shop.person("admin")
            configure_stripe(shop.uow(admin_actor), f"sk_live_company{number}abcd", f"whsec_company{number}")

    def sign_in_everyone(self) -> None:
        """Each person signs in with a fresh code (the next time step, so never a replay)."""
        for shop, email, totp in self.people:
            code = totp.at(int(time.time()) + 30)
            assert authenticate(shop.engine, shop.tenant_id, email, PASSWORD, code).actor.user_id

    def stripe_keys(self) -> list[str]:
        found = [stripe_config_for(shop.engine, shop.tenant_id, None) for shop in self.shops]
        return [config.secret_key for config in found if config is not None]

    def stored(self) -> list[bytes]:
        with psycopg.connect(conninfo(self.url)) as conn:
            rows = conn.execute(
                "SELECT secret_encrypted FROM totp_secrets UNION ALL SELECT secret_key_encrypted"
                " FROM payment_providers UNION ALL SELECT webhook_secret_encrypted"
                " FROM payment_providers"
            ).fetchall()
        return [bytes(r[0]) for r in rows]

    def close_app_connections(self) -> None:
        """What stopping the API and the UI does: the application holds no connection any more."""
        engines: set[Engine] = {shop.engine for shop in self.shops}
        for engine in engines:
            engine.dispose()


@pytest.fixture
def stored(data_dir: Path, migrated_db: str) -> Secrets:
    return Secrets(migrated_db)


def test_rotation_keeps_sign_in_and_stripe_keys_and_the_old_key_reads_nothing(stored: Secrets, data_dir: Path) -> None:
    old_key = keys.secret_key()
    before = stored.stored()
    assert len(before) == 6
    stored.close_app_connections()

    done = admin.rotate_secrets(stored.url)

    assert done.reencrypted == {"second factors": 2, "payment keys": 2} and not done.key_in_environment
    new_key = keys.secret_key()
    assert new_key != old_key
    path = data_dir / "secret.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in data_dir.iterdir()) == ["secret.key"]  # no .new, no .old left behind
    after = stored.stored()
    for value in after:
        with pytest.raises(InvalidToken):
            keys.cipher(old_key).decrypt(value)
        keys.cipher(new_key).decrypt(value)
    stored.sign_in_everyone()
    assert stored.stripe_keys() == ["sk_live_company0abcd", "sk_live_company1abcd"]
    assert admin.stored_secrets_problem(stored.url) is None


def test_rotation_refuses_while_the_application_is_connected_and_changes_nothing(
    stored: Secrets, data_dir: Path
) -> None:
    key = keys.secret_key()
    before = stored.stored()
    with (
        stored.shops[0].engine.connect(),
        pytest.raises(ConfigurationError, match="Stop the API, the UI and the pipelines before"),
    ):
        admin.rotate_secrets(stored.url)
    assert keys.secret_key() == key and stored.stored() == before
    assert sorted(p.name for p in data_dir.iterdir()) == ["secret.key"]


def test_a_secret_the_key_cannot_read_stops_the_rotation_before_anything_changes(
    stored: Secrets, data_dir: Path
) -> None:
    key = keys.secret_key()
    with psycopg.connect(conninfo(stored.url), autocommit=True) as conn:
        conn.execute(
            "UPDATE payment_providers SET secret_key_encrypted = %s WHERE tenant_id = %s",
            (keys.cipher(keys.generate_key()).encrypt(b"sk_live_elsewhere"), stored.shops[1].tenant_id),
        )
    before = stored.stored()
    stored.close_app_connections()
    with pytest.raises(
        ConfigurationError,
        match=f"payment keys of company {stored.shops[1].tenant_id} cannot be"
        " decrypted with the current key, so nothing was changed",
    ):
        admin.rotate_secrets(stored.url)
    assert keys.secret_key() == key and stored.stored() == before
    problem = admin.stored_secrets_problem(stored.url)
    assert problem is not None and "cannot decrypt the stored payment keys" in problem.message


def test_secrets_under_the_old_built_in_key_are_named_at_start_and_moved_on_request(stored: Secrets) -> None:
    legacy = keys.cipher(keys.BUILT_IN_DEV_KEY)
    with psycopg.connect(conninfo(stored.url), autocommit=True) as conn:  # a database from before key files
        for user_id, value in conn.execute("SELECT user_id, secret_encrypted FROM totp_secrets").fetchall():
            plain = keys.cipher(keys.secret_key()).decrypt(bytes(value))
            conn.execute(
                "UPDATE totp_secrets SET secret_encrypted = %s WHERE user_id = %s", (legacy.encrypt(plain), user_id)
            )
    with pytest.raises(
        ConfigurationError,
        match=r"old built-in development key; run `repairops secrets rotate "
        r"--from-built-in-key`",
    ):
        admin.migrate_to_head(stored.url, get_settings())
    stored.close_app_connections()
    with pytest.raises(ConfigurationError, match="second factors of company"):
        admin.rotate_secrets(stored.url)
    admin.rotate_secrets(stored.url, from_built_in_key=True)
    assert admin.stored_secrets_problem(stored.url) is None
    stored.sign_in_everyone()
    for value in stored.stored():
        with pytest.raises(InvalidToken):
            legacy.decrypt(value)


def test_a_rotation_interrupted_after_the_commit_is_finished_by_the_next_run(stored: Secrets, data_dir: Path) -> None:
    path = data_dir / "secret.key"
    old_key = keys.secret_key()
    stored.close_app_connections()
    # Crash right after the database committed: the new key is still only in secret.key.new.
    new_key = keys.generate_key()
    keys.create_key_file(keys.pending_key_file(path), new_key)
    admin._reencrypt(stored.url, get_settings(), [keys.cipher(old_key)], keys.cipher(new_key))
    with pytest.raises(ConfigurationError, match="rotation was interrupted"):
        keys.secret_key()

    done = admin.rotate_secrets(stored.url)

    assert done.finished_interrupted and keys.secret_key() == new_key
    stored.sign_in_everyone()


def test_a_rotation_interrupted_before_the_commit_is_undone_and_done_again(stored: Secrets, data_dir: Path) -> None:
    path = data_dir / "secret.key"
    old_key = keys.secret_key()
    stored.close_app_connections()
    keys.create_key_file(keys.pending_key_file(path), keys.generate_key())  # crash before the commit

    done = admin.rotate_secrets(stored.url)

    assert not done.finished_interrupted and keys.secret_key() != old_key
    assert sorted(p.name for p in data_dir.iterdir()) == ["secret.key"]
    stored.sign_in_everyone()


def test_with_the_key_in_the_environment_the_new_one_comes_from_the_environment_too(
    stored: Secrets, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old_key = "T2xkIGtleSBmb3IgdGVzdHMgb25seSwgbm90IGEgcmVhbCBvbmU"
    new_key = "TmV3IGtleSBmb3IgdGVzdHMgb25seSwgbm90IGEgcmVhbCBvbmU"
    from_file = keys.secret_key()
    monkeypatch.setenv("REPAIROPS_SECRET_KEY", old_key)
    get_settings.cache_clear()
    stored.close_app_connections()
    # Move them to the environment's key first, as an operator switching to REPAIROPS_SECRET_KEY would.
    admin._reencrypt(stored.url, get_settings(), [keys.cipher(from_file)], keys.cipher(old_key))
    with pytest.raises(ConfigurationError, match="put a new random key in REPAIROPS_NEW_SECRET_KEY"):
        admin.rotate_secrets(stored.url)
    monkeypatch.setenv("REPAIROPS_NEW_SECRET_KEY", "too-short")
    get_settings.cache_clear()
    with pytest.raises(ConfigurationError, match="REPAIROPS_NEW_SECRET_KEY is too weak"):
        admin.rotate_secrets(stored.url)
    monkeypatch.setenv("REPAIROPS_NEW_SECRET_KEY", new_key)
    get_settings.cache_clear()

    done = admin.rotate_secrets(stored.url)

    assert done.key_in_environment and done.reencrypted == {"second factors": 2, "payment keys": 2}
    monkeypatch.setenv("REPAIROPS_SECRET_KEY", new_key)
    monkeypatch.delenv("REPAIROPS_NEW_SECRET_KEY")
    get_settings.cache_clear()
    stored.sign_in_everyone()
    assert stored.stripe_keys() == ["sk_live_company0abcd", "sk_live_company1abcd"]
