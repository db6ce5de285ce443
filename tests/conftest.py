"""Test-wide settings: a person-ID key of the test run's own, never the user's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True, scope="session")
def _person_id_key(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("key") / "person-key"
    path.write_bytes(b"k" * 32)
    path.chmod(0o600)  # a key others can read is refused, whatever the umask
    mp = pytest.MonkeyPatch()
    mp.setenv("CLEANSE_KEY_FILE", str(path))
    yield path
    mp.undo()
