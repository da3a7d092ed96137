"""The server's secret key: it encrypts the secrets kept at rest and signs API tokens.

There is no built-in key. ``REPAIROPS_SECRET_KEY`` wins when it is set (and must look random: at least 32
characters, not the old development value). Otherwise the key lives in ``DATA_DIR/secret.key``: generated
at first start from the operating system's random source, written privately (mode 0600) to a temporary
file and hard-linked into place, so a reader never sees half a key and two processes starting at once end
up with the same one. A key file other users could read is refused.

``repairops secrets rotate`` (``ops_db.admin.rotate_secrets``) replaces the key; while it runs the next key
waits in ``secret.key.new`` and the previous one is kept as ``secret.key.old``.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import os
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet

from ops_db.kit.errors import ConfigurationError
from ops_db.settings import Settings, get_settings

MIN_KEY_LENGTH = 32
MIN_DISTINCT_CHARACTERS = 8
# The value every installation used before keys were generated; readable in the project's history, so refused.
BUILT_IN_DEV_KEY = "dev-only-change-me-0123456789abcdef"
ENV_NAME = "REPAIROPS_SECRET_KEY"


@dataclass(frozen=True)
class EncryptedColumns:
    """A table whose columns hold values encrypted with :func:`cipher` (rotation re-encrypts them)."""

    table: str
    columns: tuple[str, ...]
    what: str


# Every value encrypted with the secret key, in every company. A new encrypted column must be listed here,
# or `repairops secrets rotate` would leave it under a key that no longer exists.
ENCRYPTED_COLUMNS: tuple[EncryptedColumns, ...] = (
    EncryptedColumns("totp_secrets", ("secret_encrypted",), "second factors"),
    EncryptedColumns("payment_providers", ("secret_key_encrypted", "webhook_secret_encrypted"), "payment keys"),
)


def secret_key(settings: Settings | None = None) -> str:
    """The server's secret key: REPAIROPS_SECRET_KEY, else DATA_DIR/secret.key (generated at first start)."""
    settings = settings or get_settings()
    if settings.secret_key is not None:
        return check_key(settings.secret_key.get_secret_value(), ENV_NAME)
    path = settings.secret_key_file
    if pending_key_file(path).exists():
        raise ConfigurationError(
            "A key rotation was interrupted ({path} exists); run `repairops secrets rotate` again to finish it.",
            path=pending_key_file(path),
        )
    if not path.exists():
        create_key_file(path, generate_key())
    return read_key_file(path)


def key_from_environment(settings: Settings | None = None) -> bool:
    """Whether the key comes from REPAIROPS_SECRET_KEY rather than the key file."""
    return (settings or get_settings()).secret_key is not None


def cipher(key: str) -> Fernet:
    """The cipher for secrets kept at rest under ``key`` (Fernet: AES-128-CBC with an HMAC-SHA256 tag)."""
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest()))


def generate_key() -> str:
    """A new random key: 32 bytes from the operating system's CSPRNG, URL-safe base64 (43 characters)."""
    return secrets.token_urlsafe(32)


def check_key(key: str, source: str) -> str:
    """``key`` if it can serve as the secret key; otherwise one sentence naming where it came from."""
    if key.strip() == BUILT_IN_DEV_KEY:
        raise ConfigurationError(
            "The secret key in {source} is the old built-in development key, which anyone can read in the source "
            "code; set a random key of at least 32 characters, or unset it to use a generated key file.",
            source=source,
        )
    if len(key) < MIN_KEY_LENGTH or len(set(key)) < MIN_DISTINCT_CHARACTERS:
        raise ConfigurationError(
            "The secret key in {source} is too weak: use at least 32 random characters, for example from "
            '`python -c "import secrets; print(secrets.token_urlsafe(32))"`.',
            source=source,
        )
    return key


def pending_key_file(path: Path) -> Path:
    """Where a rotation keeps the next key until the stored secrets are re-encrypted with it."""
    return path.with_name(path.name + ".new")


def previous_key_file(path: Path) -> Path:
    """Where a rotation keeps the previous key until it has finished."""
    return path.with_name(path.name + ".old")


def read_key_file(path: Path) -> str:
    """The key in ``path``, refused when other users could read or change the file."""
    try:
        info = path.stat()
        if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise ConfigurationError(
                "The key file {path} can be read or changed by other users; make it private with "
                "`chmod 600 {path}` (and consider the key seen: rotate it).",
                path=path,
            )
        if hasattr(os, "geteuid") and info.st_uid != os.geteuid():
            raise ConfigurationError(
                "The key file {path} belongs to another user; RepairOps uses only its own.", path=path
            )
        key = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(
            "The key file {path} cannot be read ({problem}).", path=path, problem=type(exc).__name__
        ) from None
    return check_key(key, str(path))


def create_key_file(path: Path, key: str) -> bool:
    """Write ``key`` to ``path`` (mode 0600) unless the file exists; True when this call created it.

    The key goes to a private temporary file first and is hard-linked into place: the link either appears
    complete or fails because another process linked its own key first (then that one is used)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = _write_private(path, key)
    try:
        os.link(temporary, path)
    except FileExistsError:
        return False
    finally:
        temporary.unlink(missing_ok=True)
    sync_directory(path.parent)
    return True


def replace_key_file(path: Path, key: str) -> None:
    """Write ``key`` to ``path`` atomically (mode 0600), replacing any file there."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = _write_private(path, key)
    try:
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    sync_directory(path.parent)


@contextmanager
def rotation_lock(path: Path) -> Iterator[None]:
    """Hold the key's folder for one rotation at a time (a second one is refused, not queued)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor = os.open(path.parent, os.O_RDONLY)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ConfigurationError(
                "Another key rotation is running in {path}; let it finish.", path=path.parent
            ) from None
        yield
    finally:
        os.close(descriptor)  # closing releases the lock


def _write_private(beside: Path, key: str) -> Path:
    """A new file next to ``beside`` holding ``key``, readable only by us, flushed to disk."""
    temporary = beside.with_name(f".{beside.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(descriptor, 0o600)  # whatever the umask
        os.write(descriptor, (key + "\n").encode())
        os.fsync(descriptor)
    except BaseException:
        os.close(descriptor)
        temporary.unlink(missing_ok=True)
        raise
    os.close(descriptor)
    return temporary


def sync_directory(folder: Path) -> None:
    """Make a rename or link in ``folder`` durable (a crash right after must not lose the key file)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass  # some file systems cannot sync a directory; the rename is still atomic
    finally:
        os.close(descriptor)
