"""The board's turn-taking, in-process: threads stand in for worker processes (each with its
own Board, as a process has), so schedules, locks, deadlocks and replays are checked against
what was forced, with no processes."""

from __future__ import annotations

import ctypes
import itertools
import threading

import pytest

from harness.scheduler import parent, token
from harness.scheduler.board import Board
from harness.scheduler.ops import ACQUIRE, ARRAY_LOCK, DOLLAR_LOCK, READ, RELEASE, WRITE


class Box:
    """Shared memory stand-in: the board's words and a tiny 'array'."""

    def __init__(self, nprocs: int, threads: int = 2):
        nactors = nprocs + threads
        self.words = (ctypes.c_longlong * parent.words_for(nactors))()
        self.words[0], self.words[4], self.words[17] = 0x6861726E, nactors, nprocs
        self.sems = [threading.Semaphore(0) for _ in range(nactors)]
        self.nprocs = nprocs


def run_actors(programs, strategy="random", seed=1, trial=1, follow=(), depth=3, array=None):
    """Run each program (a list of ops) as one actor; returns (array, box)."""
    box = Box(len(programs))
    array = list(array or [0] * 4)
    parent.reset(box.words, box.sems, strategy=strategy, seed=seed, trial=trial, estimate=20, depth=depth,
                 follow=tuple(follow))
    inside = []
    arrived = threading.Barrier(len(programs))

    def actor(worker, program):
        board = Board(box.words, box.sems, worker, box.nprocs)
        board.publish_start()
        arrived.wait()  # the start line
        board.begin()
        for op in program:
            if op[0] == "read":
                entry = board.point(READ, op[1])
                inside.append(worker)
                board.value(entry, array[op[1]])
                last_read[worker] = array[op[1]]
            elif op[0] == "write":
                entry = board.point(WRITE, op[1])
                inside.append(worker)
                array[op[1]] = last_read[worker] + 1
                board.value(entry, array[op[1]])
            elif op[0] == "acquire":
                board.point(ACQUIRE, op[1])
                board.locked(op[1])
            elif op[0] == "release":
                board.point(RELEASE, op[1])
                board.unlocked(op[1])
            assert len(set(inside[-1:])) <= 1
        board.end()

    last_read = {}
    threads = [threading.Thread(target=actor, args=(w, p), daemon=True) for w, p in enumerate(programs)]
    for t in threads:
        t.start()
    for t in threads:
        while t.is_alive() and not parent.flags(box.words)["deadlock"]:
            t.join(0.01)
    box.blocked = parent.blocked(box.words)  # before the threads are let go
    if any(t.is_alive() for t in threads):
        parent.set_free(box.words, box.sems)
        for t in threads:
            t.join(5)
    return array, box


INCREMENT = [("read", 0), ("write", 0)]


def test_one_actor_runs_its_steps_in_order():
    array, box = run_actors([INCREMENT * 3])
    entries, dropped = parent.trace(box.words)
    assert dropped == 0 and [e.what for e in entries] == ["start", "read", "write"] * 1 + ["read", "write"] * 2 + ["end"]
    assert [e.value("i") for e in entries if e.what == "write"] == [1, 2, 3]
    assert array[0] == 3 and parent.switches(box.words) == ((1, 0),)


def test_every_step_is_traced_once_and_the_steps_count_up():
    _, box = run_actors([INCREMENT * 5, INCREMENT * 5, INCREMENT * 5])
    entries, _ = parent.trace(box.words)
    assert [e.step for e in entries] == list(range(1, len(entries) + 1))
    assert sorted(e.actor for e in entries if e.what in ("read", "write")) == [0] * 10 + [1] * 10 + [2] * 10
    assert parent.steps(box.words) == len(entries) == 3 * 12


def test_the_same_seed_gives_the_same_schedule_and_another_seed_another():
    runs = [parent.switches(run_actors([INCREMENT * 4, INCREMENT * 4], seed=s)[1].words) for s in (5, 5, 6)]
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]


