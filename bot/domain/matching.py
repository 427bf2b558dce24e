"""Who may be offered a request, how well they fit, and why, in words: pure, no I/O.

Weekly availability is a bit mask over the coming week in UTC quarter hours (every timezone
offset in use is a whole number of quarter hours, so the masks are exact). Bit i is set when
the member's wall clock, at the instant `week_start + 15·i minutes`, reads a time inside one of
their windows; that is what "available 18:00–22:00" means to a person, including across DST
changes (a 23- or 25-hour day) and in the repeated hour of a fall-back night. Overlap between
two members is the popcount of the AND of their masks, so it is symmetric by construction.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

from bot.domain.languages import language_name

Kind = Literal["mentor", "sponsor"]
MENTOR: Kind = "mentor"
SPONSOR: Kind = "sponsor"
KINDS: tuple[Kind, ...] = (MENTOR, SPONSOR)

MINUTES_PER_DAY = 24 * 60
SLOT_MINUTES = 15
SLOTS_PER_DAY = MINUTES_PER_DAY // SLOT_MINUTES
SLOTS_PER_WEEK = 7 * SLOTS_PER_DAY
WEEK = timedelta(days=7)
_SLOT = timedelta(minutes=SLOT_MINUTES)

# The score, in whole points so that the batch solver's totals are exact. Every eligible pair
# gets BASE_POINTS, more than all the rest can add together, so that the highest total never
# leaves a person waiting to give someone else a better fit: one more match always wins.
BASE_POINTS = 1000
FOCUS_POINTS = 300  # scaled by the share of the requester's focus areas the mentor covers
AVAILABILITY_POINTS = 200  # scaled by the overlap, up to FULL_OVERLAP_SLOTS
FULL_OVERLAP_SLOTS = 10 * 60 // SLOT_MINUTES  # ten hours a week is as good as it gets
LOAD_POINTS = 100  # scaled by the share of the mentor's capacity still free
assert BASE_POINTS > FOCUS_POINTS + AVAILABILITY_POINTS + LOAD_POINTS


def focus_key(name: str) -> str:
    """Focus areas compare ignoring case and spacing: "Mental  Health" is "mental health"."""
    return " ".join(name.split()).casefold()


@dataclass(frozen=True, slots=True)
class Window:
    """A daily local time window in minutes after midnight; `end <= start` crosses midnight."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not (0 <= self.start < MINUTES_PER_DAY and 0 <= self.end < MINUTES_PER_DAY):
            raise ValueError("window minutes must lie within one day")
        if self.start == self.end:
            raise ValueError("an empty window")
        if self.start % SLOT_MINUTES or self.end % SLOT_MINUTES:
            raise ValueError("windows start and end on quarter hours")

    @property
    def crosses_midnight(self) -> bool:
        return self.end < self.start

    def slots(self) -> Iterator[int]:
        """The quarter hours of a day (0–95) the window covers."""
        first, last = self.start // SLOT_MINUTES, self.end // SLOT_MINUTES
        if last <= first:
            last += SLOTS_PER_DAY
        return (slot % SLOTS_PER_DAY for slot in range(first, last))

    def describe(self) -> str:
        return f"{_clock(self.start)}–{_clock(self.end)}"

    def encode(self) -> str:
        return f"{_clock(self.start)}-{_clock(self.end)}"


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def decode_windows(raw: str | None) -> tuple[Window, ...]:
    """Windows as stored (`18:00-22:00,06:00-08:00`), written by `encode_windows`."""
    if not raw:
        return ()
    windows = []
    for piece in raw.split(","):
        start, end = piece.split("-")
        windows.append(Window(_minutes(start), _minutes(end)))
    return tuple(windows)


def encode_windows(windows: Iterable[Window]) -> str:
    return ",".join(window.encode() for window in windows)


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


# A requester gives no availability; their waking day stands in for it, so overlap measures how
# much of a mentor's time falls when the requester is likely to be up.
DEFAULT_DAY: tuple[Window, ...] = (Window(9 * 60, 22 * 60),)


def week_start(now: datetime) -> datetime:
    """The start of "the coming week": `now` floored to the quarter hour, in UTC."""
    instant = now.astimezone(UTC)
    floored = instant.minute - instant.minute % SLOT_MINUTES
    return instant.replace(minute=floored, second=0, microsecond=0)


def coming_week(now: datetime) -> datetime:
    """The week services score availability over: from the start of `now`'s UTC day.

    Coarser than `week_start` on purpose: every mentor's mask depends on it, and a start that
    moves once a day lets those masks be computed once a day rather than every quarter hour.
    """
    instant = now.astimezone(UTC)
    return instant.replace(hour=0, minute=0, second=0, microsecond=0)


def _day_pattern(windows: Iterable[Window]) -> int:
    pattern = 0
    for window in windows:
        for slot in window.slots():
            pattern |= 1 << slot
    return pattern


def _offset_slots(zone: ZoneInfo, instant: datetime) -> int:
    offset = instant.astimezone(zone).utcoffset()
    assert offset is not None
    return int(offset.total_seconds()) // 60 // SLOT_MINUTES


