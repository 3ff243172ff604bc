"""Shrinking a failing schedule: the simulator runs the schedules (no processes); the result
still fails and no single switch can be taken out of it."""

from __future__ import annotations

import itertools

from harness.search.shrink import context_switches, fold, runs_of, shrink_schedule, switches_of
from programs import run

INC = [("read", 0), ("write", 0)]


def to_switches(actors):
    out, last = [], None
    for step, actor in enumerate(actors, start=1):
        if actor != last:
            out.append((step, actor))
            last = actor
    return out


def to_prefix(switches, length):
    """The actor of every step, from switches (the stay rule in between)."""
    out, current, marks = [], None, dict(switches)
    for step in range(1, length + 1):
        current = marks.get(step, current)
        out.append(current)
    return out


def replayer(programs, fails):
    def replay(switches):
        length = sum(len(p) + 2 for p in programs)
        prefix = to_prefix(switches, length)
        try:
            events, final = run(programs, prefix[:_valid_length(programs, prefix)])
        except AssertionError:
            return False, switches
        return fails(final), tuple(to_switches([e.actor for e in events]))
    return replay


def _valid_length(programs, prefix):
    """The longest start of the prefix the simulator can follow (the rest: the stay rule)."""
    for n in range(len(prefix), -1, -1):
        try:
            run(programs, prefix[:n])
            return n
        except AssertionError:
            continue
    return 0


def test_a_lost_update_shrinks_to_two_context_switches():
    programs = [INC * 2, INC * 2]
    lost = lambda final: final[0] != 4  # noqa: E731 - the check, as a detector would make it
    replay = replayer(programs, lost)
    # a busy failing schedule: switching at almost every step
    noisy = [0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 1, 0]
    events, final = run(programs, noisy[:_valid_length(programs, noisy)])
    assert lost(final)
    start = to_switches([e.actor for e in events])
    best, used = shrink_schedule(start, len(events), replay)
    assert replay(best)[0]
    assert context_switches(best) == 2 < context_switches(start)
    runs = runs_of(best, len(events))
    for k in range(len(runs)):  # 1-minimal: no single run can be folded away
        candidate = switches_of(fold(runs, k))
        assert len(candidate) == len(best) or not replay(candidate)[0]


def test_every_failing_schedule_of_a_small_program_shrinks_to_two():
    programs = [INC, INC]
    lost = lambda final: final[0] != 2  # noqa: E731
    replay = replayer(programs, lost)
    steps = sum(len(p) + 2 for p in programs)
    for order in set(itertools.permutations([0] * 4 + [1] * 4)):
        try:
            events, final = run(programs, list(order))
        except AssertionError:
            continue
        if lost(final):
            best, _ = shrink_schedule(to_switches([e.actor for e in events]), len(events), replay)
            assert replay(best)[0] and context_switches(best) == 2, (order, best)
    assert steps == 8


def test_runs_and_switches_round_trip_and_fold():
    switches = ((1, 0), (3, 1), (7, 0))
    runs = runs_of(switches, 8)
    assert runs == [(0, 2), (1, 4), (0, 2)]
    assert switches_of(runs) == switches
    assert fold(runs, 0) == [(1, 4), (0, 4)]  # actor 0's first run postponed into its next
    assert fold(runs, 2) == [(0, 4), (1, 4)]  # its last run brought forward
    assert fold(runs, 1) == runs  # actor 1 has one run only: nothing to fold it into
