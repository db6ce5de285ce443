"""The installation's key for person IDs, so that they cannot be turned back into IDs.

A ``person_id`` is derived from the person's ID number. A plain hash of a 12-digit ID can
be reversed by trying every structured ID (about 6 × 10^10), so person IDs are keyed:
HMAC-SHA256 with a secret kept on this machine. The same key gives the same person IDs
run after run; reports sent up the chain carry person IDs that reveal nothing.

The key is read from the file named by ``CLEANSE_KEY_FILE``, else from
``$XDG_CONFIG_HOME/cleanse/person-key`` (``~/.config/cleanse/person-key``), created with
32 random bytes and mode 0600 on first use. Teams that want the same person IDs on
several machines copy that file. A key that other users can read or change (group or
other permission bits, or a link to such a file) is refused: whoever reads the key can
turn person IDs back into ID numbers.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from cleanse.errors import CleanseError, os_reason
from cleanse.i18n import N_, msg


def key_path() -> Path:
    """Where the key is kept."""
    named = os.environ.get("CLEANSE_KEY_FILE")
    if named:
        return Path(named)
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "cleanse" / "person-key"


@cache
def _key(path: Path) -> bytes:
    try:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(secrets.token_bytes(32))
    except FileExistsError:  # another run created it a moment ago
        pass
    except OSError as exc:
        raise _unreadable(path, exc) from None
    try:
        with path.open("rb") as fh:
            # The file opened, not the name: a link is judged by the file it leads to.
            _check_private(path, os.fstat(fh.fileno()))
            key = fh.read()
    except OSError as exc:
        raise _unreadable(path, exc) from None
    if len(key) < 16:
        raise CleanseError("the person-ID key is too short (under 16 bytes)", path=str(path))
    return key


def _unreadable(path: Path, exc: OSError) -> CleanseError:
    return CleanseError(
        msg("cannot read or create the person-ID key: {reason}", reason=os_reason(exc)),
        path=str(path),
        hint="set CLEANSE_KEY_FILE to a writable file",
    )


def _check_private(path: Path, st: os.stat_result) -> None:
    """Refuse a key file that other users may read or change, as ssh does for its keys."""
    if os.name == "nt":
        # Windows keeps access in ACLs, not in these mode bits (which it reports as
        # readable by all): the check would refuse every key, so it is not made there.
        return
    mode = stat.S_IMODE(st.st_mode)
    if not mode & 0o077:
        return
    what = (
        N_(
            "other users can read the person-ID key (mode {mode:04o}); whoever reads it can "
            "turn person IDs back into ID numbers"
        )
        if mode & 0o044
        else N_(
            "other users can change the person-ID key (mode {mode:04o}); whoever changes it "
            "can put a key of their own in its place"
        )
    )
    if path.is_symlink() or st.st_uid != os.getuid():
        # chmod would change the file the link leads to (/etc/passwd, say): never advise it.
        hint = msg("set CLEANSE_KEY_FILE to a key file of your own, made private with chmod 600")
    else:
        hint = msg("make it private: chmod 600 {path}", path=path)
    raise CleanseError(
        msg(what, mode=mode),
        path=str(path),
        hint=hint,
    )


def keyed_digest(text: str) -> str:
    """Hex HMAC-SHA256 of ``text`` under the installation's key."""
    return hmac.new(_key(key_path()), text.encode(), hashlib.sha256).hexdigest()


def keyed_digests(texts: Iterable[str]) -> list[str]:
    """:func:`keyed_digest` of many texts, the key looked up and set up once."""
    base = hmac.new(_key(key_path()), digestmod=hashlib.sha256)
    out = []
    for text in texts:
        mac = base.copy()
        mac.update(text.encode())
        out.append(mac.hexdigest())
    return out