# Zones change offset at most a few times a year and never twice within three hours, so the
# offset is read every three hours and, where it changed, the change is found by bisection.
_PROBE_SLOTS = 3 * 60 // SLOT_MINUTES


def _segments(zone: ZoneInfo, start: datetime) -> list[tuple[int, int, int]]:
    """(first slot, end slot, UTC offset in slots) for each stretch of one offset in the week."""
    segments: list[tuple[int, int, int]] = []
    first = 0
    current = _offset_slots(zone, start)
    for probe in range(_PROBE_SLOTS, SLOTS_PER_WEEK + _PROBE_SLOTS, _PROBE_SLOTS):
        boundary = min(probe, SLOTS_PER_WEEK)
        if _offset_slots(zone, start + boundary * _SLOT) == current:
            continue
        low, high = boundary - _PROBE_SLOTS, boundary  # same offset at low, changed at high
        while high - low > 1:
            middle = (low + high) // 2
            if _offset_slots(zone, start + middle * _SLOT) == current:
                low = middle
            else:
                high = middle
        segments.append((first, high, current))
        first, current = high, _offset_slots(zone, start + high * _SLOT)
    segments.append((first, SLOTS_PER_WEEK, current))
    return segments


def weekly_mask(windows: Sequence[Window], zone: ZoneInfo, start: datetime) -> int:
    """The quarter hours of the week from `start` (see `week_start`) inside `windows` locally."""
    return _weekly_mask(tuple(windows), zone, start)


@lru_cache(maxsize=16384)
def _weekly_mask(windows: tuple[Window, ...], zone: ZoneInfo, start: datetime) -> int:
    # Cached: many members share a zone and the usual evening windows.
    day = _day_pattern(windows)
    if not day:
        return 0
    # Nine days of the local pattern cover any phase plus the whole week.
    pattern = 0
    for copy in range(9):
        pattern |= day << (copy * SLOTS_PER_DAY)
    start_utc = start.astimezone(UTC)
    minute_of_day = start_utc.hour * 60 + start_utc.minute
    mask = 0
    for first, end, offset in _segments(zone, start_utc):
        phase = (minute_of_day // SLOT_MINUTES + offset) % SLOTS_PER_DAY
        span = ((1 << (end - first)) - 1) << first
        mask |= (pattern >> phase) & span
    return mask


def overlap_slots(a: int, b: int) -> int:
    return (a & b).bit_count()


def slots_to_hours(slots: int) -> float:
    return slots * SLOT_MINUTES / 60


@dataclass(frozen=True, slots=True)
class Mentor:
    """What matching needs to know about one mentor or sponsor profile."""

    user_id: int
    kind: Kind
    capacity: int
    load: int  # current active mentees
    focus: frozenset[str] = frozenset()  # focus keys
    languages: frozenset[str] = frozenset({"en"})
    availability: int = 0  # weekly mask
    approved: bool = True
    paused: bool = False

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.load)


@dataclass(frozen=True, slots=True)
class Request:
    """One member's open request, with who may no longer be offered it."""

    requester_id: int
    kind: Kind
    focus: frozenset[str] = frozenset()  # focus keys
    language: str | None = None  # None: any language
    availability: int = 0  # weekly mask
    # Mentors who declined this member before, or whose pairing with them ended.
    excluded: frozenset[int] = field(default_factory=frozenset)


class Ineligible(StrEnum):
    NOT_APPROVED = "not approved"
    PAUSED = "paused"
    FULL = "at capacity"
    WRONG_KIND = "not a sponsor"
    LANGUAGE = "does not speak the language"
    SELF = "is the requester"
    HISTORY = "declined or ended with this member before"


def serves(mentor_kind: Kind, requested: Kind) -> bool:
    """A sponsor may also serve as a mentor; a mentor is not a sponsor."""
    return mentor_kind == requested or (mentor_kind == SPONSOR and requested == MENTOR)


def ineligibility(request: Request, mentor: Mentor) -> Ineligible | None:
    """The first hard constraint `mentor` fails for `request`, or None if they may be offered it."""
    if mentor.user_id == request.requester_id:
        return Ineligible.SELF
    if not mentor.approved:
        return Ineligible.NOT_APPROVED
    if mentor.paused:
        return Ineligible.PAUSED
    if mentor.free <= 0:
        return Ineligible.FULL
    if not serves(mentor.kind, request.kind):
        return Ineligible.WRONG_KIND
    if request.language is not None and request.language not in mentor.languages:
        return Ineligible.LANGUAGE
    if mentor.user_id in request.excluded:
        return Ineligible.HISTORY
    return None


def eligible(request: Request, mentor: Mentor) -> bool:
    return ineligibility(request, mentor) is None


def focus_points(shared: int, requested: int) -> int:
    return FOCUS_POINTS * shared // requested if requested else 0


