"""The operations at scheduling points, as small integers that fit in shared words.

Promise: every scheduling point names one of these kinds; ``arg`` is an array index for
``READ``/``WRITE``, a lock number for ``ACQUIRE``/``RELEASE``, an actor for ``JOIN`` and -1
otherwise. ``lock`` (``NO_LOCK`` or a lock number) is the lock an access takes inside itself
(an element access through a ``lock=True`` array's wrapper takes the array's lock), so the
access can only run while no other actor holds that lock. Worker side: no imports.
"""

from __future__ import annotations

READ, WRITE, ACQUIRE, RELEASE, START, END, THREAD_START, JOIN, TRY_ACQUIRE, SLEEP = range(10)
NAMES = ("read", "write", "acquire", "release", "start", "end", "thread start", "join", "try acquire", "sleep")

NO_LOCK = -1
ARRAY_LOCK, DOLLAR_LOCK, DOLLAR_RLOCK = 0, 1, 2
LOCK_NAMES = ("the array lock", "$lock", "$rlock")
RECURSIVE = (True, False, True)  # the array's lock and $rlock are RLocks; $lock is a Lock
TIMED_JOIN = 1  # the location of a JOIN step whose join had a timeout (the model waits for the end)
