"""The control block on plain memory (no processes): steps announced and seen, the start
line, done words and their sign, and sleepers that need a wake-up byte."""

from __future__ import annotations

import ctypes
import threading

from harness.control import STOP, ControlBlock, words_for


def block(n: int) -> ControlBlock:
    return ControlBlock((ctypes.c_longlong * words_for(n))(), n)


class Pipe:
    """The worker's end of its pipe: wake-up bytes, or the parent gone."""

    def __init__(self, gone=False):
        self.gone, self.polls = gone, 0

    def poll(self, timeout):
        self.polls += 1
        if self.gone:
            raise EOFError
        return False

    def recv_bytes(self):
        return b"w"


def test_a_worker_sees_the_next_step_and_a_stop():
    c = block(2)
    c.go(1)
    assert c.next_step(0, 0, 0.01, Pipe()) == 1
    c.go(STOP)
    assert c.next_step(0, 1, 0.01, Pipe()) == STOP


def test_a_worker_that_waited_too_long_sleeps_and_is_named_for_a_wake_up():
    c = block(2)
    seen = []
    t = threading.Thread(target=lambda: seen.append(c.next_step(1, 0, 0.0, Pipe())))
    t.start()
    while not c.words[1 + 2 * 2 + 1]:  # worker 1's asleep word
        pass
    assert c.go(3) == [1]  # only the sleeper needs a byte
    t.join(5)
    assert seen == [3] and c.go(4) == []  # awake again: its word is cleared


def test_a_sleeper_whose_parent_is_gone_returns_none():
    c = block(1)
    assert c.next_step(0, 0, 0.0, Pipe(gone=True)) is None


def test_done_words_say_who_finished_and_who_reported():
    c = block(3)
    c.mark_done(0, 7, sent_report=False)
    c.mark_done(2, 7, sent_report=True)
    c.mark_done(1, 6, sent_report=False)  # an older step: not done with this one
    assert c.finished(7) == {0: False, 2: True}
    assert c.wait_done(7, 0.0) is None  # worker 1 not yet
    c.mark_done(1, 7, sent_report=False)
    assert c.wait_done(7, 0.0) == 2  # all done, two with nothing to say


def test_the_start_line_lets_everyone_go_together():
    c = block(2)
    arrived = []
    t = threading.Thread(target=lambda: (c.start_together(1, 5, 5.0), arrived.append(1)))
    t.start()
    c.start_together(0, 5, 5.0)
    t.join(5)
    assert arrived == [1]
    block(1).start_together(0, 1, 0.0)  # alone: no waiting at all


def test_each_step_carries_its_trial_so_trials_need_not_be_consecutive():
    c = block(2)
    for step, trial in ((1, 3), (2, 5), (3, 5)):  # a shard's every other trial, then a replay
        c.go(step, trial)
        assert c.trial() == trial and c.words[0] == step
