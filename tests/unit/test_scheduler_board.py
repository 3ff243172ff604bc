"""The board's turn-taking, in-process: threads stand in for worker processes (each with its
own Board, as a process has), so schedules, locks, deadlocks and replays are checked against
what was forced, with no processes."""

from __future__ import annotations

import itertools

import pytest

from actors import program
from actors import run_actors as run_functions
from harness.scheduler import parent, token
from harness.scheduler.ops import ARRAY_LOCK, DOLLAR_LOCK


def run_actors(programs, **kw):
    return run_functions([program(p) for p in programs], **kw)



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
    text = token.encode(switches, shape, 4242, 17)
    assert text.startswith("s1.") and len(text) < 40
    replay = token.decode(text)
    assert replay[:4] == (switches, shape, 4242, 17) and replay.strategy == -1
    assert (replay.switches, replay.shape, replay.seed, replay.trial) == (switches, shape, 4242, 17)
    for bad, why in [("x1.AAAA", "starts with 's1.'"), ("s1.!!!", "base64url"), ("s1.gA", "middle of a number"),
                     ("s1.", "does not hold a schedule")]:
        with pytest.raises(ValueError, match=why):
            token.decode(bad)


def test_a_schedule_a_strategy_made_is_named_by_a_few_numbers():
    text = token.encode_made(1, 3, 2000, None, 77, 2**40, 12)
    assert len(text) < 24
    replay = token.decode(text)
    assert (replay.switches, replay.shape, replay.seed, replay.trial) == ((), 77, 2**40, 12)
    assert (replay.strategy, replay.depth, replay.estimate) == (1, 3, 2000)
    with pytest.raises(ValueError, match="does not hold a schedule"):
        token.decode(text[:-2])
    aimed = token.decode(token.encode_made(3, 3, 50, ((0, 172), (1, 174), 1, 500, 9999), 77, 5, 6))
    assert aimed.aim == ((0, 172), (1, 174), 1, 500, 9999) and aimed.strategy == 3


def test_a_try_acquire_traces_whether_it_failed():
    holder = [("acquire", DOLLAR_LOCK), ("write", 0), ("release", DOLLAR_LOCK)]
    trier = [("try", DOLLAR_LOCK, 2), ("write", 1), ("release", DOLLAR_LOCK)]
    # 0 starts and takes $lock; 1 starts and tries while 0 holds it: it fails and skips its work
    array, box = run_actors([holder, trier], strategy="stay", follow=[(1, 0), (2, 0), (3, 1)])
    tries = [e for e in parent.trace(box.words)[0] if e.what == "try acquire"]
    assert [(e.actor, e.failed) for e in tries] == [(1, True)] and array[1] == 0
    # 1 first: its try finds the lock free
    array, box = run_actors([holder, trier], strategy="stay", follow=[(1, 1)])
    tries = [e for e in parent.trace(box.words)[0] if e.what == "try acquire"]
    assert [(e.actor, e.failed) for e in tries] == [(1, False)] and array[1] == 1


@pytest.mark.parametrize("strategy", ["fair", "pct"])
def test_a_polling_sleeper_lets_the_one_that_slept_first_wake(strategy):
    # the accept-16 case: a producer sleeps before its write while a consumer polls, sleeping
    # between reads. With only sleepers able to run, the one that began waiting first wakes
    # first; under exhaustive search (the stay rule then) and PCT (the consumer's higher
    # priority) the consumer used to run for ever: a hang real time never shows. (A replay
    # follows the plain stay rule between its switches: it repeats what was recorded.)
    polls = []

    def producer(act):
        act.sleep()
        act.write(0, 1)

    def consumer(act):
        for n in range(1, 200):
            if act.read(0) == 1:
                polls.append(n)
                return
            act.sleep()
        polls.append(None)

    array, box = run_functions([producer, consumer], strategy=strategy)
    assert array[0] == 1 and polls and polls[0] is not None and polls[0] <= 3, polls
    assert not parent.flags(box.words)["deadlock"]


def test_a_schedule_may_still_choose_any_sleeper():
    # the order among sleepers is a choice an exhaustive search explores: a prefix that picks
    # the consumer at the sleepers' point is followed, not flagged diverged
    def producer(act):
        act.sleep()
        act.write(0, 1)

    def consumer(act):
        for _ in range(3):
            if act.read(0) == 1:
                return
            act.sleep()

    # producer starts (1) and waits to sleep; consumer starts (2), reads (3) and waits to sleep:
    # at step 4 the prefix chooses the consumer's sleep over the producer's, which began first
    _, box = run_functions([producer, consumer], strategy="fair", follow=((1, 0), (2, 1), (4, 1)))
    entries, _ = parent.trace(box.words)
    assert (entries[3].actor, entries[3].what) == (1, "sleep")
    assert not parent.flags(box.words)["diverged"]


def test_a_thread_actor_is_born_after_the_steps_its_starter_ran():
    def starter(act):
        act.write(0, 1)
        act.write(1, 1)
        act.board.register_thread(daemon=True)  # its thread never comes: only its slot is looked at

    _, box = run_functions([starter], strategy="stay")
    actors = parent.actors(box.words)
    assert [(a.actor, a.worker, a.daemon, a.born) for a in actors] == [(0, 0, False, 0), (1, 0, True, 3)]
