"""The notes' cipher, loaded when first needed.

`python -m bot run` loads it before connecting (a missing key stops the start with one line)
and hands it over. Other builders of the services (the simulator, the demo, service tests)
pass this instead, so that building services never creates a key file as a side effect.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.security.notes import NotesCipher


class LazyNotesCipher(NotesCipher):
    def __init__(self, load: Callable[[], NotesCipher]) -> None:  # no super(): nothing loaded yet
        self._load = load
        self._loaded: NotesCipher | None = None

    def _cipher(self) -> NotesCipher:
        if self._loaded is None:
            self._loaded = self._load()
        return self._loaded

    # NotesCipher sets key_count as an attribute when built; here it is read when asked.
    @property
    def key_count(self) -> int:  # type: ignore[override]
        return self._cipher().key_count

    def encrypt(self, text: str) -> bytes:
        return self._cipher().encrypt(text)

    def decrypt(self, token: bytes) -> str:
        return self._cipher().decrypt(token)

    def rotate(self, token: bytes) -> bytes:
        return self._cipher().rotate(token)
