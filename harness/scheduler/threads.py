"""Threads under the controlled scheduler: each thread a call worker starts is an actor.

Promise: while :func:`control` has a board installed (a controlled trial of this process),
``Thread.start`` called by an actor registers the new thread as an actor waiting at its start
(its first step runs when the scheduler chooses it; its end is a step, and passes the turn
on), and ``Thread.join`` of such a thread is a scheduling point that can run only once the
thread's actor has ended, so the joiner never waits on the real join while holding the turn.
``time.sleep`` is a point too, at which the sleeper runs on only when no other actor can: in
real time the others would have run meanwhile (a daemon thread that sleeps before writing does
not write before its process's short work is done).
Threads started outside a controlled trial, or by a thread that is not an actor (the worker
after its own end, a thread of a free-running trial), run as they always do. The patch is
installed once per process, on first use, and costs nothing to a process that never runs
under control. Worker side: imports stay tiny.
"""

from __future__ import annotations

import threading
import time

from .ops import JOIN, SLEEP, TIMED_JOIN

_state = {"board": None}
_originals: dict = {}


def _start(thread, *args, **kwargs):
    board = _state["board"]
    if board is None or board.free or not board.is_actor():
        return _originals["start"](thread, *args, **kwargs)
    actor = board.register_thread(thread.daemon)
    run = thread.run

    def controlled_run():
        board.adopt(actor)
        board.thread_begin(actor)
        try:
            run()
        finally:
            board.end()

    thread.run = controlled_run
    thread._harness_actor = (board.generation, actor)  # an actor number means something in its trial only
    return _originals["start"](thread, *args, **kwargs)


def _join(thread, timeout=None):
    board = _state["board"]
    generation, actor = getattr(thread, "_harness_actor", (None, None))
    if board is not None and generation == board.generation and not board.free and board.is_actor():
        # runs once that actor has ended, timeout or not (a search notes that it assumed so)
        board.point(JOIN, actor, location=TIMED_JOIN if timeout is not None else 0)
    return _originals["join"](thread, timeout)


def _sleep(seconds):
    board = _state["board"]
    if board is not None and not board.free and board.is_actor():
        board.point(SLEEP)  # the others that can run go first, as they would in real time
    return _originals["sleep"](seconds)


def _install() -> None:
    if _originals:
        return
    _originals["start"], _originals["join"] = threading.Thread.start, threading.Thread.join
    threading.Thread.start = _start
    threading.Thread.join = _join


def control(board) -> None:
    """Threads started from now on in this process are actors of ``board`` (None: no longer).
    ``time.sleep`` is wrapped for each trial around whatever it is then (a call worker's scaled
    sleep, say), so every trial sees the same points, the first in a process or not."""
    if board is not None:
        _install()
        if time.sleep is not _sleep:
            _originals["sleep"], time.sleep = time.sleep, _sleep
    elif time.sleep is _sleep:
        time.sleep = _originals["sleep"]
    _state["board"] = board
