"""The parent's side of the board: make it, set it up before a trial, read it after.

Promise: :func:`new_board` allocates the board and one semaphore per actor from the
processes' own context; :func:`reset` prepares one trial (strategy, seed, trial, expected
steps, PCT depth, and the switches to follow, from a replay token or a search); after the
trial :func:`switches` and :func:`trace` read what happened, :func:`blocked` says who waited
for what in a deadlock, and :func:`set_free` lets a stuck trial run on uncontrolled.
"""

from __future__ import annotations

import struct
from ..records import record

from . import strategies
from .ops import LOCK_NAMES, NAMES
from .words import (ACTOR_BITS, ACTOR_WORDS, ARG, BORN, COUNT, DAEMON, D_KIND1, D_KIND2, D_LOC1, D_LOC2, D_NEXT, D_ORDER,
                    D_INDEX, D_PAUSE, D_REALIZED, DEADLOCK, DEADLOCK_AT, DEPTH, DIVERGED, ENTRY_WORDS, EPOCH, ESTIMATE, FAILED_KIND, FINISHED,
                    FREE, IMPLICIT_KIND, KIND, KIND_BITS, SLICE_KIND, LAST, LOCK, LOCK_WORDS, MAGIC, MAGIC_VALUE, MAX_THREADS, MODE, NACTORS,
                    NEXT_FORCED, NEXT_THREAD, NLOCKS, NPROCS, PREFIX_CAP, PREFIX_N, PREFIX_POS, RUNNING, SEED, ST, STEP,
                    STICKY, STRATEGY, SWITCH_N, SWITCHES_FULL, TIMING_TRIAL, TRACE_CAP, TRIAL, UNUSED, WAITING, WORKER,
                    layout, words_for)


def new_board(ctx, nprocs: int, threads: int = MAX_THREADS):
    """(words, semaphores) for ``nprocs`` processes and up to ``threads`` thread actors."""
    nactors = nprocs + threads
    words = ctx.RawArray("q", words_for(nactors))
    words[MAGIC], words[NACTORS], words[NPROCS] = MAGIC_VALUE, nactors, nprocs
    return words, [ctx.Semaphore(0) for _ in range(nactors)]


def reset(words, sems, *, strategy: str, seed: int, trial: int, estimate: int, depth: int,
          follow: tuple = ()) -> None:
    """Before a trial: nothing has run; each process's actor is unused until it arrives."""
    at = layout(int(words[NACTORS]))
    if len(follow) > PREFIX_CAP:
        raise ValueError(f"a schedule of {len(follow)} switches is longer than {PREFIX_CAP}")
    for sem in sems:  # a wake-up left from the last trial (a free run posts every one)
        while sem.acquire(False):
            pass
    nprocs = int(words[NPROCS])
    chosen = strategies.BY_NAME[strategy]
    for field, value in ((TIMING_TRIAL, 0), (STEP, 0), (RUNNING, -1), (MODE, 0), (NEXT_THREAD, nprocs), (EPOCH, 0),
                         (PREFIX_N, len(follow)), (PREFIX_POS, 0), (SWITCH_N, 0), (STRATEGY, chosen.ID),
                         (SEED, seed & ((1 << 63) - 1)), (TRIAL, trial), (ESTIMATE, estimate), (DEPTH, depth),
                         (LAST, -1), (DEADLOCK_AT, 0), (NEXT_FORCED, 1), (STICKY, int(chosen.STICKY))):
        words[field] = value
    for actor in range(int(words[NACTORS])):
        base = at["actors"] + actor * ACTOR_WORDS
        words[base + ST] = UNUSED
        words[base + COUNT] = 0
        words[base + WORKER] = actor if actor < nprocs else -1
    for lock in range(NLOCKS):
        words[at["locks"] + lock * LOCK_WORDS] = 0
        words[at["locks"] + lock * LOCK_WORDS + 1] = 0
        words[at["locks"] + lock * LOCK_WORDS + 2] = 0
    for n, (step, actor) in enumerate(follow):
        words[at["prefix"] + 2 * n] = step
        words[at["prefix"] + 2 * n + 1] = actor
    chosen.prepare(words, at, seed & ((1 << 63) - 1), trial, estimate, depth)


def timing_trial(words) -> None:
    """The next trial runs free of the scheduler, with timing injection (the ``mixed`` policy)."""
    words[TIMING_TRIAL] = 1


def realized(words) -> bool:
    """Did a directed trial run its target pair back to back?"""
    return bool(words[D_REALIZED])


def aim(words, first: tuple[int, int], second: tuple[int, int], order: int, pause_per_mille: int,
        index: int = -1) -> None:
    """The directed strategy's target: (kind, statement) of the first access and of the
    second; order 0 runs the first right before the second, 1 the second right before it;
    ``index``: only accesses of that index (-1: any)."""
    words[D_INDEX] = index
    words[D_KIND1], words[D_LOC1] = first
    words[D_KIND2], words[D_LOC2] = second
    words[D_ORDER], words[D_PAUSE], words[D_NEXT] = order, pause_per_mille, -1


def set_free(words, sems) -> None:
    """Let every actor run uncontrolled from now on (a watchdog's last resort, or a stop)."""
    words[MODE] |= FREE
    for sem in sems:
        sem.release()


def steps(words) -> int:
    return int(words[STEP])