def availability_points(slots: int) -> int:
    return AVAILABILITY_POINTS * min(slots, FULL_OVERLAP_SLOTS) // FULL_OVERLAP_SLOTS


def load_points(load: int, capacity: int) -> int:
    """Fewer current mentees first: full marks with nobody, none when the next is the last."""
    if capacity <= 0:
        return 0
    return LOAD_POINTS * max(0, capacity - load) // capacity


@dataclass(frozen=True, slots=True)
class Fit:
    """How well one mentor fits one request; `total` is what candidates are ranked by."""

    shared_focus: tuple[str, ...]
    overlap: int  # weekly mask of the shared quarter hours
    language: str | None
    pair_points: int
    load_points: int

    @property
    def overlap_slots(self) -> int:
        return self.overlap.bit_count()

    @property
    def overlap_hours(self) -> float:
        return slots_to_hours(self.overlap_slots)

    @property
    def total(self) -> int:
        return self.pair_points + self.load_points


def pair_points(request: Request, mentor: Mentor) -> int:
    """The part of the score that depends on the two people, not on the mentor's load."""
    shared = len(request.focus & mentor.focus)
    slots = overlap_slots(request.availability, mentor.availability)
    return BASE_POINTS + focus_points(shared, len(request.focus)) + availability_points(slots)


def fit(request: Request, mentor: Mentor) -> Fit:
    return Fit(
        shared_focus=tuple(sorted(request.focus & mentor.focus)),
        overlap=request.availability & mentor.availability,
        language=request.language,
        pair_points=pair_points(request, mentor),
        load_points=load_points(mentor.load, mentor.capacity),
    )


@dataclass(frozen=True, slots=True)
class Candidate:
    mentor: Mentor
    fit: Fit


def rank(request: Request, mentors: Iterable[Mentor]) -> list[Candidate]:
    """Every eligible mentor, best fit first; ties go to the lighter load, then the older id."""
    candidates = [Candidate(m, fit(request, m)) for m in mentors if eligible(request, m)]
    candidates.sort(key=lambda c: (-c.fit.total, c.mentor.load, c.mentor.user_id))
    return candidates


def best(request: Request, mentors: Iterable[Mentor]) -> Candidate | None:
    """The first of `rank`, without scoring every pair in full: an offer is made while the
    member waits for the reply, and a server may have thousands of mentors."""
    top: Mentor | None = None
    top_key = (0, 0, 0)
    for mentor in mentors:
        if ineligibility(request, mentor) is not None:
            continue
        key = (
            pair_points(request, mentor) + load_points(mentor.load, mentor.capacity),
            -mentor.load,
            -mentor.user_id,
        )
        if top is None or key > top_key:
            top, top_key = mentor, key
    return Candidate(top, fit(request, top)) if top is not None else None


PartOfDay = Literal["morning", "afternoon", "evening", "night"]


def part_of_day(hour: int) -> PartOfDay:
    if 5 <= hour < 12:
        return "morning"
    if 12 <= hour < 17:
        return "afternoon"
    if 17 <= hour < 22:
        return "evening"
    return "night"


def dominant_part_of_day(overlap: int, zone: ZoneInfo, start: datetime) -> PartOfDay | None:
    """When most of the overlap falls on `zone`'s clock, if at least half of it falls then."""
    counts: dict[PartOfDay, int] = {}
    slot = 0
    bits = overlap
    while bits:
        if bits & 1:
            hour = (start + slot * _SLOT).astimezone(zone).hour
            key = part_of_day(hour)
            counts[key] = counts.get(key, 0) + 1
        bits >>= 1
        slot += 1
    if not counts:
        return None
    top, count = max(counts.items(), key=lambda item: item[1])
    return top if count * 2 >= overlap.bit_count() else None


def _join(words: Sequence[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"


def _hours(slots: int) -> str:
    hours = slots_to_hours(slots)
    text = f"{hours:g}"
    return f"{text} hour{'' if hours == 1 else 's'}"


def explain(
    match: Fit,
    *,
    focus_names: dict[str, str] | None = None,
    zone: ZoneInfo | None = None,
    start: datetime | None = None,
) -> str:
    """Why a pair fits, in words, e.g. "you both chose alcohol and family; 6 evening hours a
    week overlap; both speak Spanish". `zone` (the reader's) names the part of the day."""
    reasons: list[str] = []
    if match.shared_focus:
        names = [(focus_names or {}).get(key, key) for key in match.shared_focus]
        reasons.append(f"you both chose {_join(names)}")
    slots = match.overlap_slots
    if slots:
        when = None
        if zone is not None and start is not None:
            when = dominant_part_of_day(match.overlap, zone, start)
        hours = _hours(slots)
        if when is not None:
            number, _, unit = hours.partition(" ")
            hours = f"{number} {when} {unit}"
        reasons.append(f"{hours} a week overlap" if slots != 4 else f"{hours} a week overlaps")
    if match.language is not None:
        reasons.append(f"both speak {language_name(match.language)}")
    if not reasons:
        return "the best available fit right now"
    return "; ".join(reasons)
