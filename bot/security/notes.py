"""Encrypting members' notes at rest: check-in notes, /sos notes, mentor request notes.

Notes are Fernet tokens (AES-128-CBC with an HMAC-SHA256, from `cryptography`), under a
MultiFernet so keys can be rotated: the first key encrypts, every key decrypts.

Where the keys come from, checked once at start-up:
- `STEADY_ENCRYPTION_KEYS`: comma-separated Fernet keys, newest first (`python -m bot keygen`
  makes one). Wins whenever it is set.
- unset, on SQLite: a key file beside the database (`data/steady.db` → `data/steady.db.key`),
  created with mode 0600 on the first start and reused after. It can hold several keys, one
  per line, newest first. Back it up with the database: without it the notes cannot be read.
- unset, on PostgreSQL: a start-up error naming the variable. Several processes share one
  database there, and a key file on one machine would leave the others unable to read notes.

Rotation (`python -m bot rotate-keys`; each feature walks its own tables: check-ins
`upkeep.rotate_notes`, mentoring `notes.rotate_request_notes`, the outbox
`sealing.rotate_sealed_messages`):
put a new key first in `STEADY_ENCRYPTION_KEYS` (or the key file), keep the old ones after it,
and run rotate-keys. It walks every encrypted column in batches, one transaction per batch,
replacing each token with `NotesCipher.rotate(token)`: re-encrypted under the newest key, the
plaintext never leaving memory. It is idempotent, so an interrupted run is simply run again.
Once it has finished, the old keys can be removed. This module needs no tables; the walk over
them belongs to the feature that owns them.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy.engine import URL

from bot.errors import ConfigError

KEYS_ENV = "STEADY_ENCRYPTION_KEYS"
KEY_FILE_SUFFIX = ".key"
_KEY_FILE_MODE = 0o600
_MAKE_ONE = "make one with `python -m bot keygen`"


class NoteUnreadable(Exception):
    """A stored note that none of the configured keys can decrypt (wrong or missing key)."""


class NotesCipher:
    """Encrypts with the newest key; decrypts with any configured key."""

    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys:
            raise ValueError("at least one key is needed")
        self._fernet = MultiFernet([Fernet(key) for key in keys])
        self.key_count = len(keys)

    def encrypt(self, text: str) -> bytes:
        return self._fernet.encrypt(text.encode("utf-8"))

    def decrypt(self, token: bytes) -> str:
        try:
            return self._fernet.decrypt(token).decode("utf-8")
        except InvalidToken:
            raise NoteUnreadable("no configured key decrypts this note") from None

    def rotate(self, token: bytes) -> bytes:
        """The same note re-encrypted under the newest key (for `rotate-keys`)."""
        try:
            return self._fernet.rotate(token)
        except InvalidToken:
            raise NoteUnreadable("no configured key decrypts this note") from None


def generate_key() -> str:
    """A new random Fernet key, as the text `STEADY_ENCRYPTION_KEYS` takes."""
    return Fernet.generate_key().decode("ascii")


def parse_keys(raw: str) -> tuple[bytes, ...]:
    """Comma-separated keys, newest first. The ValueError says which one is wrong, never
    what it is (the message may end up in a terminal or a log)."""
    pieces = [piece.strip() for piece in raw.split(",")]
    if not any(pieces):
        raise ValueError(f"no key given; {_MAKE_ONE}")
    if not all(pieces):
        raise ValueError("an empty entry between commas; list the keys as KEY1,KEY2")
    keys: list[bytes] = []
    for position, piece in enumerate(pieces, start=1):
        key = piece.encode("ascii", errors="replace")
        try:
            Fernet(key)
        except ValueError:
            raise ValueError(
                f"key {position} of {len(pieces)} is not a Fernet key (32 bytes as 44 url-safe "
                f"base64 characters); {_MAKE_ONE}"
            ) from None
        if key in keys:
            raise ValueError(f"key {position} of {len(pieces)} repeats an earlier key")
        keys.append(key)
    return tuple(keys)


def key_file_for(database: URL) -> Path | None:
    """The key file beside an SQLite database file; None for an in-memory database."""
    name = database.database
    if not name or name == ":memory:" or name.startswith("file::memory:"):
        return None
    path = Path(name)
    return path.with_name(path.name + KEY_FILE_SUFFIX)


def load_or_create_key_file(path: Path) -> tuple[bytes, ...]:
    """The keys in `path` (one per line, newest first), creating it with one new key and mode
    0600 if it does not exist. Raises ConfigError naming the file when it cannot be used."""
    if not path.exists():
        _create_key_file(path)
    if os.name == "posix":
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise ConfigError(
                f"encryption key file {path} can be read by other users (mode {mode:o}); "
                f"run `chmod 600 {path}`"
            )
    lines = [line.strip() for line in path.read_text("ascii", errors="replace").splitlines()]
    entries = [line for line in lines if line and not line.startswith("#")]
    try:
        return parse_keys(",".join(entries))
    except ValueError as exc:
        raise ConfigError(f"encryption key file {path}: {exc}") from None


def _create_key_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    try:
        descriptor = os.open(path, flags, _KEY_FILE_MODE)
    except FileExistsError:
        return  # another process created it first; read theirs
    try:
        os.fchmod(descriptor, _KEY_FILE_MODE)  # the umask may have taken bits; never added
        body = (
            "# Steady's encryption key for members' notes. Back this file up with the database:\n"
            "# without it the notes cannot be read. Newest key first, one per line.\n"
            f"{generate_key()}\n"
        )
        os.write(descriptor, body.encode("ascii"))
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def load_cipher(*, keys: str | None, database: URL) -> NotesCipher:
    """The cipher for this deployment, by the rules in the module docstring.

    Call it once at start-up, before serving: its ConfigError is one line naming the variable.
    """
    if keys is not None and keys.strip():
        try:
            return NotesCipher(parse_keys(keys))
        except ValueError as exc:
            raise ConfigError(f"{KEYS_ENV}: {exc}") from None
    if database.get_backend_name() != "sqlite":
        raise ConfigError(
            f"{KEYS_ENV} is not set: with PostgreSQL every process needs the same keys to read "
            f"members' notes; {_MAKE_ONE} and export {KEYS_ENV}=<key>"
        )
    path = key_file_for(database)
    if path is None:
        # An in-memory database vanishes with the process, and so may its key.
        return NotesCipher([Fernet.generate_key()])
    return NotesCipher(load_or_create_key_file(path))