@pytest.mark.parametrize("strategy", ["random", "pct", "stay"])
def test_a_replay_follows_the_switches_exactly(strategy):
    programs = [INCREMENT * 3, INCREMENT * 3, INCREMENT * 2]
    for seed in range(1, 8):
        array, box = run_actors(programs, strategy=strategy, seed=seed)
        first, _ = parent.trace(box.words)
        switches = parent.switches(box.words)
        again, box2 = run_actors(programs, strategy="stay", follow=switches)
        assert again == array and parent.trace(box2.words)[0] == first
        assert not parent.flags(box2.words)["diverged"]


def interleavings(a: int, b: int):
    """Every order of a steps of actor 0 and b of actor 1 (as the actor running each step)."""
    for places in itertools.combinations(range(a + b), a):
        yield [0 if k in places else 1 for k in range(a + b)]


def switches_of(order):
    """The switches that force this order of the actors' steps: both start first (the first
    step's actor first), then each change of actor in ``order`` is a switch."""
    starts = [order[0], 1 - order[0]]
    out, last = [(1, starts[0]), (2, starts[1])], starts[1]
    for step, actor in enumerate(order, start=3):
        if actor != last:
            out.append((step, actor))
            last = actor
    return out


def test_forced_schedules_give_every_result_brute_force_enumerates():
    seen = {}
    for order in interleavings(2, 2):
        array, box = run_actors([INCREMENT, INCREMENT], strategy="stay", follow=switches_of(order))
        actors = [e.actor for e in parent.trace(box.words)[0] if e.what in ("read", "write")]
        assert actors == order  # the forced interleaving is the one that ran
        seen[tuple(order)] = array[0]
    assert seen[(0, 0, 1, 1)] == seen[(1, 1, 0, 0)] == 2
    assert seen[(0, 1, 0, 1)] == seen[(1, 0, 1, 0)] == 1  # the lost update, where it must be
    assert sorted(set(seen.values())) == [1, 2]


LOCKED_INCREMENT = [("acquire", ARRAY_LOCK), ("read", 0), ("write", 0), ("release", ARRAY_LOCK)]


@pytest.mark.parametrize("strategy", ["random", "pct"])
def test_a_held_lock_keeps_every_other_actor_out(strategy):
    for seed in range(1, 6):
        array, box = run_actors([LOCKED_INCREMENT * 3] * 3, strategy=strategy, seed=seed)
        assert array[0] == 9
        holder = None
        for e in parent.trace(box.words)[0]:
            if e.what == "acquire":
                assert holder is None
                holder = e.actor
            elif e.what == "release":
                holder = None
            elif e.what in ("read", "write"):
                assert e.actor == holder


def test_opposite_lock_orders_are_a_deadlock_naming_both():
    ab = [("acquire", ARRAY_LOCK), ("acquire", DOLLAR_LOCK), ("release", DOLLAR_LOCK), ("release", ARRAY_LOCK)]
    ba = [("acquire", DOLLAR_LOCK), ("acquire", ARRAY_LOCK), ("release", ARRAY_LOCK), ("release", DOLLAR_LOCK)]
    # 0 starts, 1 starts, 0 takes the array lock, 1 takes $lock: now each waits for the other
    _, box = run_actors([ab, ba], strategy="stay", follow=[(1, 0), (2, 1), (3, 0), (4, 1)])
    assert parent.flags(box.words)["deadlock"]
    assert box.blocked == [(0, "waits for $lock, held by actor 1"),
                                         (1, "waits for the array lock, held by actor 0")]


def test_a_schedule_the_code_does_not_follow_is_flagged_diverged():
    # the token says actor 1 runs step 3, but actor 1 has already ended by then
    _, box = run_actors([INCREMENT, []], strategy="stay", follow=[(1, 1), (2, 1), (3, 1)])
    assert parent.flags(box.words)["diverged"]


def test_tokens_round_trip_and_refuse_garbage():
    shape = token.fingerprint(2, "i", 5, ("adder", "add"))
    switches = ((1, 0), (2, 1), (40, 0), (41, 1), (100_000, 0))
    text = token.encode(switches, shape)
    assert text.startswith("s1.") and len(text) < 40
    assert token.decode(text) == (switches, shape)
    for bad, why in [("x1.AAAA", "starts with 's1.'"), ("s1.!!!", "base64url"), ("s1.gA", "middle of a number"),
                     ("s1.", "does not hold a schedule")]:
        with pytest.raises(ValueError, match=why):
            token.decode(bad)
