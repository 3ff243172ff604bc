"""The board's layout: which shared word holds what (see :mod:`.board`).

Promise: one place for the word indices, shared by the board, the strategies and the
parent's reader. Worker side: no imports.
"""

from __future__ import annotations

# header words. STEP counts the steps run (each has one trace entry: step n is entry n - 1);
# EPOCH counts what can let another actor run (a release, an end, a new thread); NEXT_FORCED is
# the first step that needs a full decision whatever else holds (the schedule's next switch, a
# PCT change point)
MAGIC, STEP, RUNNING, MODE, NACTORS, NEXT_THREAD, EPOCH, PREFIX_N, PREFIX_POS, SWITCH_N, \
    STRATEGY, SEED, TRIAL, ESTIMATE, DEPTH, LAST, DEADLOCK_AT, NPROCS, NEXT_FORCED, STICKY = range(20)
# the directed strategy's target (see strategies/directed.py): the first access (its kind and
# location), the second, which runs first, the chance of pausing at an instance (per mille),
# and the actor that must run next to complete a pair
D_KIND1, D_LOC1, D_KIND2, D_LOC2, D_ORDER, D_PAUSE, D_NEXT, D_REALIZED, D_INDEX, D_SINCE, D_GIVEN_UP = range(20, 31)
# set by the parent before a trial that runs free of the scheduler, with timing injection instead
# (the ``mixed`` policy's free trials): the workers read it when they make the trial's policy
TIMING_TRIAL = 31
NEVER = (1 << 62)
HEADER = 32
MAGIC_VALUE = 0x6861726E  # "harn"

# MODE flags
FREE, DEADLOCK, DIVERGED, SWITCHES_FULL = 1, 2, 4, 8

# actor slots: status, pending kind, arg, lock the access takes, PCT priority, worker, the
# pending step's location, how many steps the actor has run, (a thread's) the steps run
# before it was started: the first point at which a search could have chosen it, and the
# steps run when its pending operation was published: how long it has waited (a sleeper's),
# and a pending slice's end (ARG is its first index; -1: one element)
ACTOR_WORDS = 11
ST, KIND, ARG, LOCK, PRIO, WORKER, LOC, COUNT, BORN, SINCE, STOP = range(11)
UNUSED, WAITING, RUNNING_ST, FINISHED = 0, 1, 2, 3
DAEMON = 1 << 20  # or-ed into a thread actor's WORKER word: it dies with its process's last other actor

NLOCKS, LOCK_WORDS = 3, 3  # owner (actor + 1, 0 free), depth, wanted (an actor waits for it)
MAX_CHANGES = 16
PREFIX_CAP = 65_536
SWITCH_CAP = 65_536
TRACE_CAP = 65_536
# kind | actor << 8 | (arg + 1) << 24, the value's 64 bits, the location, a slice's end
ENTRY_WORDS = 4
KIND_BITS, ACTOR_BITS = 8, 16
IMPLICIT_KIND = 64  # or-ed into a traced access's kind: it took the array's lock inside itself
FAILED_KIND = 128  # or-ed into a traced try-acquire's kind: the lock was held by another actor
SLICE_KIND = 16  # or-ed into a traced access's kind: a slice, whose end is the entry's fourth word
MAX_THREADS = 16  # thread actors per scenario (each gets a semaphore)


def layout(nactors: int) -> dict[str, int]:
    """Where each area starts."""
    actors = HEADER
    locks = actors + nactors * ACTOR_WORDS
    changes = locks + NLOCKS * LOCK_WORDS
    prefix = changes + MAX_CHANGES
    switches = prefix + 2 * PREFIX_CAP
    trace = switches + 2 * SWITCH_CAP
    return {"actors": actors, "locks": locks, "changes": changes, "prefix": prefix,
            "switches": switches, "trace": trace, "end": trace + ENTRY_WORDS * TRACE_CAP}


def words_for(nactors: int) -> int:
    return layout(nactors)["end"]