def flags(words) -> dict:
    mode = words[MODE]
    return {"free": bool(mode & FREE), "deadlock": bool(mode & DEADLOCK), "diverged": bool(mode & DIVERGED),
            "switches_full": bool(mode & SWITCHES_FULL)}


def switches(words) -> tuple[tuple[int, int], ...]:
    """Each change of the running actor: (the step it ran first, the actor)."""
    base = layout(int(words[NACTORS]))["switches"]
    return tuple((int(words[base + 2 * n]), int(words[base + 2 * n + 1])) for n in range(int(words[SWITCH_N])))


@record(frozen=True)
class Entry:
    """One step of a trial, as the running actor wrote it."""

    step: int
    actor: int
    kind: int
    arg: int
    raw_value: int  # the value's 64 bits; decode with the array's typecode
    location: int
    implicit: bool = False  # an access that took the array's lock inside itself
    failed: bool = False  # a try-acquire that found the lock held by another actor
    stop: int = -1  # a slice's end: the access covered arg .. stop - 1 (-1: arg alone)

    def value(self, typecode: str):
        if typecode in "fd":
            return struct.unpack("<d", struct.pack("<q", self.raw_value))[0]
        if typecode in "QLIHB" and self.raw_value < 0:
            return self.raw_value + (1 << 64)
        return self.raw_value

    @property
    def what(self) -> str:
        return NAMES[self.kind]


def trace(words) -> tuple[tuple[Entry, ...], int]:
    """The steps still in the ring, oldest first, and how many older ones it dropped."""
    base = layout(int(words[NACTORS]))["trace"]
    total = int(words[STEP])
    first = max(0, total - TRACE_CAP)
    out = []
    for n in range(first, total):
        at = base + (n % TRACE_CAP) * ENTRY_WORDS
        packed = int(words[at])
        kind = packed & ((1 << KIND_BITS) - 1) & ~(IMPLICIT_KIND | FAILED_KIND | SLICE_KIND)
        actor = (packed >> KIND_BITS) & ((1 << ACTOR_BITS) - 1)
        arg = (packed >> (KIND_BITS + ACTOR_BITS)) - 1
        out.append(Entry(n + 1, actor, kind, arg, int(words[at + 1]), int(words[at + 2]),
                         bool(packed & IMPLICIT_KIND), bool(packed & FAILED_KIND),
                         int(words[at + 3]) if packed & SLICE_KIND else -1))
    return tuple(out), first


@record(frozen=True)
class ActorInfo:
    """Who an actor of the last trial was: its worker, whether it was a daemon thread (it
    ended with its process), and the steps run before it was started (0 for a process)."""

    actor: int
    worker: int
    daemon: bool
    born: int


def actors(words) -> tuple[ActorInfo, ...]:
    """Every actor the last trial had, processes first, then threads in the order they started."""
    at = layout(int(words[NACTORS]))
    nprocs = int(words[NPROCS])
    out = []
    for actor in range(int(words[NEXT_THREAD])):
        base = at["actors"] + actor * ACTOR_WORDS
        worker = int(words[base + WORKER])
        out.append(ActorInfo(actor, worker & ~DAEMON, bool(worker & DAEMON),
                             int(words[base + BORN]) if actor >= nprocs else 0))
    return tuple(out)


def actor_worker(words, actor: int) -> int:
    """The worker process an actor belongs to (itself, for a process's main actor)."""
    return int(words[layout(int(words[NACTORS]))["actors"] + actor * ACTOR_WORDS + WORKER]) & ~DAEMON


def lock_owner(words, lock: int) -> int:
    """The actor holding a lock, or -1."""
    return int(words[layout(int(words[NACTORS]))["locks"] + lock * LOCK_WORDS]) - 1


def waiting(words) -> list[dict]:
    """Every unfinished actor and what it waits for: ``lock`` (a lock's name, or None) and
    ``holder`` (the actor holding it, -1), ``joins`` (the actor a join waits for, or None),
    ``at`` (the operation it is waiting to run)."""
    at = layout(int(words[NACTORS]))
    out = []
    for actor in range(int(words[NEXT_THREAD])):
        base = at["actors"] + actor * ACTOR_WORDS
        if words[base + ST] in (FINISHED, UNUSED):
            continue
        kind, arg, lock = int(words[base + KIND]), int(words[base + ARG]), int(words[base + LOCK])
        wanted = arg if NAMES[kind] == "acquire" else lock
        out.append({"actor": actor, "at": NAMES[kind], "lock": LOCK_NAMES[wanted] if wanted >= 0 else None,
                    "holder": lock_owner(words, wanted) if wanted >= 0 else -1,
                    "joins": arg if NAMES[kind] == "join" else None, "waiting": words[base + ST] == WAITING})
    return out


def blocked(words) -> list[tuple[int, str]]:
    """Every unfinished actor and what it waits for, in words (for a deadlock's report)."""
    out = []
    for w in waiting(words):
        if w["lock"] is not None:
            holder = f", held by actor {w['holder']}" if w["holder"] >= 0 else ""
            out.append((w["actor"], f"waits for {w['lock']}{holder}"))
        elif w["joins"] is not None:
            out.append((w["actor"], f"waits for actor {w['joins']} to end"))
        elif w["waiting"]:
            out.append((w["actor"], f"waits at its {w['at']}"))
    return out
