"""Where user code's accesses conflict, learned as it runs (harness.timing.contention), and
how the random policy spends its stalls there: hand-built maps and injectors, no processes."""

from __future__ import annotations

import ctypes
import random
import threading

import pytest

from harness.messages import ProcessSpec, TimingSpec
from harness.points import RMW, WRITE
from harness.timing import NO_DELAY, make_policy
from harness.timing import random_delay
from harness.timing.contention import CONTENDED, MAX_THREADS, ContentionMap
from harness.timing.random_delay import FIRST_TRIAL_POINTS, SPARSE_STALL_MAX_S, RandomDelay, StaticHot


def words(n: int):
    return (ctypes.c_int * n)()


def in_thread(fn):
    out = []
    t = threading.Thread(target=lambda: out.append(fn()))
    t.start()
    t.join()
    return out[0]


def test_an_index_is_hot_once_a_second_actor_touches_it():
    shared = words(4)
    a, b = ContentionMap(shared).for_trial(0), ContentionMap(shared).for_trial(1)
    assert not a.is_hot(2) and shared[2] == 1  # worker 0, thread slot 0
    assert not a.is_hot(2)  # the same actor again
    assert b.is_hot(2) and shared[2] == CONTENDED
    assert a.is_hot(2) and b.is_hot(2)  # from now on, for everyone
    assert not b.is_hot(3) and shared[3] == MAX_THREADS + 1
    assert (a.hits, b.hits) == (1, 2)  # hot accesses, counted by whoever made them


def test_threads_of_one_process_are_different_actors():
    shared = words(2)
    learned = ContentionMap(shared).for_trial(3)
    assert not learned.is_hot(0)
    assert in_thread(lambda: learned.is_hot(0))  # another thread of the same worker
    assert shared[0] == CONTENDED
    assert not in_thread(lambda: learned.is_hot(1))
    assert 3 * MAX_THREADS + 2 <= shared[1] < 4 * MAX_THREADS  # worker 3, a thread slot other than 0


def test_indices_outside_the_array_are_never_hot():
    learned = ContentionMap(words(2)).for_trial(0)
    assert not learned.is_hot(-1) and not learned.is_hot(2)
    assert learned.hits == 0


def test_a_trial_leaves_its_count_and_spacing_to_the_next():
    cmap = ContentionMap(words(3))
    first = cmap.for_trial(0)
    assert first.estimate is None and first.spacing_s == 0.0
    cmap.words[1] = CONTENDED
    for _ in range(4):
        first.is_hot(1)
    first.finish()
    second = cmap.for_trial(0)
    assert second.estimate == 4
    assert second.spacing_s == pytest.approx(cmap.last_duration_s / 4)
    second.finish()
    assert cmap.for_trial(0).estimate == 0 and cmap.for_trial(0).spacing_s == 0.0


TIMING = TimingSpec("random", 0.5, 100)


def call_process(stop: int = 10_000) -> ProcessSpec:
    return ProcessSpec(worker=0, group="g", index=0, op="call", start=0, stop=stop, hot=((0, stop),))


def test_a_first_trial_expects_few_hot_points_not_the_whole_array():
    inj = make_policy(TIMING, 1, 1, call_process(), ContentionMap(words(10_000)))
    assert isinstance(inj, RandomDelay)
    assert inj._stall_p == min(1.0, random_delay.STALLS / FIRST_TRIAL_POINTS)
    assert inj._stall_s == inj._max_s  # nothing learned about spacing yet


def test_later_trials_spend_the_stalls_on_the_learned_points_and_bridge_their_spacing():
    cmap = ContentionMap(words(10_000))
    cmap.last_hits, cmap.last_duration_s = 2, 0.080  # two hot accesses in an 80 ms trial
    inj = make_policy(TIMING, 1, 2, call_process(), cmap)
    assert inj._stall_p == 1.0  # 3 stalls expected over 2 points: every one stalls
    assert inj._stall_s == SPARSE_STALL_MAX_S  # 40 ms apart: capped
    cmap.last_hits, cmap.last_duration_s = 4000, 0.004  # dense: 1 us apart
    inj = make_policy(TIMING, 1, 3, call_process(), cmap)
    assert inj._stall_s == inj._max_s and inj._stall_p == pytest.approx(3 / 4000)


def test_stalls_happen_only_on_learned_hot_indices():
    cmap = ContentionMap(words(8))
    cmap.last_hits, cmap.last_duration_s = 1, 0.0
    inj = make_policy(TIMING, 1, 2, call_process(stop=8), cmap)
    delays = []
    inj._delay = delays.append
    inj.at(WRITE | RMW, 5)  # first touch: not contended
    assert delays == []
    cmap.words[5] = CONTENDED
    inj.at(WRITE | RMW, 5)
    assert len(delays) == 1 and 0.25 * inj._stall_s <= delays[0] <= inj._stall_s


def test_built_in_operations_keep_the_plans_exact_ranges():
    spec = ProcessSpec(worker=0, group="g", index=0, op="add", start=0, stop=10, hot=((2, 4), (3, 6)))
    inj = make_policy(TIMING, 1, 1, spec)
    assert isinstance(inj._hot, StaticHot)
    assert [i for i in range(10) if inj._hot.is_hot(i)] == [2, 3, 4, 5]
    assert make_policy(TIMING, 1, 1, ProcessSpec(worker=0, group="g", index=0, op="add", start=0, stop=3)) is NO_DELAY


def test_the_same_seed_trial_and_process_give_the_same_delays():
    def delays(seed):
        inj = RandomDelay(TIMING, random.Random(f"{seed}:1:0"), call_process(), StaticHot(((0, 10),)), 20)
        out = []
        inj._delay = out.append
        for i in range(10):
            inj.at(WRITE | RMW, i)
        return out

    assert delays(7) == delays(7) and delays(7) != delays(8)


def test_the_policys_promise_same_seed_trial_and_process_same_delays():
    # a built-in process's delays come from (seed, trial, process) alone: two policies made
    # alike delay alike at the same points, and another trial delays otherwise
    spec = ProcessSpec(worker=1, group="g", index=0, op="add", start=0, stop=50, loops=4, hot=((0, 50),))

    def delays(trial):
        policy = make_policy(TIMING, 99, trial, spec)
        out = []
        policy._delay = out.append
        for _ in range(4):
            for i in range(50):
                policy.at(0, i)  # a read
                policy.at(WRITE | RMW, i)
        return out

    assert delays(3) == delays(3)
    assert delays(3) != delays(4)
