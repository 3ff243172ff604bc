"""The control block: a few shared words that let a trial start and end without sleeping.

Promise: each trial goes out through the pipes as (step, trial) (which also wakes a worker
that stopped spinning) and deaths are seen through process sentinels; this block starts a
trial's workers together and tells the parent when each has finished, and whether it sent a
report, without waking anybody up. The step counts the trials a set of workers has run (1, 2,
...) and is what the words below hold; the trial number names the seeded delays, and repeats
when a failed trial is replayed. Layout of one ``RawArray('q', 1 + 2n)`` from the processes'
own context: ``[go, arrive_0 .. arrive_n-1, done_0 .. done_n-1]``. A done word is the step
when the worker had nothing to report and minus the step when it sent a report first, so
a clean trial costs no report message at all. Each word has one writer (the parent
writes ``go``, worker k writes its own slots), so no atomic operations are needed.
Spinners yield the CPU after a short burst, so machines with fewer cores than workers
still make progress. Worker side: imports stay tiny.
"""

from __future__ import annotations

import os
import struct
import time

_TRIAL = struct.Struct("qq")  # (step, trial) on the pipe: 16 raw bytes, no pickling
STOP = b""  # an empty message: the worker returns

BURST = 10  # tight spins before yielding the CPU (on 2 cores, more spins starve the others)


def send_trial(conn, step: int, trial: int) -> None:
    conn.send_bytes(_TRIAL.pack(step, trial))


def recv_trial(conn) -> tuple[int, int] | None:
    """The next (step, trial), or None when the parent says stop."""
    data = conn.recv_bytes()
    return _TRIAL.unpack(data) if data else None


class ControlBlock:
    def __init__(self, words, nprocs: int):
        self.words = words
        self.n = nprocs

    # -- worker side ----------------------------------------------------------------------
    def wait_go(self, last_step: int, spin_s: float) -> None:
        """Spin until the parent announces a step other than ``last_step``, for at most
        ``spin_s``; the caller then reads (step, trial) from its pipe."""
        words = self.words
        deadline = time.perf_counter() + spin_s
        spins = 0
        while words[0] == last_step:
            spins += 1
            if spins > BURST:
                os.sched_yield()
                if time.perf_counter() > deadline:
                    return

    def start_together(self, worker: int, step: int, timeout: float) -> None:
        """The start line: mark arrival, then spin until every worker has arrived. Workers
        leave within nanoseconds of each other; a semaphore barrier wakes them one by one,
        tens of microseconds apart, long enough for a short trial to be over before the
        next process starts."""
        words, n = self.words, self.n
        if n == 1:
            return
        words[1 + worker] = step
        spins = 0
        deadline = None
        while words[1:1 + n].count(step) != n:
            spins += 1
            if spins > BURST:
                os.sched_yield()
                if spins % 256 == 0:
                    now = time.monotonic()
                    if deadline is None:
                        deadline = now + timeout
                    elif now > deadline:
                        raise TimeoutError(f"start line: not every worker arrived within {timeout} s")

    def mark_done(self, worker: int, step: int, sent_report: bool) -> None:
        """``step`` when the worker had nothing to report, ``-step`` when it sent a report
        down its pipe first (step numbers start at 1, so the sign is never ambiguous)."""
        self.words[1 + self.n + worker] = -step if sent_report else step

    # -- parent side ----------------------------------------------------------------------
    def go(self, step: int) -> None:
        self.words[0] = step

    def done_words(self) -> list[int]:
        return self.words[1 + self.n:1 + 2 * self.n]

    def wait_done(self, step: int, spin_s: float) -> bool:
        """Spin until every worker marked ``step`` done, for at most ``spin_s``; True when
        they all did."""
        words, n = self.words, self.n
        lo, hi = 1 + n, 1 + 2 * n
        deadline = time.perf_counter() + spin_s
        spins = 0
        while True:
            done = words[lo:hi]
            if done.count(step) + done.count(-step) == n:
                break
            spins += 1
            if spins > BURST:
                os.sched_yield()
                if time.perf_counter() > deadline:
                    return False
        return True
