"""The best candidate for one request among thousands of mentors, with numpy.

`matching.best` scores mentors one by one in Python, which is too slow while a member waits
for the reply of `/mentor request` in a server with thousands of mentors. `MentorIndex` keeps
the mentor side of the score (focus, languages, weekly hours) as arrays, built once and used
for many requests; `best` then gives exactly what `matching.best` gives (a test checks).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np
import numpy.typing as npt

from bot.domain.assignment import load_points_array
from bot.domain.matching import (
    AVAILABILITY_POINTS,
    BASE_POINTS,
    FOCUS_POINTS,
    FULL_OVERLAP_SLOTS,
    SLOTS_PER_WEEK,
    SPONSOR,
    Candidate,
    Mentor,
    Request,
    fit,
)

_WORDS = (SLOTS_PER_WEEK + 63) // 64


def _words(masks: Sequence[int]) -> npt.NDArray[np.uint64]:
    """Weekly masks as rows of 64-bit words."""
    raw = b"".join(mask.to_bytes(_WORDS * 8, "little") for mask in masks)
    return np.frombuffer(raw, dtype="<u8").reshape(len(masks), _WORDS).astype(np.uint64)


class MentorIndex:
    """Approved mentors taking offers, with their load left out (it changes with every offer)."""

    def __init__(self, mentors: Sequence[Mentor]) -> None:
        # Ties go to the lower user id, as in matching.rank: keep the rows in that order.
        self.mentors = tuple(sorted(mentors, key=lambda x: x.user_id))
        count = len(self.mentors)
        self.row_of = {x.user_id: row for row, x in enumerate(self.mentors)}
        self.ids = np.array([x.user_id for x in self.mentors], dtype=np.int64)
        self.capacity = np.array([x.capacity for x in self.mentors], dtype=np.int64)
        self.open = np.array([x.approved and not x.paused for x in self.mentors], dtype=bool)
        self.sponsor = np.array([x.kind == SPONSOR for x in self.mentors], dtype=bool)
        self.hours = _words([x.availability for x in self.mentors])
        vocabulary = sorted({key for x in self.mentors for key in x.focus})
        self.focus_column = {key: column for column, key in enumerate(vocabulary)}
        self.focus = np.zeros((count, len(vocabulary)), dtype=bool)
        for row, mentor in enumerate(self.mentors):
            for key in mentor.focus:
                self.focus[row, self.focus_column[key]] = True
        self.speaks: dict[str, npt.NDArray[np.bool_]] = {}
        for row, mentor in enumerate(self.mentors):
            for language in mentor.languages:
                self.speaks.setdefault(language, np.zeros(count, dtype=bool))[row] = True

    def __len__(self) -> int:
        return len(self.mentors)

    def best(self, request: Request, loads: Mapping[int, int]) -> Candidate | None:
        """`matching.best(request, mentors with these loads)`, computed for all at once."""
        if not self.mentors:
            return None
        load = np.zeros(len(self.mentors), dtype=np.int64)
        for user_id, count in loads.items():
            row = self.row_of.get(user_id)
            if row is not None:
                load[row] = count
        usable = self.open & (load < self.capacity) & (self.ids != request.requester_id)
        if request.kind == SPONSOR:
            usable &= self.sponsor
        if request.language is not None:
            speakers = self.speaks.get(request.language)
            if speakers is None:
                return None
            usable &= speakers
        for user_id in request.excluded:
            row = self.row_of.get(user_id)
            if row is not None:
                usable[row] = False
        if not usable.any():
            return None
        points = BASE_POINTS + load_points_array(load, self.capacity)
        columns = [self.focus_column[k] for k in request.focus if k in self.focus_column]
        if request.focus and columns:
            shared = self.focus[:, columns].sum(axis=1)
            points = points + FOCUS_POINTS * shared // len(request.focus)
        if request.availability:
            # Shared quarter hours: popcount of AND over the masks' 64-bit words.
            overlap = np.bitwise_count(self.hours & _words([request.availability])).sum(axis=1)
            points = (
                points
                + AVAILABILITY_POINTS
                * np.minimum(overlap.astype(np.int64), FULL_OVERLAP_SLOTS)
                // FULL_OVERLAP_SLOTS
            )
        # Higher points first, then the lighter load; argmax keeps the lowest row (user id).
        scale = int(self.capacity.max(initial=0)) + int(load.max(initial=0)) + 2
        key = np.where(usable, points * scale + (scale - 1 - load), -1)
        row = int(np.argmax(key))
        mentor = replace(self.mentors[row], load=int(load[row]))
        return Candidate(mentor, fit(request, mentor))
