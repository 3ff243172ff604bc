"""The controlled scheduler: exactly one actor (a worker process, or a thread a call worker
started) runs between two scheduling points, and the harness decides which.

Promise: :mod:`.board` is the shared-memory board every actor of a trial reads and the one
running actor writes (turn, step, each actor's pending operation, the lock table, the
schedule to follow, the switches made, the trace); :mod:`.strategies` chooses who runs next
(one module per strategy, one registry); :mod:`.token` turns the switches of a trial into a
replay token and back; :mod:`.trace` (parent side) reads a trial's trace and finds the
accesses that conflicted. Worker side: :mod:`.board`, :mod:`.ops` and the strategies import
nothing heavier than the standard library's ``time``.
"""
