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
    assert targets[:2] == [Target((READ, 1), (WRITE, 2), 0), Target((READ, 1), (WRITE, 2), 1)]
    assert Target((WRITE, 2), (WRITE, 2), 0) in targets


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
