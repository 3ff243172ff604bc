"""Threads that stand in for worker processes on a real board (each with its own Board, as
a process has): for testing the board and the in-trial strategies without processes.

Each actor is a function ``f(act)`` using ``act.read(i, loc)``, ``act.write(i, value, loc)``,
``act.acquire(lock)``, ``act.release(lock)`` on a shared list."""

from __future__ import annotations

import ctypes
import threading

from harness.scheduler import parent
from harness.scheduler.board import Board
from harness.scheduler.ops import ACQUIRE, READ, RELEASE, SLEEP, TRY_ACQUIRE, WRITE


class Box:
    """Shared memory stand-in: the board's words and semaphores."""

    def __init__(self, nprocs: int, threads: int = 2):
        nactors = nprocs + threads
        self.words = (ctypes.c_longlong * parent.words_for(nactors))()
        self.words[0], self.words[4], self.words[17] = 0x6861726E, nactors, nprocs
        self.sems = [threading.Semaphore(0) for _ in range(nactors)]
        self.nprocs = nprocs
        self.blocked: list = []


class Act:
    def __init__(self, board: Board, array: list):
        self.board, self.array = board, array

    def read(self, i: int, loc: int = 0):
        entry = self.board.point(READ, i, location=loc)
        value = self.array[i]
        self.board.value(entry, value)
        return value

    def write(self, i: int, value, loc: int = 0) -> None:
        entry = self.board.point(WRITE, i, location=loc)
        self.array[i] = value
        self.board.value(entry, value)

    def acquire(self, lock: int) -> None:
        self.board.point(ACQUIRE, lock)
        self.board.locked(lock)

    def try_acquire(self, lock: int) -> bool:
        """A non-blocking acquire: the board's model of the lock says whether it is free."""
        self.board.point(TRY_ACQUIRE, lock)
        ok = self.board.lock_free_for_me(lock)
        if ok:
            self.board.locked(lock)
        return ok

    def release(self, lock: int) -> None:
        self.board.point(RELEASE, lock)
        self.board.unlocked(lock)

    def sleep(self) -> None:
        self.board.point(SLEEP, -1)


def run_actors(functions, strategy="random", seed=1, trial=1, follow=(), depth=3, array=None, aim=None):
    """Run each function as one actor; (array, box). ``aim``: the directed strategy's target,
    (first, second, order, pause per mille)."""
    box = Box(len(functions))
    array = list(array or [0] * 4)
    parent.reset(box.words, box.sems, strategy=strategy, seed=seed, trial=trial, estimate=20, depth=depth,
                 follow=tuple(follow))
    if aim is not None:
        parent.aim(box.words, *aim)
    arrived = threading.Barrier(len(functions))

    def actor(worker, function):
        board = Board(box.words, box.sems, worker, box.nprocs)
        board.publish_start()
        arrived.wait()  # the start line
        board.begin()
        function(Act(board, array))
        board.end()

    threads = [threading.Thread(target=actor, args=(w, f), daemon=True) for w, f in enumerate(functions)]
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


def program(ops):
    """An actor function from a list of operations: ("read", i), ("write", i) (stores the
    last value read + 1), ("acquire", lock), ("release", lock), ("try", lock, n) (a
    try-acquire that skips the next n operations when it fails)."""
    def run(act):
        last, skip = 0, 0
        for op in ops:
            if skip:
                skip -= 1
                continue
            if op[0] == "try":
                skip = 0 if act.try_acquire(op[1]) else op[2]
            elif op[0] == "read":
                last = act.read(op[1], op[2] if len(op) > 2 else 0)
            elif op[0] == "write":
                act.write(op[1], last + 1, op[2] if len(op) > 2 else 0)
            elif op[0] == "acquire":
                act.acquire(op[1])
            elif op[0] == "release":
                act.release(op[1])
    return run
