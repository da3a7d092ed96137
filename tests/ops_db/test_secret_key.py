"""The server's secret key: no built-in key, a private generated key file, weak keys refused with one sentence."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ops_db.identity.service import fernet
from ops_db.kit import keys
from ops_db.kit.errors import ConfigurationError
from ops_db.settings import get_settings


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A data directory of its own and no REPAIROPS_SECRET_KEY: the key comes from DATA_DIR/secret.key."""
    folder = tmp_path / "data"
    monkeypatch.setenv("REPAIROPS_DATA_DIR", str(folder))
    monkeypatch.delenv("REPAIROPS_SECRET_KEY", raising=False)
    get_settings.cache_clear()
    yield folder
    get_settings.cache_clear()


def _key_in_subprocess(folder: Path) -> str:
    """The key a fresh process (a restart) reads with this data directory."""
    env = {k: v for k, v in os.environ.items() if k != "REPAIROPS_SECRET_KEY"}
    env["REPAIROPS_DATA_DIR"] = str(folder)
    done = subprocess.run(
        [sys.executable, "-c", "from ops_db.kit.keys import secret_key; print(secret_key())"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_first_start_generates_a_private_random_key_file(data_dir: Path) -> None:
    key = keys.secret_key()
    path = data_dir / "secret.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().strip() == key
    assert len(key) >= 43 and key != keys.BUILT_IN_DEV_KEY
    assert not [p.name for p in data_dir.iterdir() if p.name != "secret.key"]  # no temporary file left behind
    token = fernet().encrypt(b"JBSWY3DPEHPK3PXP")
    assert keys.cipher(key).decrypt(token) == b"JBSWY3DPEHPK3PXP"


def test_the_key_is_the_same_after_a_restart_and_differs_between_installations(data_dir: Path, tmp_path: Path) -> None:
    key = keys.secret_key()
    get_settings.cache_clear()
    assert keys.secret_key() == key
    assert _key_in_subprocess(data_dir) == key
    assert _key_in_subprocess(tmp_path / "another") != key


def test_processes_starting_at_once_agree_on_one_key(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "REPAIROPS_SECRET_KEY"}
    env["REPAIROPS_DATA_DIR"] = str(tmp_path / "race")
    # Each process is loaded, says so, and waits for the go file: they all look for the key file at once.
    go = tmp_path / "go"
    script = (
        "import pathlib, time\n"
        "from ops_db.kit.keys import secret_key\n"
        "print('ready', flush=True)\n"
        f"while not pathlib.Path({str(go)!r}).exists(): time.sleep(0.0002)\n"
        "print(secret_key())"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        for _ in range(4)
    ]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    go.touch()
    answers = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [e for _, e in answers]
    assert len({out.strip() for out, _ in answers}) == 1


def test_a_key_file_others_can_read_is_refused(data_dir: Path) -> None:
    keys.secret_key()
    path = data_dir / "secret.key"
    path.chmod(0o644)
    with pytest.raises(
        ConfigurationError,
        match=r"can be read or changed by other users; make it private with "
        r"`chmod 600 .*secret\.key`",
    ):
        keys.secret_key()
    path.chmod(0o600)
    assert keys.secret_key()


def test_a_weak_key_file_is_refused(data_dir: Path) -> None:
    data_dir.mkdir()
    path = data_dir / "secret.key"
    path.write_text("short\n")
    path.chmod(0o600)
    with pytest.raises(ConfigurationError, match="too weak"):
        keys.secret_key()


@pytest.mark.parametrize(
    ("value", "sentence"),
    [
        ("dev-only-change-me-0123456789abcdef", "the old built-in development key"),
        ("  dev-only-change-me-0123456789abcdef ", "the old built-in development key"),
        ("", "too weak"),
        ("correct-horse-battery", "too weak"),
        ("a" * 64, "too weak"),
    ],
)
def test_a_weak_or_published_key_in_the_environment_is_refused(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, value: str, sentence: str
) -> None:
    monkeypatch.setenv("REPAIROPS_SECRET_KEY", value)
    get_settings.cache_clear()
    with pytest.raises(ConfigurationError, match=sentence) as refused:
        fernet()
    assert "REPAIROPS_SECRET_KEY" in refused.value.message
    assert not value.strip() or value.strip() not in refused.value.message  # never echoes the key
    assert not (data_dir / "secret.key").exists()


def test_a_strong_key_in_the_environment_wins_over_the_key_file(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from_file = keys.secret_key()
    chosen = "Zm9yIHRlc3RzIG9ubHk6IG5vdCBhIHJlYWwga2V5IGF0IGFsbA"
    monkeypatch.setenv("REPAIROPS_SECRET_KEY", chosen)
    get_settings.cache_clear()
    assert keys.secret_key() == chosen != from_file
    assert "Zm9y" not in repr(get_settings())  # a secret, never printed with the settings


def test_an_interrupted_rotation_is_named_instead_of_guessing_a_key(data_dir: Path) -> None:
    keys.secret_key()
    keys.create_key_file(keys.pending_key_file(data_dir / "secret.key"), keys.generate_key())
    with pytest.raises(ConfigurationError, match="key rotation was interrupted"):
        keys.secret_key()
