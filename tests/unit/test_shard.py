"""Shards (``--shard K/N``): which trials each runs, how the directed search's targets and the
exhaustive search's tree divide, and that the parts together are the whole: the union of the
shards' classes is brute force's, with no class counted by two shards. Simulated programs
(tests/unit/programs.py), no processes."""

from __future__ import annotations

import pytest

from harness.search.exhaustive import Exhaustive, split_depth
from harness.shard import owns, parse, trial_numbers
from programs import brute_force_classes, run, trace_class
from test_search_exhaustive import PROGRAMS


@pytest.mark.parametrize("text, pair", [("1/1", (1, 1)), ("2/4", (2, 4)), (" 3/3 ", (3, 3))])
def test_a_shard_is_k_of_n(text, pair):
    assert parse(text) == pair


@pytest.mark.parametrize("text", ["0/2", "3/2", "2", "a/b", "1/0", "-1/2", "1/2/3", ""])
def test_anything_else_is_refused_saying_what_is_allowed(text):
    with pytest.raises(ValueError, match="allowed: K/N with whole numbers 1 <= K <= N"):
        parse(text)


def test_trials_are_dealt_round_and_the_budget_is_the_total():
    assert trial_numbers((1, 1), 5) == [1, 2, 3, 4, 5]
    parts = [trial_numbers((k, 3), 10) for k in (1, 2, 3)]
    assert parts == [[1, 4, 7, 10], [2, 5, 8], [3, 6, 9]]
    assert sorted(t for part in parts for t in part) == list(range(1, 11))
    assert trial_numbers((4, 4), 3) == []  # more shards than trials: nothing to do


def test_a_search_that_predicts_from_trial_1_has_it_in_every_shard():
    assert trial_numbers((2, 3), 10, recording=True) == [1, 2, 5, 8]
    assert trial_numbers((1, 3), 10, recording=True) == [1, 4, 7, 10]


def test_the_executor_takes_its_shards_trials_or_a_replays_one_trial():
    from itertools import islice

    from harness.execute import trial_numbers as of_run
    from harness.messages import TimingSpec
    from harness.search import make_search
    from harness.settings import ScenarioSettings

    sharded = ScenarioSettings("fork", 6, 7, 1, 10.0, True, TimingSpec("controlled"), shard=(2, 2))
    assert list(of_run(sharded)) == [2, 4, 6]
    assert list(of_run(sharded, make_search("directed", shard=(2, 2)))) == [1, 2, 4, 6]
    replay = ScenarioSettings("fork", 3, 7, 5, 10.0, True, TimingSpec("random"), replay=True, shard=(2, 2))
    assert list(islice(of_run(replay), 5)) == [5, 5, 5]


def test_the_directed_search_aims_at_its_own_pairs_in_both_orders():
    from harness.scheduler.ops import READ, WRITE
    from harness.search import make_search
    from harness.search.directed import predict
    from harness.search.events import Event
    from harness.search.plan import Execution

    trace = tuple(Event(a, kind, 0, statement=s) for a in (0, 1) for kind, s in ((READ, 1), (WRITE, 2)))
    everything = predict(list(trace))
    pairs = list(dict.fromkeys((t.first, t.second) for t in everything))
    aimed = {}
    for k in (1, 2):
        search = make_search("directed", shard=(k, 2))
        assert search.plan(1).strategy == "random"  # every shard records trial 1
        search.observe(1, Execution(trace, (), 2, False))
        plans = [search.plan(t) for t in range(2, 10)]
        aimed[k] = [p.aim[:3] for p in plans if p.strategy == "directed"]
        cert = search.certificate(4)
        assert (cert["predicted"], cert["shard"], cert["repeated"]) == (len(pairs), [k, 2], k - 1)
    assert aimed[1] == [(*pairs[0], 0), (*pairs[0], 1), (*pairs[2], 0), (*pairs[2], 1)]
    assert aimed[2] == [(*pairs[1], 0), (*pairs[1], 1)]


_BRUTE: dict[str, set] = {}


def classes_of(name: str) -> set:
    """Brute force's classes of a program, once per test session (the slow part)."""
    if name not in _BRUTE:
        _BRUTE[name] = brute_force_classes(PROGRAMS[name])[0]
    return _BRUTE[name]


def explore(programs, shard, split=None):
    """(the search, the classes it counted, executions run)."""
    search = Exhaustive(None, shard, len(programs), split)
    counted, runs = [], 0
    while (prefix := search.next_prefix()) is not None:
        events, _ = run(programs, prefix)
        before = len(search.classes)
        search.observe(events)
        runs += 1
        if len(search.classes) > before:
            counted.append(trace_class(events))
    return search, counted, runs


@pytest.mark.parametrize("name", PROGRAMS)
@pytest.mark.parametrize("shards", [1, 2, 3])
def test_the_shards_classes_are_disjoint_and_together_brute_forces(name, shards):
    programs, classes = PROGRAMS[name], classes_of(name)
    counted = []
    for k in range(1, shards + 1):
        search, mine, _ = explore(programs, (k, shards))
        assert search.complete  # each shard alone covers its part
        counted += mine
    assert set(counted) == classes
    assert len(counted) == len(classes)  # no class in two shards: the counts add up


@pytest.mark.parametrize("name", ["three increments", "two loops", "mixed three", "try-lock beside a lock"])
@pytest.mark.parametrize("split", [1, 2, 3])
def test_any_split_depth_is_sound(name, split):
    programs, classes = PROGRAMS[name], classes_of(name)
    counted = [c for k in (1, 2, 3, 4) for c in explore(programs, (k, 4), split)[1]]
    assert set(counted) == classes and len(counted) == len(classes)


def test_the_split_is_deep_enough_for_every_shard():
    assert [split_depth(2, n) for n in (1, 2, 3, 4, 5, 100)] == [1, 1, 2, 2, 3, 4]
    assert split_depth(3, 3) == 1 and split_depth(1, 8) == 1


def test_executions_that_learn_another_shards_part_are_counted_not_hidden():
    programs = PROGRAMS["two loops"]
    whole = explore(programs, (1, 1))[2]
    parts = [explore(programs, (k, 2)) for k in (1, 2)]
    assert sum(search.shared for search, _, _ in parts) >= 1
    assert all(search.executions == runs for search, _, runs in parts)
    assert whole == 34 and [runs for _, _, runs in parts] == [10, 25]


def test_a_shards_certificate_names_its_part():
    from harness.search import make_search
    from programs import follow_plans

    search = make_search("exhaustive", shard=(2, 2), nprocs=2)
    trials = follow_plans(search, PROGRAMS["two increments"])
    cert = search.certificate(trials)
    assert cert["complete"] and cert["shard"] == [2, 2] and cert["interleavings"] == 3  # of the 4
    assert cert["text"].startswith("shard 2/2: verified: all 3 distinct interleavings of its part")


def test_owning_is_the_number_modulo_n():
    assert [n for n in range(7) if owns((2, 3), n)] == [1, 4]
