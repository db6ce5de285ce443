"""The person-ID key: created private on first use, stable, required to reproduce IDs, and
refused when other users could read it."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from cleanse import secret
from cleanse.cli import cli
from cleanse.errors import CleanseError

# These tests assert the words of error lines: English ones (CLEANSE_LANG=en).
pytestmark = pytest.mark.usefixtures("english_lines")


def private_key(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    path.chmod(0o600)
    return path


def test_key_is_created_private_and_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "conf" / "person-key"
    monkeypatch.setenv("CLEANSE_KEY_FILE", str(path))
    first = secret.keyed_digest("001085012345")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(path.read_bytes()) == 32
    assert secret.keyed_digest("001085012345") == first


def test_digest_depends_on_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    a, b = private_key(tmp_path / "a", b"a" * 32), private_key(tmp_path / "b", b"b" * 32)
    monkeypatch.setenv("CLEANSE_KEY_FILE", str(a))
    with_a = secret.keyed_digest("001085012345")
    monkeypatch.setenv("CLEANSE_KEY_FILE", str(b))
    assert secret.keyed_digest("001085012345") != with_a
    # Without the key, the plain hash of the ID does not give the person ID.
    assert hashlib.sha1(b"001085012345").hexdigest()[:12] != with_a[:12]
    assert hashlib.sha256(b"001085012345").hexdigest()[:12] != with_a[:12]


def test_short_key_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = private_key(tmp_path / "short", b"x")
    monkeypatch.setenv("CLEANSE_KEY_FILE", str(path))
    with pytest.raises(CleanseError, match="too short"):
        secret.keyed_digest("001085012345")


def test_many_digests_at_once_equal_one_at_a_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = private_key(tmp_path / "k", b"k" * 32)
    monkeypatch.setenv("CLEANSE_KEY_FILE", str(path))
    texts = ["001085012345", "id:079123456789", "name:nguyen van an|19850512", ""]
    assert secret.keyed_digests(texts) == [secret.keyed_digest(t) for t in texts]
    assert secret.keyed_digests([]) == []


@pytest.mark.parametrize(
    ("mode", "who"),
    [(0o644, "read"), (0o640, "read"), (0o604, "read"), (0o620, "change"), (0o602, "change")],
)
def test_a_key_others_can_read_or_change_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: int, who: str
):
    path = private_key(tmp_path / f"key-{mode:o}", b"k" * 32)
    path.chmod(mode)
    monkeypatch.setenv("CLEANSE_KEY_FILE", str(path))
    with pytest.raises(CleanseError) as caught:
        secret.keyed_digest("001085012345")
    line = caught.value.line()
    assert f"other users can {who} the person-ID key (mode {mode:04o})" in line
    assert f"chmod 600 {path}" in line
    assert caught.value.path == str(path)


def test_a_link_to_a_public_file_is_refused_without_advising_chmod(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    # /etc/passwd is long enough to be a key, and anyone can read it. chmod on the link
    # would change /etc/passwd itself: the line says to use a key of one's own instead.
    link = tmp_path / "person-key"
    link.symlink_to("/etc/passwd")
    mode_before = stat.S_IMODE(os.stat("/etc/passwd").st_mode)
    assert mode_before & 0o004
    monkeypatch.setenv("CLEANSE_KEY_FILE", str(link))
    with pytest.raises(CleanseError, match="other users can read the person-ID key") as caught:
        secret.keyed_digest("001085012345")
    assert "chmod 600 " + str(link) not in caught.value.line()
    assert "a key file of your own" in caught.value.line()
    assert stat.S_IMODE(os.stat("/etc/passwd").st_mode) == mode_before


def test_a_link_to_a_private_key_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    key = private_key(tmp_path / "real-key", b"r" * 32)
    link = tmp_path / "link"
    link.symlink_to(key)
    monkeypatch.setenv("CLEANSE_KEY_FILE", str(link))
    via_link = secret.keyed_digest("001085012345")
    monkeypatch.setenv("CLEANSE_KEY_FILE", str(key))
    assert secret.keyed_digest("001085012345") == via_link


def test_a_public_key_stops_reconcile_with_one_line(tmp_path: Path, monkeypatch):
    samples = Path(__file__).resolve().parent.parent / "samples"
    path = private_key(tmp_path / "key", b"k" * 32)
    path.chmod(0o644)
    monkeypatch.setenv("CLEANSE_KEY_FILE", str(path))
    out = tmp_path / "out"
    args = ["reconcile", str(samples / "bhxh.csv"), str(samples / "btxh.csv"), "--out", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"cleanse: error: {path}: other users can read the person-ID key (mode 0644); "
        "whoever reads it can turn person IDs back into ID numbers "
        f"(make it private: chmod 600 {path})"
    ]
    assert not out.exists()


def test_the_mode_check_is_skipped_on_windows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    # Windows reports every file as readable by all; its ACLs are what protect the key.
    path = private_key(tmp_path / "win-key", b"w" * 32)
    path.chmod(0o644)
    monkeypatch.setattr(secret.os, "name", "nt")
    secret._check_private(path, os.stat(path))
