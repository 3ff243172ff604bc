"""Race prediction on hand-built traces: what can race, what synchronization orders, and
which leads come first."""

from __future__ import annotations

from harness.scheduler.ops import ACQUIRE, END, JOIN, READ, RELEASE, START, WRITE
from harness.search.directed import Target, predict, racing_pairs
from harness.search.events import Event


def ev(actor, kind, arg=-1, statement=0):
    return Event(actor, kind, arg, statement=statement)


def test_unlocked_increments_race_both_ways():
    trace = [ev(0, READ, 0, 1), ev(0, WRITE, 0, 2), ev(1, READ, 0, 1), ev(1, WRITE, 0, 2)]
    assert racing_pairs(trace) == [(0, 3), (1, 2), (1, 3)]
    targets = predict(trace)
    # a read that its actor writes back later, beside the other's write, first
    assert targets[:2] == [Target((READ, 1), (WRITE, 2), 0, 0), Target((READ, 1), (WRITE, 2), 1, 0)]
    assert Target((WRITE, 2), (WRITE, 2), 0, 0) in targets


def test_a_common_lock_or_a_release_before_an_acquire_orders_them():
    locked = [ev(0, ACQUIRE, 0), ev(0, READ, 0), ev(0, WRITE, 0), ev(0, RELEASE, 0),
              ev(1, ACQUIRE, 0), ev(1, READ, 0), ev(1, WRITE, 0), ev(1, RELEASE, 0)]
    assert racing_pairs(locked) == []
    # one side unlocked: the lock orders nothing
    half = locked[:4] + [ev(1, READ, 0), ev(1, WRITE, 0)]
    assert (2, 4) in racing_pairs(half)


def test_only_lock_order_counts_not_the_data():
    # actor 1 reads what actor 0 wrote: data order is no synchronization
    assert racing_pairs([ev(0, WRITE, 3), ev(1, READ, 3)]) == [(0, 1)]


def test_a_join_orders_what_the_joined_thread_did():
    trace = [ev(2, START), ev(2, WRITE, 0), ev(2, END), ev(0, JOIN, 2), ev(0, READ, 0)]
    assert racing_pairs(trace) == []


def test_reads_alone_never_race_and_indices_must_match():
    assert racing_pairs([ev(0, READ, 0), ev(1, READ, 0), ev(1, WRITE, 1)]) == []


def test_the_directed_search_records_then_aims_at_each_target_then_samples():
    from harness.search import make_search
    from harness.search.plan import Execution

    search = make_search("directed")
    assert search.plan(1).strategy == "random" and search.wants_events(1)
    trace = (ev(0, READ, 0, 1), ev(0, WRITE, 0, 2), ev(1, READ, 0, 1), ev(1, WRITE, 0, 2))
    search.observe(1, Execution(trace, (), 2, False))
    assert not search.wants_events(2)
    targets = len(predict(list(trace)))
    plans = [search.plan(t) for t in range(2, 2 + targets + 1)]
    # each target in turn, then random trials
    assert [p.strategy for p in plans] == ["directed"] * targets + ["random"]
    assert plans[0].aim == ((READ, 1), (WRITE, 2), 0, 1000, 0) and plans[1].aim[2] == 1
    search.observe(2, Execution(trace, (), 2, True, realized=True))
    cert = search.certificate(7)
    assert (cert["kind"], cert["predicted"], cert["realized"]) == ("directed", 3, 1)


def test_sampling_searches_plan_and_certify():
    from harness.search import make_search
    from harness.search.plan import Execution

    pct = make_search("pct", depth=2)
    assert pct.plan(1).estimate == 1000 and pct.plan(1).depth == 2
    pct.observe(1, Execution(tuple(ev(0, READ, 0) for _ in range(40)), (), 3, False))
    assert pct.plan(2).estimate == 40
    assert pct.certificate(10)["actors"] == 3 and pct.certificate(10)["steps"] == 40
    assert make_search("random").plan(5).strategy == "random"


def test_a_slice_races_on_every_index_it_covers_and_is_aimed_where_they_meet():
    def sl(actor, kind, lo, stop, statement=0):
        return Event(actor, kind, lo, statement=statement, stop=stop)

    # a slice read of [0, 6) beside writes of 3 and of 7 (outside it), and a slice write of [4, 9)
    trace = [sl(0, READ, 0, 6, 1), ev(1, WRITE, 3, 2), ev(1, WRITE, 7, 3), sl(2, WRITE, 4, 9, 4)]
    assert racing_pairs(trace) == [(0, 1), (0, 3), (2, 3)]
    targets = {(t.first, t.second): t.index for t in predict(trace)}
    assert targets == {((READ, 1), (WRITE, 2)): 3, ((READ, 1), (WRITE, 4)): 4, ((WRITE, 3), (WRITE, 4)): 7}


def test_the_directed_strategy_pairs_a_pending_slice_with_an_access_inside_it():
    from harness.scheduler.strategies import directed
    from harness.scheduler.words import ACTOR_WORDS, ARG, D_INDEX, STOP

    words = [0] * (100 + 3 * ACTOR_WORDS)

    def pending(actor, arg, stop=-1):
        words[100 + actor * ACTOR_WORDS + ARG] = arg
        words[100 + actor * ACTOR_WORDS + STOP] = stop
        return 100 + actor * ACTOR_WORDS

    reader, inside, outside = pending(0, 0, 6), pending(1, 3), pending(2, 7)
    words[D_INDEX] = -1
    assert directed._meet(words, reader, inside) and not directed._meet(words, reader, outside)
    assert directed._meet(words, inside, reader) and not directed._meet(words, outside, reader)
    words[D_INDEX] = 3  # aimed at index 3: the other access must cover it
    assert directed._meet(words, reader, inside) and not directed._meet(words, inside, pending(2, 4, 6))
