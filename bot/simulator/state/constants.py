"""Payload type, channel types and message flags, as Discord numbers them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import discord

from bot.simulator.errors import SimulatorError

JSON = dict[str, Any]
Emit = Callable[[str, JSON, "int | None"], None]

TEXT, DM, VOICE, CATEGORY, PUBLIC_THREAD, PRIVATE_THREAD = 0, 1, 2, 4, 11, 12
THREAD_TYPES = (10, PUBLIC_THREAD, PRIVATE_THREAD)
STAGE = 13
VOICE_TYPES = (VOICE, STAGE)

EPHEMERAL = 1 << 6
LOADING = 1 << 7
COMPONENTS_V2 = 1 << 15

# Discord's locales (developers/reference "Locales"; discord.py keeps the same list).
LOCALES = frozenset(locale.value for locale in discord.Locale)


def checked_locale(locale: str) -> str:
    if locale not in LOCALES:
        raise SimulatorError(f"{locale!r} is not one of Discord's locales {sorted(LOCALES)}")
    return locale
