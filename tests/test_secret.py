"""The person-ID key: created private on first use, stable, and required to reproduce IDs."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

import pytest

from cleanse import secret
from cleanse.errors import CleanseError


def test_key_is_created_private_and_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "conf" / "person-key"
    monkeypatch.setenv("CLEANSE_KEY_FILE", str(path))
    first = secret.keyed_digest("001085012345")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(path.read_bytes()) == 32
    assert secret.keyed_digest("001085012345") == first


def test_digest_depends_on_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_bytes(b"a" * 32)
    b.write_bytes(b"b" * 32)
    monkeypatch.setenv("CLEANSE_KEY_FILE", str(a))
    with_a = secret.keyed_digest("001085012345")
    monkeypatch.setenv("CLEANSE_KEY_FILE", str(b))
    assert secret.keyed_digest("001085012345") != with_a
    # Without the key, the plain hash of the ID does not give the person ID.
    assert hashlib.sha1(b"001085012345").hexdigest()[:12] != with_a[:12]
    assert hashlib.sha256(b"001085012345").hexdigest()[:12] != with_a[:12]


def test_short_key_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "short"
    path.write_bytes(b"x")
    monkeypatch.setenv("CLEANSE_KEY_FILE", str(path))
    with pytest.raises(CleanseError, match="too short"):
        secret.keyed_digest("001085012345")


def test_many_digests_at_once_equal_one_at_a_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "k"
    path.write_bytes(b"k" * 32)
    monkeypatch.setenv("CLEANSE_KEY_FILE", str(path))
    texts = ["001085012345", "id:079123456789", "name:nguyen van an|19850512", ""]
    assert secret.keyed_digests(texts) == [secret.keyed_digest(t) for t in texts]
    assert secret.keyed_digests([]) == []
