"""The board: the shared words through which the actors of one trial take turns.

Promise: between two scheduling points exactly one actor runs. At a point the running actor
decides who runs next (the schedule to follow, else the strategy, among the actors whose
pending operation can proceed: a lock another actor holds blocks its acquirer) and, when that
is another actor, publishes its own pending operation, hands over its turn with one semaphore
post and waits on its own semaphore. An actor that keeps its turn pays no system call, and
under a sticky strategy (``stay``, ``pct``) not even a decision: while nothing happened that
could let another actor run (no release, end or new thread: the ``EPOCH`` word), before the
next forced step (the schedule's next switch, a PCT change point) and with its own operation
able to proceed, the last decision stands. Every step is written to the trace ring with the
value the access read or wrote; each change of the running actor is logged as a switch,
which is what a replay token holds. No enabled actor while some are unfinished is a
deadlock, flagged for the parent, which can then read who waits for what. The parent sets
``FREE`` (and posts every semaphore) when a trial must run on uncontrolled; from then on a
point costs one word read.

Only the running actor writes the board during a trial (the other actors, threads of one
process included, wait on their semaphores), so no atomic operations are needed; the parent
writes it before a trial and reads it after, or while watching for progress, a deadlock and
the end.

Actors: worker process ``w`` is actor ``w``; threads started by call workers take the next
free slot from ``nprocs`` on, in the order they start (deterministic under control). The
layout is :mod:`.words`'. Worker side: imports stay tiny.
"""

from __future__ import annotations

from threading import get_ident

from . import strategies
from .ops import ACQUIRE, END, JOIN, NO_LOCK, READ, RECURSIVE, SLEEP, START, THREAD_START, TRY_ACQUIRE
from .words import (ACTOR_BITS, ACTOR_WORDS, ARG, BORN, COUNT, DAEMON, DEADLOCK, DEADLOCK_AT, DIVERGED, ENTRY_WORDS, EPOCH, FAILED_KIND,
                    FINISHED, FREE, IMPLICIT_KIND, KIND, KIND_BITS, LAST, LOC, LOCK, LOCK_WORDS, MAX_THREADS, MODE, NACTORS, NEVER, NEXT_FORCED,
                    NEXT_THREAD, PREFIX_N, PREFIX_POS, PRIO, RUNNING, RUNNING_ST, SINCE, SLICE_KIND, ST, STEP, STICKY, STOP, SWITCH_CAP,
                    SWITCH_N, SWITCHES_FULL, TIMING_TRIAL, TRACE_CAP, WAITING, WORKER, layout)



SMALL = 1 << 62  # an int this small is its own word
SPIN_READS = 16  # reads of one index in a row by one actor: it spins, waiting for another
READ_STREAK = 256  # reads in a row of any indices (a loop polling two of them, or a long snapshot)


