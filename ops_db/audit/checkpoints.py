"""Signed checkpoints of the audit chain, kept in files outside the database.

A checkpoint says: at time W, company T's audit chain ended at record L, whose hash was H. It is signed with
this installation's Ed25519 audit key. The private key lives in the data directory (mode 0600) and never enters
the database; its public half can be handed to anyone who checks the chain. Someone who rewrites history with
the database owner's rights, recomputing every hash, still cannot make record L hash to H again, nor sign a new
checkpoint, so the rewritten chain no longer verifies against the files.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Engine

from ops_db.kit.errors import Conflict, ValidationError, Verbatim
from ops_db.kit.uow import Actor, UnitOfWork
from ops_db.settings import Settings, get_settings

FORMAT = "repairops-audit-checkpoint/1"
KEY_FILE = "audit-signing-key.pem"
CHECKPOINT_DIR = "audit-checkpoints"


@dataclass(frozen=True)
class Checkpoint:
    """The head of one company's audit chain at one moment: what a signature vouches for."""

    tenant_id: int
    tenant: str
    last_id: int
    head_hash: str
    records: int
    taken_at: datetime

    def body(self) -> dict[str, Any]:
        """The signed fields, as plain JSON values."""
        return {
            "format": FORMAT,
            "tenant_id": self.tenant_id,
            "tenant": self.tenant,
            "last_id": self.last_id,
            "head_hash": self.head_hash,
            "records": self.records,
            "taken_at": self.taken_at.astimezone(UTC).isoformat(timespec="microseconds"),
        }

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> Checkpoint:
        """Read the signed fields back (raises KeyError, TypeError or ValueError on a wrong shape)."""
        if body["format"] != FORMAT:
            raise ValueError(body["format"])
        head_hash = body["head_hash"]
        if not isinstance(head_hash, str) or not re.fullmatch(r"[0-9a-f]{64}", head_hash):
            raise ValueError(head_hash)
        return cls(
            _int(body["tenant_id"]),
            str(body["tenant"]),
            _int(body["last_id"]),
            head_hash,
            _int(body["records"]),
            datetime.fromisoformat(body["taken_at"]),
        )


