"""The directed strategy realizes the race it is aimed at: threads stand in for processes on
a real board, so every forced pairing is checked against the interleaving that ran."""

from __future__ import annotations

from actors import program, run_actors
from harness.scheduler import parent
from harness.scheduler.ops import ARRAY_LOCK, READ, WRITE

R, W = 1, 2  # the statements of an increment: its read and its write
INC = [("read", 0, R), ("write", 0, W)]


def accesses(box):
    return [(e.actor, e.what, e.location) for e in parent.trace(box.words)[0] if e.what in ("read", "write")]


def test_aimed_at_read_then_write_it_loses_an_update_every_time():
    for seed in range(1, 6):
        array, box = run_actors([program(INC), program(INC)], strategy="directed", seed=seed,
                                aim=((READ, R), (WRITE, W), 0, 1000))
        assert array[0] == 1, accesses(box)  # one actor read, the other wrote, then the stale write
        steps = accesses(box)
        first_write = next(k for k, s in enumerate(steps) if s[1] == "write")
        assert steps[first_write - 1][1] == "read" and steps[first_write - 1][0] != steps[first_write][0]


def test_the_other_order_runs_the_write_first():
    array, box = run_actors([program(INC), program(INC)], strategy="directed", seed=3,
                            aim=((READ, R), (WRITE, W), 1, 1000))
    steps = accesses(box)
    # the first read paused until the other actor was about to write: that write went first
    assert steps[1][1] == "write" and steps[0][0] == steps[1][0]
    assert array[0] == 2


CHECK, INNER_READ, INNER_WRITE = 10, 11, 12
LIMIT = 5


def capper(loops):
    """if arr[0] < LIMIT (no lock), then arr[0] += 1 under the lock: a cap that can be passed."""
    def run(act):
        for _ in range(loops):
            if act.read(0, CHECK) < LIMIT:
                act.acquire(ARRAY_LOCK)
                act.write(0, act.read(0, INNER_READ) + 1, INNER_WRITE)
                act.release(ARRAY_LOCK)
    return run


def test_a_check_then_act_cap_is_passed_within_a_few_directed_trials():
    for seed in range(1, 6):
        finals = []
        for trial in range(1, 5):
            array, _ = run_actors([capper(4), capper(4)], strategy="directed", seed=seed, trial=trial,
                                  aim=((READ, CHECK), (WRITE, INNER_WRITE), 0, 500))
            finals.append(array[0])
        assert max(finals) > LIMIT, (seed, finals)


def test_a_pause_that_nothing_can_end_is_let_go():
    # the second access never comes (only reads): the paused actor must not hold the trial up
    reads = [("read", 0, R), ("read", 0, R)]
    array, box = run_actors([program(reads), program(reads)], strategy="directed", seed=1,
                            aim=((READ, R), (WRITE, W), 0, 1000))
    assert not parent.flags(box.words)["deadlock"] and len(accesses(box)) == 4


def test_a_pause_nobody_comes_to_is_given_up_so_a_spinning_peer_gets_what_it_waits_for():
    # actor 0 is aimed at (paused before) its write of a[0]; the second access never comes,
    # and actor 1 spins, writing a heartbeat, until actor 0 has written a[1] after it
    def writer(act):
        act.write(0, 1, 5)
        act.write(1, 1, 7)

    def spinner(act):
        beats = 0
        while act.read(1, 9) == 0:
            beats += 1
            act.write(2, beats, 10)

    array, box = run_actors([writer, spinner], strategy="directed", seed=2, array=[0, 0, 0],
                            aim=((WRITE, 5), (WRITE, 6), 0, 1000, 0))
    assert array[:2] == [1, 1] and array[2] > 1000  # it spun a while, then the pause was given up
    assert not parent.realized(box.words)


def test_a_loop_polling_two_indices_lets_the_other_run_even_under_a_sticky_strategy():
    def poller(act):
        while act.read(0) == 0 and act.read(1) == 0:
            pass

    def setter(act):
        act.write(1, 1)

    # the poller runs first and, under `stay`, would keep the turn for ever
    array, box = run_actors([poller, setter], strategy="stay", follow=[(1, 0)], array=[0, 0])
    assert array[1] == 1 and not parent.flags(box.words)["deadlock"]
