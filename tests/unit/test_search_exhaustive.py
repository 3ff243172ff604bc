"""Exhaustive search (dynamic partial-order reduction) against brute force: on small
programs it runs at least one execution of every class of interleavings (executions that
differ only in the order of independent steps), sees every final result brute force sees,
and runs no more executions than brute force does. Simulated programs, no processes."""

from __future__ import annotations

import pytest

from harness.search.exhaustive import Exhaustive
from programs import brute_force, run, trace_class

INC = [("read", 0), ("write", 0)]
LOCKED_INC = [("acquire", 0), ("read", 0), ("write", 0), ("release", 0)]

PROGRAMS = {
    "two increments": [INC, INC],
    "three increments": [INC, INC, INC],
    "two locked increments": [LOCKED_INC, LOCKED_INC],
    "locked beside unlocked": [LOCKED_INC, INC],
    "independent indices": [[("read", 0), ("write", 0)], [("read", 1), ("write", 1)]],
    "readers only": [[("read", 0), ("read", 1)], [("read", 1), ("read", 0)]],
    "two loops": [INC * 2, INC * 2],
    "check then act": [[("read", 0), ("acquire", 0), ("read", 0), ("write", 0), ("release", 0)]] * 2,
    "writer and reader": [[("set", 0, 1), ("set", 1, 1)], [("read", 1), ("read", 0)]],
    "mixed three": [[("read", 0), ("write", 1)], [("read", 1), ("write", 0)], [("read", 0), ("read", 1)]],
    "locks and a race": [[("acquire", 0), ("read", 0), ("write", 0), ("release", 0), ("read", 1)],
                         [("read", 1), ("write", 1)], [("acquire", 0), ("write", 0), ("release", 0)]],
    "two locks": [[("acquire", 0), ("acquire", 1), ("write", 0), ("release", 1), ("release", 0)],
                  [("acquire", 1), ("write", 1), ("release", 1)]],
}


def explore(programs, budget=None):
    search = Exhaustive(budget)
    runs = []
    while (prefix := search.next_prefix()) is not None:
        events, final = run(programs, prefix)
        runs.append((events, final))
        search.observe(events)
    return search, runs


@pytest.mark.parametrize("name", PROGRAMS)
def test_every_class_and_result_of_brute_force_is_covered(name):
    programs = PROGRAMS[name]
    search, runs = explore(programs)
    everything = brute_force(programs)
    assert search.complete
    assert {trace_class(e) for e, _ in runs} == {trace_class(e) for e, _ in everything}
    assert {f for _, f in runs} == {f for _, f in everything}
    assert len(runs) <= len(everything)


def test_independent_work_needs_one_execution():
    search, runs = explore(PROGRAMS["independent indices"])
    assert len(runs) == 1 and search.complete


def test_reduction_on_two_loops():
    _, runs = explore(PROGRAMS["two loops"])
    everything = brute_force(PROGRAMS["two loops"])
    classes = {trace_class(e) for e, _ in everything}
    assert len(runs) < len(everything)  # the point of the reduction
    assert len(runs) <= 2 * len(classes)


def test_a_budget_stops_early_and_says_it_is_not_complete():
    search, runs = explore(PROGRAMS["three increments"], budget=3)
    assert len(runs) == 3 and not search.complete and search.next_prefix() is None


def test_the_executors_face_plans_switches_and_certifies():
    from harness.search import make_search
    from harness.search.plan import Execution

    search = make_search("exhaustive")
    programs = PROGRAMS["two increments"]
    trials = 0
    while (plan := search.plan(trials + 1)) is not None:
        trials += 1
        assert plan.strategy == "stay"
        # the board's rule: a switch names its step's actor; in between, the stay rule
        actors = [dict(plan.follow).get(step) for step in range(1, 9)]
        events, final = run(programs, actors)
        search.observe(trials, Execution(tuple(events), (), 2, final[0] != 2))
    assert trials == 4
    assert search.certificate(trials) == {
        "kind": "exhaustive", "trials": 4, "interleavings": 4, "complete": True,
        "text": "verified: all 4 interleavings (up to reordering of independent steps)"}
