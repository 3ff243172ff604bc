"""The control block: a few shared words that start a trial and end it without any message.

Promise: the parent starts a trial by writing its step (1, 2, ... for one set of workers,
never repeated) into the ``go`` word; workers spinning on that word leave within
microseconds, with no system call on either side. A worker that found no new step for a while
marks itself asleep and waits on its pipe, and only such a worker gets a wake-up byte, so the
usual trial sends nothing down the pipes; a lost wake-up (the parent reading the asleep word
just before the worker writes it) costs at most ``NAP_S``, never a stuck trial, because a
sleeper looks at ``go`` again that often. Deaths are seen through process sentinels. The
start line makes a trial's workers start together, and each worker's done word tells the
parent when it has finished and whether it sent a report. A negative ``go`` means stop.

The parent writes the trial a step runs (what names its seeded delays) before the step
itself, so trials need not be consecutive (a shard runs every N-th) and a replay runs one
trial at every step.

Layout of one ``RawArray('q', 2 + 3n)`` from the processes' own context:
``[go, arrive_0 .. arrive_n-1, done_0 .. done_n-1, asleep_0 .. asleep_n-1, trial]``. A done word is
the step when the worker had nothing to report and minus the step when it sent a report
first. Each word has one writer (the parent writes ``go``, worker k its own slots), so no
atomic operations are needed. Spinners yield the CPU after a short burst, so machines with
fewer cores than workers still make progress. Worker side: imports stay tiny.
"""

from __future__ import annotations

import os
import time

WAKE = b"w"  # a byte down a sleeping worker's pipe: look at the go word
STOP = -1  # the go word that tells every worker to return
NAP_S = 0.05  # how long a sleeping worker waits on its pipe before it looks at go again

BURST = 10  # tight spins before yielding the CPU (on 2 cores, more spins starve the others)


def words_for(nprocs: int) -> int:
    return 2 + 3 * nprocs


class ControlBlock:
    def __init__(self, words, nprocs: int):
        self.words = words
        self.n = nprocs

    # -- worker side ----------------------------------------------------------------------
    def next_step(self, worker: int, last_step: int, spin_s: float, conn) -> int | None:
        """The next step the parent announces (a negative one: stop), or None when the pipe
        to the parent is gone. Spins for ``spin_s``, then sleeps on the pipe."""
        words = self.words
        deadline = time.perf_counter() + spin_s
        spins = 0
        while words[0] == last_step:
            spins += 1
            if spins > BURST:
                os.sched_yield()
                if time.perf_counter() > deadline:
                    return self._sleep(worker, last_step, conn)
        return words[0]

    def _sleep(self, worker: int, last_step: int, conn) -> int | None:
        words = self.words
        slot = 1 + 2 * self.n + worker
        words[slot] = 1
        try:
            while words[0] == last_step:
                try:
                    if conn.poll(NAP_S):
                        conn.recv_bytes()  # a wake-up, maybe a stale one: go decides
                except (EOFError, OSError):
                    return None
            return words[0]
        finally:
            words[slot] = 0

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

    def trial(self) -> int:
        """The trial of the step just announced (written before the step)."""
        return self.words[1 + 3 * self.n]

    # -- parent side ----------------------------------------------------------------------
    def go(self, step: int, trial: int = 0) -> list[int]:
        """Announce ``step``, which runs ``trial``; the workers that are asleep and need a
        wake-up byte."""
        words, n = self.words, self.n
        words[1 + 3 * n] = trial
        words[0] = step
        asleep = words[1 + 2 * n:1 + 3 * n]
        return [k for k in range(n) if asleep[k]] if any(asleep) else []

    def finished(self, step: int) -> dict[int, bool]:
        """The workers that marked ``step`` done, and whether each sent a report first (the
        sign of its done word: the one place the rule is read)."""
        done = self.words[1 + self.n:1 + 2 * self.n]
        return {k: word < 0 for k, word in enumerate(done) if abs(word) == step}

    def done_words(self) -> list[int]:
        return self.words[1 + self.n:1 + 2 * self.n]

    def wait_done(self, step: int, spin_s: float) -> int | None:
        """Spin until every worker marked ``step`` done, for at most ``spin_s``; then how
        many of them had nothing to report (None: not all were done in time)."""
        words, n = self.words, self.n
        lo, hi = 1 + n, 1 + 2 * n
        deadline = time.perf_counter() + spin_s
        spins = 0
        while True:
            done = words[lo:hi]
            clean = done.count(step)
            if clean + done.count(-step) == n:
                return clean
            spins += 1
            if spins > BURST:
                os.sched_yield()
                if time.perf_counter() > deadline:
                    return None
