"""Batch matching of a waitlist: never over capacity, only eligible pairs, the best total."""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.assignment import Assignment, greedy, optimal
from bot.domain.matching import (
    MENTOR,
    SLOTS_PER_WEEK,
    SPONSOR,
    Mentor,
    Request,
    best,
    eligible,
    load_points,
    pair_points,
)
from bot.domain.mentor_index import MentorIndex

FOCUS = ["alcohol", "family", "secular", "veterans"]
LANGUAGES = ["en", "es", "fr"]
# A few distinct availability patterns, so overlaps differ between pairs.
MASKS = [0, (1 << 40) - 1, ((1 << 40) - 1) << 20, ((1 << 96) - 1) << 300, (1 << SLOTS_PER_WEEK) - 1]


def mentors_with(user_id: int) -> st.SearchStrategy[Mentor]:
    return st.builds(
        Mentor,
        user_id=st.just(user_id),
        kind=st.sampled_from([MENTOR, SPONSOR]),
        capacity=st.integers(1, 3),
        load=st.integers(0, 3),
        focus=st.frozensets(st.sampled_from(FOCUS)),
        languages=st.frozensets(st.sampled_from(LANGUAGES), min_size=1),
        availability=st.sampled_from(MASKS),
        approved=st.booleans(),
        paused=st.booleans(),
    )


def requests_with(user_id: int, excluded: frozenset[int]) -> st.SearchStrategy[Request]:
    return st.builds(
        Request,
        requester_id=st.just(user_id),
        kind=st.sampled_from([MENTOR, MENTOR, SPONSOR]),
        focus=st.frozensets(st.sampled_from(FOCUS), max_size=3),
        language=st.sampled_from([None, *LANGUAGES]),
        availability=st.sampled_from(MASKS),
        excluded=st.just(excluded),
    )


@st.composite
def instances(
    draw: st.DrawFn, max_requests: int = 8, max_mentors: int = 6
) -> tuple[list[Request], list[Mentor]]:
    # Ids 1–20 are shared by both sides, so a member can be requester and mentor at once.
    mentor_ids = draw(st.lists(st.integers(1, 20), unique=True, max_size=max_mentors))
    mentors = [draw(mentors_with(i)) for i in mentor_ids]
    requester_ids = draw(st.lists(st.integers(1, 20), unique=True, max_size=max_requests))
    requests = []
    for requester in requester_ids:
        excluded = draw(st.frozensets(st.sampled_from(mentor_ids))) if mentor_ids else frozenset()
        requests.append(draw(requests_with(requester, excluded)))
    return requests, mentors


def _check_feasible(assignment: Assignment, requests: list[Request], mentors: list[Mentor]) -> None:
    by_id = {m.user_id: m for m in mentors}
    request_of = {r.requester_id: r for r in requests}
    assert len({p.requester_id for p in assignment.pairs}) == len(assignment.pairs)
    taken = Counter(p.mentor_id for p in assignment.pairs)
    for mentor_id, count in taken.items():
        assert by_id[mentor_id].load + count <= by_id[mentor_id].capacity
    for pair in assignment.pairs:
        assert eligible(request_of[pair.requester_id], by_id[pair.mentor_id])


def _value(pairs: list[tuple[Request, Mentor]]) -> int:
    """The total score of a set of pairs, as offers one after another would count it."""
    total = sum(pair_points(r, m) for r, m in pairs)
    for mentor, count in Counter(m.user_id for _, m in pairs).items():
        m = next(m for _, m in pairs if m.user_id == mentor)
        total += sum(load_points(m.load + k, m.capacity) for k in range(count))
    return total