def _int(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(value)
    return value


# ---- the key -------------------------------------------------------------------------------------------------


def key_path(settings: Settings | None = None) -> Path:
    """Where this installation's private audit key is kept (inside the data directory, never in the database)."""
    return (settings or get_settings()).data_path / KEY_FILE


def default_directory(settings: Settings | None = None) -> Path:
    """Where checkpoints go unless told otherwise: DATA_DIR/audit-checkpoints."""
    return (settings or get_settings()).data_path / CHECKPOINT_DIR


def signing_key(path: Path) -> Ed25519PrivateKey:
    """The private audit key at ``path``, created (mode 0600) the first time it is needed."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        try:
            # O_EXCL: two first checkpoints at once must not each write their own key.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(pem)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except ValueError as exc:
        raise ValidationError(
            "The audit key {path} is not a private key this installation made.", path=Verbatim(str(path))
        ) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ValidationError(
            "The audit key {path} is not a private key this installation made.", path=Verbatim(str(path))
        )
    return key


def public_key_pem(key: Ed25519PublicKey) -> str:
    """The public half as PEM text, for a verifier who must not hold the private key."""
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def load_public_key(path: Path) -> Ed25519PublicKey:
    """A public audit key from a PEM file written by ``repairops audit public-key``."""
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise ValidationError("{path} is not an audit public key.", path=Verbatim(str(path))) from exc
    if not isinstance(key, Ed25519PublicKey):
        raise ValidationError("{path} is not an audit public key.", path=Verbatim(str(path)))
    return key


def key_id(key: Ed25519PublicKey) -> str:
    """A short fingerprint of a public key (names the key in files and sentences)."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


# ---- the files -----------------------------------------------------------------------------------------------


def _signed_bytes(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def write_checkpoint(checkpoint: Checkpoint, key: Ed25519PrivateKey, directory: Path) -> Path:
    """Sign ``checkpoint`` and write it to ``directory`` (atomically: a reader never sees half a file)."""
    body = checkpoint.body()
    document = {
        "checkpoint": body,
        "key_id": key_id(key.public_key()),
        "signature": base64.b64encode(key.sign(_signed_bytes(body))).decode(),
    }
    name = re.sub(r"[^a-z0-9-]", "_", checkpoint.tenant.lower()) or str(checkpoint.tenant_id)
    target = directory / f"{name}-{checkpoint.last_id:012d}.json"
    scratch = target.with_suffix(".json.tmp")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        scratch.write_text(json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(scratch, target)
    except OSError as exc:
        raise ValidationError(
            "The audit checkpoint could not be written to {path}.", path=Verbatim(str(directory))
        ) from exc
    return target


def read_checkpoint(path: Path, key: Ed25519PublicKey) -> Checkpoint:
    """The checkpoint in ``path`` if ``key`` signed exactly these contents; one sentence otherwise."""
    name = Verbatim(path.name)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        body = document["checkpoint"]
        signature = base64.b64decode(document["signature"], validate=True)
        checkpoint = Checkpoint.from_body(body)
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise ValidationError("The file {file} is not a readable audit checkpoint.", file=name) from exc
    try:
        key.verify(signature, _signed_bytes(body))
    except InvalidSignature as exc:
        if document.get("key_id") != key_id(key):
            raise ValidationError("The audit checkpoint {file} was not signed with this audit key.", file=name) from exc
        raise ValidationError("The audit checkpoint {file} was changed after it was signed.", file=name) from exc
    return checkpoint


def read_checkpoints(directory: Path, key: Ed25519PublicKey) -> list[Checkpoint]:
    """Every checkpoint in ``directory`` (all of them must carry a valid signature), oldest record first."""
    found = [read_checkpoint(path, key) for path in sorted(directory.glob("*.json"))]
    return sorted(found, key=lambda c: (c.tenant_id, c.last_id))


def trusted_checkpoints(
    directory: Path | None = None, public_key: Path | None = None, settings: Settings | None = None
) -> list[Checkpoint]:
    """The signed checkpoints to check a chain against: those in ``directory`` (default: the data directory's
    folder, when it exists), each verified with ``public_key`` (default: this installation's own key)."""
    folder = directory or default_directory(settings)
    if directory is None and not folder.is_dir():
        return []
    if not folder.is_dir():
        raise ValidationError("The folder {path} does not exist.", path=Verbatim(str(folder)))
    if not any(folder.glob("*.json")):
        return []
    if public_key is not None:
        key = load_public_key(public_key)
    else:
        private = key_path(settings)
        if not private.exists():
            raise ValidationError(
                "There is no audit key at {path}; give the public key that signed the checkpoints.",
                path=Verbatim(str(private)),
            )
        key = signing_key(private).public_key()
    return read_checkpoints(folder, key)


def seal_company(
    engine: Engine,
    tenant_id: int,
    company: str,
    key: Ed25519PrivateKey,
    directory: Path,
    earlier: Sequence[Checkpoint] = (),
    *,
    label: str = "audit checkpoint",
) -> tuple[Checkpoint, Path]:
    """Check a company's audit chain (against the ``earlier`` checkpoints too, so a rewritten history is never
    signed anew) and write a signed checkpoint of its head to ``directory``; one sentence when it is broken."""
    from ops_db.audit.service import verify_chain  # the service imports this module

    report = verify_chain(UnitOfWork(engine, Actor.system(tenant_id, label)), earlier)
    if report.head is not None:
        return report.head, write_checkpoint(report.head, key, directory)
    if report.first_bad_id is None:
        raise Conflict(
            "The audit chain of {company} is broken at its head: {problem}; no checkpoint was written.",
            company=Verbatim(company),
            problem=report.problem or "",
        )
    raise Conflict(
        "The audit chain of {company} is broken at record {record}: {problem}; no checkpoint was written.",
        company=Verbatim(company),
        record=report.first_bad_id,
        problem=report.problem or "",
    )