class Board:
    """One process's side of the board: its actors (the main thread and the threads it
    starts) take turns with every other process's through it."""

    def __init__(self, words, sems, worker: int, nprocs: int, floats: bool = False):
        self.words, self.sems = words, sems
        # the array holds floats: a value is traced as the float it becomes (an int written to
        # a 'd' array would otherwise be read back as a float's bits)
        self._floats = floats
        self.worker, self.nprocs = worker, nprocs
        at = layout(int(words[NACTORS]))
        self.actors, self.locks, self.changes = at["actors"], at["locks"], at["changes"]
        self.prefix, self.switches, self.trace = at["prefix"], at["switches"], at["trace"]
        self._threads: dict[int, int] = {}  # thread ident -> actor, for threads of this process
        self._ended: set[int] = set()  # this process's actors that have ended this trial
        self._main = get_ident()
        # this process's last decision to keep the turn: which actor, at which EPOCH, until which step
        self._kept_actor, self._kept_epoch, self._forced = -1, -1, 0
        self._spin_index, self._spins = -2, 0  # the index the running actor keeps reading, how often
        self._reads = 0  # the running actor's reads since its last other point
        self.generation = 0  # this process's trials under control: a thread's actor is its trial's

    # -- who is calling ---------------------------------------------------------------
    def me(self) -> int:
        ident = get_ident()
        if ident == self._main:
            return self.worker
        return self._threads.get(ident, self.worker)

    def is_actor(self) -> bool:
        """Is the calling thread an actor of this trial that has not ended?"""
        ident = get_ident()
        actor = self.worker if ident == self._main else self._threads.get(ident)
        return actor is not None and actor not in self._ended

    @property
    def free(self) -> bool:
        return bool(self.words[MODE] & FREE)

    @property
    def timing_trial(self) -> bool:
        """Does this trial run free of the scheduler, with timing injection (``mixed``)?"""
        return bool(self.words[TIMING_TRIAL])

    # -- the actor's side ---------------------------------------------------------------
    def point(self, kind: int, arg: int = -1, lock: int = NO_LOCK, location: int = 0, stop: int = -1) -> int:
        """Wait until this actor may run its next operation; its step's trace entry (-1 on
        uncontrolled runs), for :meth:`value`. ``stop``: an access of the indices ``arg`` to
        ``stop - 1`` at once (a slice)."""
        words = self.words
        if words[MODE] & FREE:
            return -1
        me = self.me() if self._threads else self.worker
        step = words[STEP] + 1
        if kind == READ:  # reads and nothing else: a spin loop may be waiting for another actor
            self._reads += 1
            if arg == self._spin_index:
                self._spins += 1
            else:
                self._spin_index, self._spins = arg, 1
            if self._spins >= SPIN_READS or self._reads >= READ_STREAK:
                return self._yield(me, kind, arg, lock, location, stop)
        else:
            self._spin_index, self._reads = -2, 0
        if (me == self._kept_actor and step < self._forced and words[EPOCH] == self._kept_epoch
                and kind < JOIN and self._may_take(arg if kind == ACQUIRE else lock, me)):
            # the last decision stands (nothing that could let another actor run has happened
            # since, and no step is forced): only the step and its trace entry to write
            words[STEP] = step
            at = self.trace + ((step - 1) % TRACE_CAP) * ENTRY_WORDS
            traced = kind | IMPLICIT_KIND if lock >= 0 else kind
            if stop >= 0:
                traced |= SLICE_KIND
                words[at + 3] = stop
            words[at] = traced | (me << KIND_BITS) | ((arg + 1) << (KIND_BITS + ACTOR_BITS))
            words[at + 2] = location
            return step - 1
        self._publish(me, kind, arg, lock, location, stop)
        nxt = self.decide(me)
        if nxt != me:
            self._kept_actor = -1
            self._hand_over(me, nxt)
            if words[MODE] & FREE:
                return -1
        elif words[STICKY]:
            self._kept_actor, self._kept_epoch, self._forced = me, words[EPOCH], words[NEXT_FORCED]
        return self._run(me, words[STEP] + 1, kind | IMPLICIT_KIND if lock >= 0 else kind, arg, location, stop)

    def _yield(self, me: int, kind: int, arg: int, lock: int, location: int, stop: int) -> int:
        """A spinning actor lets another run: its PCT priority drops below every other, and
        the next actor is chosen among the others that can run (itself when none can)."""
        words = self.words
        self._spins, self._reads, self._kept_actor = 0, 0, -1
        self._publish(me, kind, arg, lock, location, stop)
        words[self.actors + me * ACTOR_WORDS + PRIO] = 0
        nxt = self.decide(me, avoid=me)
        if nxt != me:
            self._hand_over(me, nxt)
            if words[MODE] & FREE:
                return -1
        return self._run(me, words[STEP] + 1, kind | IMPLICIT_KIND if lock >= 0 else kind, arg, location, stop)

    def _may_take(self, lock: int, me: int) -> bool:
        """Can ``me`` take ``lock`` now (-1: no lock needed)?"""
        if lock < 0:
            return True
        owner = self.words[self.locks + lock * LOCK_WORDS]
        return owner == 0 or (owner == me + 1 and RECURSIVE[lock])

    def value(self, entry: int, value) -> None:
        """The value the access of trace entry ``entry`` read or wrote."""
        if entry >= 0:
            if self._floats:
                value = float(value)
            if value.__class__ is not int or not -SMALL <= value < SMALL:
                value = encode_value(value)
            self.words[self.trace + (entry % TRACE_CAP) * ENTRY_WORDS + 1] = value

    def locked(self, lock: int) -> None:
        """The real lock was taken (after an ACQUIRE point, or a try that succeeded)."""
        words = self.words
        if words[MODE] & FREE:
            return
        base = self.locks + lock * LOCK_WORDS
        words[base] = self.me() + 1
        words[base + 1] += 1

    def unlocked(self, lock: int) -> None:
        """The real lock was released: whoever waits for it may run again."""
        words = self.words
        if words[MODE] & FREE:
            return
        base = self.locks + lock * LOCK_WORDS
        depth = words[base + 1] - 1
        words[base + 1] = max(depth, 0)
        if depth <= 0:
            words[base] = 0
            if words[base + 2]:  # someone waits for it: it may run now
                words[base + 2] = 0
                words[EPOCH] += 1

    def lock_free_for_me(self, lock: int) -> bool:
        """Can a try-acquire of this lock succeed for the calling actor?"""
        owner = self.words[self.locks + lock * LOCK_WORDS]
        return owner == 0 or (owner == self.me() + 1 and RECURSIVE[lock])

    def publish_start(self) -> None:
        """Before the start line: this process's main actor is waiting at START."""
        self._kept_actor = -1
        self._spin_index, self._spins, self._reads = -2, 0, 0  # a trial is named by its seed alone:
        self._threads.clear()  # nothing this process saw in earlier trials may steer this one
        self._ended.clear()
        self.generation += 1
        self._publish(self.worker, START, -1, NO_LOCK)

    def begin(self) -> None:
        """After the start line (every process's main actor is WAITING at START): actor 0
        makes the first decision, and each waits for its turn."""
        me = self.worker
        if me == 0:
            nxt = self.decide(-1)
            if nxt >= 0:
                self.words[RUNNING] = nxt
                self.sems[nxt].release()
        self._wait_turn(me)
        if not self.free:
            self._run(me, self.words[STEP] + 1, START, -1, 0)

    def end(self) -> None:
        """The calling actor is done for this trial: its end is a step, then it passes the
        turn on."""
        words = self.words
        if self.point(END) < 0:
            return
        me = self.me()
        self._ended.add(me)
        words[self.actors + me * ACTOR_WORDS + ST] = FINISHED
        self._end_daemons_with_process()
        words[EPOCH] += 1
        self._kept_actor = -1
        nxt = self.decide(me)
        if nxt >= 0:
            words[RUNNING] = nxt
            self.sems[nxt].release()

    def _end_daemons_with_process(self) -> None:
        """When this process's last actor that is not a daemon thread has ended, the process
        ends, and its daemon threads with it: they never run again."""
        words, actors = self.words, self.actors
        mine = [a for a in range(int(words[NEXT_THREAD])) if words[actors + a * ACTOR_WORDS + WORKER] & ~DAEMON
                == self.worker]
        if any(words[actors + a * ACTOR_WORDS + ST] != FINISHED for a in mine
               if not words[actors + a * ACTOR_WORDS + WORKER] & DAEMON):
            return
        for a in mine:
            words[actors + a * ACTOR_WORDS + ST] = FINISHED

    def register_thread(self, daemon: bool = False) -> int:
        """A thread the running actor is starting becomes an actor, waiting at its start
        (the thread calls :meth:`adopt` with it first thing); a daemon one ends when its
        process does."""
        words = self.words
        actor = int(words[NEXT_THREAD])
        if actor >= words[NACTORS]:
            raise RuntimeError(f"more than {MAX_THREADS} threads under the controlled scheduler")
        words[NEXT_THREAD] = actor + 1
        words[EPOCH] += 1
        base = self.actors + actor * ACTOR_WORDS
        words[base + WORKER] = self.worker | (DAEMON if daemon else 0)
        words[base + BORN] = words[STEP]
        words[base + PRIO] = strategies.new_priority(words, actor)
        self._publish(actor, THREAD_START, -1, NO_LOCK)
        return actor

    def adopt(self, actor: int) -> None:
        """The calling thread is ``actor`` (its first call, before :meth:`thread_begin`)."""
        self._threads[get_ident()] = actor

    def thread_begin(self, actor: int) -> None:
        """A registered thread's first code: wait for its turn, then run its start step."""
        self._wait_turn(actor)
        if not self.free:
            self._run(actor, self.words[STEP] + 1, THREAD_START, -1, 0)

    def actor_of(self, ident: int) -> int:
        return self._threads[ident]

    # -- deciding -----------------------------------------------------------------------
    def _publish(self, actor: int, kind: int, arg: int, lock: int, location: int = 0, stop: int = -1) -> None:
        base = self.actors + actor * ACTOR_WORDS
        words = self.words
        words[base + KIND] = kind
        words[base + ARG] = arg
        words[base + STOP] = stop
        words[base + LOCK] = lock
        words[base + LOC] = location
        words[base + SINCE] = words[STEP]
        words[base + ST] = WAITING

    def can_run(self, actor: int) -> bool:
        """Can this actor's pending operation proceed now?"""
        words = self.words
        base = self.actors + actor * ACTOR_WORDS
        status = words[base + ST]
        if status != WAITING and status != RUNNING_ST:
            return False
        kind = words[base + KIND]
        lock = words[base + ARG] if kind == ACQUIRE else words[base + LOCK]
        if lock >= 0:
            owner = words[self.locks + lock * LOCK_WORDS]
            if owner and (owner != actor + 1 or not RECURSIVE[lock]):
                words[self.locks + lock * LOCK_WORDS + 2] = 1  # its release must wake a decision
                return False
        if kind == JOIN:
            return words[self.actors + words[base + ARG] * ACTOR_WORDS + ST] == FINISHED
        return True

    def enabled(self) -> list[int]:
        """The actors that can run next; one about to sleep only when no other can (a sleep
        lets the others go first, as it does in real time)."""
        ready = [a for a in range(int(self.words[NEXT_THREAD])) if self.can_run(a)]
        awake = [a for a in ready if self.words[self.actors + a * ACTOR_WORDS + KIND] != SLEEP]
        return awake or ready

    def decide(self, me: int, avoid: int = -1) -> int:
        """Who runs the next step (-1: nobody can: the end, or a deadlock); ``avoid``: an
        actor not to choose unless it is the only one that can run (a spinning one)."""
        words = self.words
        ready = self.enabled()
        if avoid >= 0 and len(ready) > 1 and avoid in ready:
            ready.remove(avoid)
        step = words[STEP] + 1
        if not ready:
            if any(words[self.actors + a * ACTOR_WORDS + ST] != FINISHED
                   for a in range(int(words[NEXT_THREAD]))):
                words[MODE] |= DEADLOCK
                words[DEADLOCK_AT] = step
            return -1
        nxt = self._follow(step, ready)
        if nxt < 0:  # between a schedule's switches, the stay rule; after them, the strategy
            choose = strategies.stay.choose if words[PREFIX_POS] < words[PREFIX_N] else strategies.choose
            nxt = choose(words, self, step, int(words[LAST]), ready)
        pos = words[PREFIX_POS]
        words[NEXT_FORCED] = min(words[self.prefix + 2 * pos] if pos < words[PREFIX_N] else NEVER,
                                 strategies.next_change(words, self, step))
        return nxt

    def _follow(self, step: int, ready: list[int]) -> int:
        """The schedule's actor for this step, or -1 (none given: the strategy decides)."""
        words = self.words
        pos = words[PREFIX_POS]
        if pos >= words[PREFIX_N]:
            return -1
        at = words[self.prefix + 2 * pos]
        if at > step:
            return -1
        words[PREFIX_POS] = pos + 1
        nxt = int(words[self.prefix + 2 * pos + 1])
        if at == step and nxt in ready:
            return nxt
        words[MODE] |= DIVERGED  # the code did not repeat the schedule's steps
        return -1

    def _hand_over(self, me: int, nxt: int) -> None:
        self.words[RUNNING] = nxt
        self.sems[nxt].release()
        self._wait_turn(me)
        self._spin_index, self._reads = -2, 0  # others ran: what it reads again may have changed

    def _wait_turn(self, me: int) -> None:
        words, sem = self.words, self.sems[me]
        while words[RUNNING] != me and not words[MODE] & FREE:
            sem.acquire()

    def _run(self, me: int, step: int, kind: int, arg: int, location: int, stop: int = -1) -> int:
        """This actor runs its pending operation as ``step``: log a switch, trace it (a
        try-acquire with whether it fails: the lock is held by another actor; a slice with
        its end)."""
        words = self.words
        if kind == TRY_ACQUIRE and not self._may_take(arg, me):
            kind |= FAILED_KIND
        words[STEP] = step
        words[self.actors + me * ACTOR_WORDS + COUNT] += 1
        if words[LAST] != me:
            words[self.actors + me * ACTOR_WORDS + ST] = RUNNING_ST
            n = words[SWITCH_N]
            if n < SWITCH_CAP:
                words[self.switches + 2 * n] = step
                words[self.switches + 2 * n + 1] = me
                words[SWITCH_N] = n + 1
            else:
                words[MODE] |= SWITCHES_FULL
            words[LAST] = me
        at = self.trace + ((step - 1) % TRACE_CAP) * ENTRY_WORDS
        if stop >= 0:
            kind |= SLICE_KIND
            words[at + 3] = stop
        words[at] = kind | (me << KIND_BITS) | ((arg + 1) << (KIND_BITS + ACTOR_BITS))
        words[at + 2] = location
        return step - 1


def encode_value(value) -> int:
    """A value of any typecode as one signed 64-bit word (floats by their bits)."""
    if isinstance(value, float):
        import struct

        return struct.unpack("<q", struct.pack("<d", value))[0]
    value = int(value)
    return value - (1 << 64) if value >= 1 << 63 else value