@given(instances())
def test_greedy_is_offering_each_request_in_turn_to_its_best_candidate(
    instance: tuple[list[Request], list[Mentor]],
) -> None:
    requests, mentors = instance
    current = {m.user_id: m for m in mentors}
    expected = []
    for request in requests:
        candidate = best(request, current.values())
        if candidate is None:
            continue
        expected.append((request.requester_id, candidate.mentor.user_id, candidate.fit.total))
        mentor = candidate.mentor
        current[mentor.user_id] = replace(mentor, load=mentor.load + 1)
    assert [(p.requester_id, p.mentor_id, p.points) for p in greedy(requests, mentors).pairs] == (
        expected
    )


@given(instances())
def test_the_batch_never_exceeds_capacity_and_beats_or_equals_greedy(
    instance: tuple[list[Request], list[Mentor]],
) -> None:
    requests, mentors = instance
    batch = optimal(requests, mentors, candidates_per_request=2)
    _check_feasible(batch, requests, mentors)
    _check_feasible(greedy(requests, mentors), requests, mentors)
    assert batch.total >= greedy(requests, mentors).total


@settings(max_examples=60)
@given(instances(max_requests=4, max_mentors=3))
def test_the_batch_finds_the_best_total_of_all_possible_assignments(
    instance: tuple[list[Request], list[Mentor]],
) -> None:
    requests, mentors = instance
    best_total = 0
    options: list[list[Mentor | None]] = [
        [None, *(m for m in mentors if eligible(r, m))] for r in requests
    ]
    for choice in itertools.product(*options):
        pairs = [(r, m) for r, m in zip(requests, choice, strict=True) if m is not None]
        load = Counter(m.user_id for _, m in pairs)
        if all(m.load + load[m.user_id] <= m.capacity for _, m in pairs):
            best_total = max(best_total, _value(pairs))
    batch = optimal(requests, mentors, candidates_per_request=None)
    assert batch.total == best_total
    mentor_of = {m.user_id: m for m in mentors}
    request_of = {r.requester_id: r for r in requests}
    pairs = [(request_of[p.requester_id], mentor_of[p.mentor_id]) for p in batch.pairs]
    assert _value(pairs) == batch.total


def test_the_batch_spreads_people_where_greedy_takes_the_first_fit() -> None:
    # Greedy gives the first requester the only Spanish speaker because she also shares their
    # focus; the second, who needs Spanish, then waits. The batch serves both: one more person
    # matched outweighs a better fit.
    spanish = Mentor(
        10,
        MENTOR,
        capacity=1,
        load=0,
        focus=frozenset({"family"}),
        languages=frozenset({"es", "en"}),
    )
    english = Mentor(11, MENTOR, capacity=1, load=0, languages=frozenset({"en"}))
    first = Request(1, MENTOR, focus=frozenset({"family"}))
    second = Request(2, MENTOR, language="es")
    baseline = greedy([first, second], [spanish, english])
    assert [(p.requester_id, p.mentor_id) for p in baseline.pairs] == [(1, 10)]
    batch = optimal([first, second], [spanish, english])
    assert {(p.requester_id, p.mentor_id) for p in batch.pairs} == {(1, 11), (2, 10)}


def test_an_empty_waitlist_or_no_mentors_matches_nobody() -> None:
    assert optimal([], [Mentor(1, MENTOR, 2, 0)]).pairs == ()
    assert optimal([Request(1, MENTOR)], []).pairs == ()
    assert greedy([Request(1, MENTOR)], []).pairs == ()


@given(instances(max_requests=3, max_mentors=8))
def test_the_mentor_index_picks_what_matching_best_picks(
    instance: tuple[list[Request], list[Mentor]],
) -> None:
    requests, mentors = instance
    # The index holds mentors without their load; the loads come with each request.
    index = MentorIndex([replace(m, load=0) for m in mentors])
    loads = {m.user_id: m.load for m in mentors if m.load}
    for request in requests:
        expected = best(request, mentors)
        got = index.best(request, loads)
        if expected is None:
            assert got is None
        else:
            assert got is not None
            assert got.mentor == expected.mentor
            assert got.fit == expected.fit
