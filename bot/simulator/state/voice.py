"""Voice states: who is connected to which voice or stage channel, and how."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass
class SimVoiceState:
    channel_id: int
    # When the member joined, in the simulator's clock (the bot's business clock when one
    # runs), so attendance computed from voice states follows `advance`.
    joined_at: datetime
    self_mute: bool = False
    self_deaf: bool = False
    self_video: bool = False
    self_stream: bool = False
    mute: bool = False
    deaf: bool = False


@dataclass(frozen=True)
class VoiceVisit:
    """One stay in a voice channel, for tests that check attendance (`left_at` None: still in)."""

    user_id: int
    channel_id: int
    joined_at: datetime
    left_at: datetime | None = None
