"""Matching a whole waitlist at once: the assignment with the highest total score.

Pure computation (no I/O), but CPU-bound: callers run it off the event loop
(`asyncio.to_thread`). Scores are exactly those of `bot.domain.matching` (a test checks), but
computed for all pairs at once with numpy: focus and availability overlaps are matrix products.

The optimum is a min-cost flow (OR-Tools): each request sends one unit either to a mentor
(cost: minus the pair's points) or straight to the sink (unmatched, cost 0); each mentor passes
at most their free capacity on to the sink, the k-th new mentee through an arc costing minus
the load points with k more mentees, so the load part of the score is counted as the offer
flow would count it one offer after another. To keep the graph small each request keeps only
its best `candidates_per_request` mentors, plus the pair the greedy baseline gave it, so the
result is never worse than greedy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from ortools.graph.python import min_cost_flow

from bot.domain.matching import (
    AVAILABILITY_POINTS,
    BASE_POINTS,
    FOCUS_POINTS,
    FULL_OVERLAP_SLOTS,
    LOAD_POINTS,
    SLOTS_PER_WEEK,
    SPONSOR,
    Mentor,
    Request,
    load_points,
)

DEFAULT_CANDIDATES_PER_REQUEST = 40
_MASK_BYTES = (SLOTS_PER_WEEK + 7) // 8
_NOT_ELIGIBLE = -1

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Pair:
    requester_id: int
    mentor_id: int
    points: int


@dataclass(frozen=True, slots=True)
class Assignment:
    pairs: tuple[Pair, ...]

    @property
    def total(self) -> int:
        return sum(pair.points for pair in self.pairs)

    @property
    def average(self) -> float:
        return self.total / len(self.pairs) if self.pairs else 0.0


def mask_bits(masks: Sequence[int]) -> npt.NDArray[np.float32]:
    """Weekly masks as rows of 0/1, so that overlaps are matrix products."""
    raw = b"".join(mask.to_bytes(_MASK_BYTES, "little") for mask in masks)
    packed = np.frombuffer(raw, dtype=np.uint8).reshape(len(masks), _MASK_BYTES)
    return np.unpackbits(packed, axis=1, bitorder="little")[:, :SLOTS_PER_WEEK].astype(np.float32)


class _Table:
    """Every request × mentor pair's points, with _NOT_ELIGIBLE where a hard constraint fails."""

    def __init__(self, requests: Sequence[Request], mentors: Sequence[Mentor]) -> None:
        self.requests = requests
        self.mentors = mentors
        self.capacity = np.array([m.capacity for m in mentors], dtype=np.int64)
        self.load = np.array([m.load for m in mentors], dtype=np.int64)
        self.pair = self._pair_points()

    def _pair_points(self) -> IntArray:
        requests, mentors = self.requests, self.mentors
        shape = (len(requests), len(mentors))
        if 0 in shape:
            return np.zeros(shape, dtype=np.int64)
        vocabulary = {
            key: i for i, key in enumerate(sorted({k for x in requests for k in x.focus}))
        }
        wanted = np.zeros((len(requests), max(1, len(vocabulary))), dtype=np.float32)
        for row, request in enumerate(requests):
            for key in request.focus:
                wanted[row, vocabulary[key]] = 1
        offered = np.zeros((len(mentors), wanted.shape[1]), dtype=np.float32)
        for row, mentor in enumerate(mentors):
            for key in mentor.focus:
                if key in vocabulary:
                    offered[row, vocabulary[key]] = 1
        shared = np.rint(wanted @ offered.T).astype(np.int64)
        counts = np.array([len(r.focus) for r in requests], dtype=np.int64)[:, None]
        focus = np.where(counts > 0, FOCUS_POINTS * shared // np.maximum(counts, 1), 0)

        overlap = np.rint(
            mask_bits([r.availability for r in requests])
            @ mask_bits([m.availability for m in mentors]).T
        ).astype(np.int64)
        availability = (
            AVAILABILITY_POINTS * np.minimum(overlap, FULL_OVERLAP_SLOTS) // FULL_OVERLAP_SLOTS
        )
        points: IntArray = (BASE_POINTS + focus + availability).astype(np.int64)
        points[~self._eligible()] = _NOT_ELIGIBLE
        return points

    def _eligible(self) -> npt.NDArray[np.bool_]:
        requests, mentors = self.requests, self.mentors
        open_ = np.array(
            [m.approved and not m.paused and m.capacity > m.load for m in mentors], dtype=bool
        )
        eligible = np.repeat(open_[None, :], len(requests), axis=0)
        is_sponsor = np.array([m.kind == SPONSOR for m in mentors], dtype=bool)
        wants_sponsor = np.array([r.kind == SPONSOR for r in requests], dtype=bool)
        eligible[wants_sponsor] &= is_sponsor
        languages = sorted({r.language for r in requests if r.language is not None})
        for language in languages:
            speaks = np.array([language in m.languages for m in mentors], dtype=bool)
            rows = np.array([r.language == language for r in requests], dtype=bool)
            eligible[rows] &= speaks
        mentor_ids = np.array([m.user_id for m in mentors], dtype=np.int64)
        requester_ids = np.array([r.requester_id for r in requests], dtype=np.int64)
        eligible &= requester_ids[:, None] != mentor_ids[None, :]
        column = {m.user_id: i for i, m in enumerate(mentors)}
        for row, request in enumerate(requests):
            for mentor_id in request.excluded:
                if mentor_id in column:
                    eligible[row, column[mentor_id]] = False
        return eligible

    def load_points(self, extra: IntArray) -> IntArray:
        """Each mentor's load points with `extra` more mentees than now."""
        return load_points_array(self.load + extra, self.capacity)


def load_points_array(load: IntArray, capacity: IntArray) -> IntArray:
    """matching.load_points for arrays."""
    return np.where(
        capacity > 0, LOAD_POINTS * np.maximum(0, capacity - load) // np.maximum(capacity, 1), 0
    )


def greedy(requests: Sequence[Request], mentors: Sequence[Mentor]) -> Assignment:
    """The baseline: front of the waitlist first, each to its best mentor as loads fill up —
    what offering the requests one after another would do if every offer were accepted."""
    return _greedy(_Table(requests, mentors))


def _greedy(table: _Table) -> Assignment:
    mentors = table.mentors
    if not mentors:
        return Assignment(())
    # Ties go to the lighter load, then the lower user id, as in matching.rank.
    order = np.argsort(np.array([m.user_id for m in mentors], dtype=np.int64), kind="stable")
    pair = table.pair[:, order]
    capacity = table.capacity[order]
    extra = np.zeros(len(mentors), dtype=np.int64)
    base_load = table.load[order]
    load_scale = capacity.max(initial=1) + 1
    pairs: list[Pair] = []
    for row, request in enumerate(table.requests):
        load = base_load + extra
        points = pair[row]
        usable = (points >= 0) & (load < capacity)
        if not usable.any():
            continue
        bonus = load_points_array(load, capacity)
        total = points + bonus
        key = np.where(usable, total * load_scale + (load_scale - 1 - load), -1)
        column = int(np.argmax(key))
        extra[column] += 1
        pairs.append(Pair(request.requester_id, mentors[order[column]].user_id, int(total[column])))
    return Assignment(tuple(pairs))


def optimal(
    requests: Sequence[Request],
    mentors: Sequence[Mentor],
    *,
    candidates_per_request: int | None = DEFAULT_CANDIDATES_PER_REQUEST,
) -> Assignment:
    """The assignment with the highest total score among each request's best candidates
    (all candidates when `candidates_per_request` is None)."""
    table = _Table(requests, mentors)
    n_requests, n_mentors = table.pair.shape
    if n_requests == 0 or n_mentors == 0:
        return Assignment(())
    baseline = _greedy(table)
    rows, columns = _candidate_arcs(table, baseline, candidates_per_request)
    flow, free = _solve(table, rows, columns)
    chosen = flow[: len(rows)] > 0
    by_mentor: dict[int, list[tuple[int, int]]] = {}
    for row, column in zip(rows[chosen].tolist(), columns[chosen].tolist(), strict=True):
        by_mentor.setdefault(column, []).append((int(table.pair[row, column]), row))
    pairs: list[Pair] = []
    for column, taken in by_mentor.items():
        mentor = mentors[column]
        assert len(taken) <= free[column]
        # Within one mentor, the load points of the k-th new mentee go to the k-th best pair;
        # the total is the same whichever way round.
        for k, (points, row) in enumerate(sorted(taken, reverse=True)):
            bonus = load_points(mentor.load + k, mentor.capacity)
            pairs.append(Pair(requests[row].requester_id, mentor.user_id, points + bonus))
    result = Assignment(tuple(sorted(pairs, key=lambda p: (-p.points, p.requester_id))))
    # The greedy pairs are in the graph, so the optimum can only be at least as good.
    assert result.total >= baseline.total, (result.total, baseline.total)
    return result


def _candidate_arcs(
    table: _Table, baseline: Assignment, limit: int | None
) -> tuple[IntArray, IntArray]:
    pair = table.pair
    n_mentors = pair.shape[1]
    key = pair + table.load_points(np.zeros(n_mentors, dtype=np.int64))[None, :]
    key[pair < 0] = _NOT_ELIGIBLE
    if limit is None or limit >= n_mentors:
        keep = key >= 0
    else:
        best = np.argpartition(-key, limit - 1, axis=1)[:, :limit]
        keep = np.zeros_like(key, dtype=bool)
        np.put_along_axis(keep, best, True, axis=1)
        keep &= key >= 0
        row_of = {r.requester_id: i for i, r in enumerate(table.requests)}
        column_of = {m.user_id: i for i, m in enumerate(table.mentors)}
        for chosen in baseline.pairs:
            keep[row_of[chosen.requester_id], column_of[chosen.mentor_id]] = True
    rows, columns = np.nonzero(keep)
    return rows.astype(np.int64), columns.astype(np.int64)


def _solve(table: _Table, rows: IntArray, columns: IntArray) -> tuple[IntArray, IntArray]:
    n_requests, n_mentors = table.pair.shape
    sink = n_requests + n_mentors
    free = np.maximum(0, table.capacity - table.load)
    slot_mentor = np.repeat(np.arange(n_mentors, dtype=np.int64), free)
    # The k-th free place of each mentor, k = 0, 1, …: its arc costs that place's load points.
    slot_rank = np.arange(len(slot_mentor), dtype=np.int64) - np.repeat(
        np.cumsum(free) - free, free
    )
    slot_cost = -load_points_array(table.load[slot_mentor] + slot_rank, table.capacity[slot_mentor])
    request_nodes = np.arange(n_requests, dtype=np.int64)
    tails = np.concatenate([rows, request_nodes, n_requests + slot_mentor])
    heads = np.concatenate(
        [n_requests + columns, np.full(n_requests, sink), np.full(len(slot_mentor), sink)]
    )
    costs = np.concatenate([-table.pair[rows, columns], np.zeros(n_requests), slot_cost])
    capacities = np.ones(len(tails), dtype=np.int64)
    solver = min_cost_flow.SimpleMinCostFlow()
    arcs = solver.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int32),
        heads.astype(np.int32),
        capacities,
        costs.astype(np.int64),
    )
    supplies = np.zeros(sink + 1, dtype=np.int64)
    supplies[:n_requests] = 1
    supplies[sink] = -n_requests
    solver.set_nodes_supplies(np.arange(sink + 1, dtype=np.int32), supplies)
    status = solver.solve()
    if status != solver.OPTIMAL:
        raise RuntimeError(f"min-cost flow did not solve: status {status}")
    flow = np.asarray(solver.flows(arcs), dtype=np.int64)
    return flow, free
