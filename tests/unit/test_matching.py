"""Matching rules: availability across zones and DST, hard constraints, the score, the words."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from bot.domain.matching import (
    MENTOR,
    SLOT_MINUTES,
    SLOTS_PER_WEEK,
    SPONSOR,
    Ineligible,
    Mentor,
    Request,
    Window,
    best,
    decode_windows,
    encode_windows,
    explain,
    fit,
    ineligibility,
    overlap_slots,
    rank,
    slots_to_hours,
    week_start,
    weekly_mask,
)

NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
# Zones with DST both ways, a half-hour DST shift (Lord Howe), quarter-hour offsets
# (Kathmandu, Chatham) and no DST at all.
ZONES = [
    "America/New_York",
    "Europe/London",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "Pacific/Chatham",
    "Asia/Kolkata",
    "America/Sao_Paulo",
    "UTC",
]

quarters = st.integers(min_value=0, max_value=95).map(lambda q: q * SLOT_MINUTES)
windows = st.tuples(quarters, quarters).filter(lambda w: w[0] != w[1]).map(lambda w: Window(*w))
window_lists = st.lists(windows, min_size=0, max_size=4).map(tuple)
zones = st.sampled_from(ZONES).map(ZoneInfo)
# 2026 and 2027, so every DST change of those years falls inside some sampled week.
any_instant = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)
# 2026's changes in New York, London, Sydney and Lord Howe (a half-hour shift), in UTC.
CHANGES = [
    datetime(2026, 3, 8, 7, tzinfo=UTC),
    datetime(2026, 11, 1, 6, tzinfo=UTC),
    datetime(2026, 3, 29, 1, tzinfo=UTC),
    datetime(2026, 10, 25, 1, tzinfo=UTC),
    datetime(2026, 4, 4, 16, tzinfo=UTC),
    datetime(2026, 10, 3, 16, tzinfo=UTC),
    datetime(2026, 4, 4, 15, tzinfo=UTC),
    datetime(2026, 10, 3, 15, 30, tzinfo=UTC),
]
# A week that contains one of them, starting anywhere in the seven days before it.
dst_weeks = st.tuples(st.sampled_from(CHANGES), st.integers(0, 7 * 24 * 60 - 1)).map(
    lambda change: change[0] - timedelta(minutes=change[1])
)
instants = st.one_of(any_instant, dst_weeks)


def wall_clock_reference(windows: tuple[Window, ...], zone: ZoneInfo, start: datetime) -> int:
    """Slot by slot: is the member's wall clock inside a window at the slot's start?"""
    mask = 0
    for slot in range(SLOTS_PER_WEEK):
        local = (start + timedelta(minutes=SLOT_MINUTES * slot)).astimezone(zone)
        minute = local.hour * 60 + local.minute
        for window in windows:
            inside = (
                window.start <= minute < window.end
                if not window.crosses_midnight
                else minute >= window.start or minute < window.end
            )
            if inside:
                mask |= 1 << slot
                break
    return mask


@given(window_lists, zones, instants)
def test_weekly_mask_is_the_wall_clock_in_any_zone_and_week(
    member_windows: tuple[Window, ...], zone: ZoneInfo, now: datetime
) -> None:
    start = week_start(now)
    assert weekly_mask(member_windows, zone, start) == wall_clock_reference(
        member_windows, zone, start
    )


@given(window_lists, zones, window_lists, zones, instants)
def test_overlap_is_symmetric(
    a: tuple[Window, ...], zone_a: ZoneInfo, b: tuple[Window, ...], zone_b: ZoneInfo, now: datetime
) -> None:
    start = week_start(now)
    mask_a, mask_b = weekly_mask(a, zone_a, start), weekly_mask(b, zone_b, start)
    assert overlap_slots(mask_a, mask_b) == overlap_slots(mask_b, mask_a)
    assert overlap_slots(mask_a, mask_b) <= min(mask_a.bit_count(), mask_b.bit_count())


@given(windows, zones, instants)
def test_a_window_crossing_midnight_is_its_two_halves(
    window: Window, zone: ZoneInfo, now: datetime
) -> None:
    start = week_start(now)
    if not window.crosses_midnight or window.end == 0:
        return
    halves = (Window(window.start, 0), Window(0, window.end))
    assert weekly_mask((window,), zone, start) == weekly_mask(halves, zone, start)


def test_an_evening_window_keeps_its_hours_and_moves_in_utc_across_spring_forward() -> None:
    # New York springs forward on Sunday 8 March 2026.
    start = week_start(datetime(2026, 3, 5, 5, 0, tzinfo=UTC))  # midnight in New York
    mask = weekly_mask((Window(18 * 60, 22 * 60),), NEW_YORK, start)
    assert slots_to_hours(mask.bit_count()) == 28

    def available(instant: datetime) -> bool:
        return bool(mask >> int((instant - start) / timedelta(minutes=15)) & 1)

    # 18:00 EST is 23:00 UTC before the change; 18:00 EDT is 22:00 UTC after it.
    assert available(datetime(2026, 3, 6, 23, 0, tzinfo=UTC))
    assert not available(datetime(2026, 3, 6, 22, 0, tzinfo=UTC))
    assert available(datetime(2026, 3, 9, 22, 0, tzinfo=UTC))
    assert not available(datetime(2026, 3, 10, 2, 0, tzinfo=UTC))


def test_the_skipped_hour_is_not_available_and_the_repeated_hour_counts_twice() -> None:
    spring = week_start(datetime(2026, 3, 5, tzinfo=UTC))
    two_am = (Window(2 * 60, 3 * 60),)
    assert slots_to_hours(weekly_mask(two_am, NEW_YORK, spring).bit_count()) == 6
    fall = week_start(datetime(2026, 10, 29, tzinfo=UTC))
    one_am = (Window(60, 2 * 60),)
    assert slots_to_hours(weekly_mask(one_am, NEW_YORK, fall).bit_count()) == 8


def test_a_new_york_evening_and_a_london_late_evening_overlap_two_hours_a_day_in_winter() -> None:
    start = week_start(datetime(2026, 1, 12, tzinfo=UTC))
    new_york = weekly_mask((Window(18 * 60, 22 * 60),), NEW_YORK, start)
    london = weekly_mask((Window(21 * 60, 60),), LONDON, start)  # 21:00–01:00
    assert slots_to_hours(overlap_slots(new_york, london)) == 14


def test_windows_survive_storage() -> None:
    stored = (Window(18 * 60, 22 * 60), Window(22 * 60 + 30, 45))
    assert decode_windows(encode_windows(stored)) == stored
    assert decode_windows(None) == ()


def _mentor(user_id: int = 2, **changes: object) -> Mentor:
    base = Mentor(
        user_id=user_id,
        kind=MENTOR,
        capacity=2,
        load=0,
        focus=frozenset({"alcohol"}),
        languages=frozenset({"en", "es"}),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


REQUEST = Request(requester_id=1, kind=MENTOR, focus=frozenset({"alcohol"}), language="es")


def test_each_hard_constraint_rules_a_mentor_out() -> None:
    assert ineligibility(REQUEST, _mentor()) is None
    assert ineligibility(REQUEST, _mentor(user_id=1)) is Ineligible.SELF
    assert ineligibility(REQUEST, _mentor(approved=False)) is Ineligible.NOT_APPROVED
    assert ineligibility(REQUEST, _mentor(paused=True)) is Ineligible.PAUSED
    assert ineligibility(REQUEST, _mentor(load=2)) is Ineligible.FULL
    assert ineligibility(REQUEST, _mentor(languages=frozenset({"en"}))) is Ineligible.LANGUAGE
    declined = Request(1, MENTOR, language="es", excluded=frozenset({2}))
    assert ineligibility(declined, _mentor()) is Ineligible.HISTORY


def test_a_sponsor_may_mentor_but_a_mentor_may_not_sponsor() -> None:
    sponsor_request = Request(1, SPONSOR)
    assert ineligibility(sponsor_request, _mentor(kind=MENTOR)) is Ineligible.WRONG_KIND
    assert ineligibility(sponsor_request, _mentor(kind=SPONSOR)) is None
    assert ineligibility(Request(1, MENTOR), _mentor(kind=SPONSOR)) is None


def test_no_language_asked_means_any_language_will_do() -> None:
    assert ineligibility(Request(1, MENTOR), _mentor(languages=frozenset({"fr"}))) is None


mentor_lists = st.lists(
    st.builds(
        Mentor,
        user_id=st.integers(1, 30),
        kind=st.sampled_from([MENTOR, SPONSOR]),
        capacity=st.integers(1, 5),
        load=st.integers(0, 6),
        focus=st.frozensets(st.sampled_from(["alcohol", "family", "secular"])),
        languages=st.frozensets(st.sampled_from(["en", "es", "fr"]), min_size=1),
        availability=st.integers(0, (1 << SLOTS_PER_WEEK) - 1),
        approved=st.booleans(),
        paused=st.booleans(),
    ),
    max_size=12,
)


@given(mentor_lists)
def test_ranking_offers_only_eligible_mentors_best_first(mentors: list[Mentor]) -> None:
    ranked = rank(REQUEST, mentors)
    assert all(ineligibility(REQUEST, c.mentor) is None for c in ranked)
    assert {id(c.mentor) for c in ranked} == {
        id(m) for m in mentors if ineligibility(REQUEST, m) is None
    }
    totals = [c.fit.total for c in ranked]
    assert totals == sorted(totals, reverse=True)
    chosen = best(REQUEST, mentors)
    if ranked:
        assert chosen is not None
        assert chosen.mentor is ranked[0].mentor
        assert chosen.fit == ranked[0].fit
    else:
        assert chosen is None


def test_shared_focus_and_overlap_raise_the_score_and_fewer_mentees_come_first() -> None:
    start = week_start(datetime(2026, 1, 12, tzinfo=UTC))
    evening = weekly_mask((Window(18 * 60, 22 * 60),), NEW_YORK, start)
    request = Request(1, MENTOR, frozenset({"alcohol", "family"}), "es", evening)
    both = _mentor(focus=frozenset({"alcohol", "family"}))
    one = _mentor(focus=frozenset({"alcohol"}))
    assert fit(request, both).total > fit(request, one).total
    overlapping = _mentor(availability=evening)
    assert fit(request, overlapping).total > fit(request, _mentor()).total
    light, busy = _mentor(user_id=5, load=0), _mentor(user_id=3, capacity=2, load=1)
    assert [c.mentor.user_id for c in rank(request, [busy, light])] == [5, 3]


def test_the_explanation_names_focus_hours_and_language() -> None:
    start = week_start(datetime(2026, 1, 12, tzinfo=UTC))
    new_york = weekly_mask((Window(18 * 60, 22 * 60),), NEW_YORK, start)
    mentor_hours = weekly_mask((Window(19 * 60, 20 * 60 + 30),), NEW_YORK, start)  # 1.5 h a day
    request = Request(1, MENTOR, frozenset({"alcohol", "family"}), "es", new_york)
    mentor = _mentor(focus=frozenset({"alcohol", "family"}), availability=mentor_hours)
    words = explain(fit(request, mentor), zone=NEW_YORK, start=start)
    assert words == (
        "you both chose alcohol and family; 10.5 evening hours a week overlap; both speak Spanish"
    )
    names = {"lgbtq+": "LGBTQ+"}
    queer = Request(1, MENTOR, frozenset({"lgbtq+"}))
    assert explain(fit(queer, _mentor(focus=frozenset({"lgbtq+"}))), focus_names=names) == (
        "you both chose LGBTQ+"
    )
    assert explain(fit(Request(1, MENTOR), _mentor())) == "the best available fit right now"
