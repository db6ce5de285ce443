"""Test-wide settings: a person-ID key of the test run's own, never the user's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests check what holds, not how fast: a loaded machine (the suite runs on
# every core) must not fail them on Hypothesis's 200 ms deadline.
settings.register_profile("cleanse", deadline=None)
settings.load_profile("cleanse")


@pytest.fixture(autouse=True, scope="session")
def _person_id_key(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("key") / "person-key"
    path.write_bytes(b"k" * 32)
    path.chmod(0o600)  # a key others can read is refused, whatever the umask
    mp = pytest.MonkeyPatch()
    mp.setenv("CLEANSE_KEY_FILE", str(path))
    yield path
    mp.undo()


@pytest.fixture(autouse=True)
def _english_library_lines() -> Iterator[None]:
    """Library calls in tests word their errors in English, to assert their words; the
    CLI chooses its own language (``--lang``, ``CLEANSE_LANG``, else Vietnamese) for each
    run, and test_catalogue and test_hostile assert the Vietnamese lines."""
    from cleanse import i18n

    with i18n.using("en"):
        yield


@pytest.fixture
def english_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    """``CLEANSE_LANG=en`` for the CLI runs of a module that asserts the words of its
    error lines; the default language (Vietnamese) is asserted in test_catalogue and
    test_hostile."""
    monkeypatch.setenv("CLEANSE_LANG", "en")
