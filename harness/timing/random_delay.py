"""The ``random`` timing policy: seeded random delays, aimed where processes can conflict.

Promise: each injection point on an index that another process can race on (the plan's
``hot`` ranges) delays with the configured probability, by a uniform time up to
``max_delay_us``; points elsewhere delay with a tenth of that probability, so races the
planner did not foresee (user code) still get some help. Short delays spin, because a
sleep shorter than the scheduler's tick is not kept; long ones sleep, letting other
processes on a busy machine run into the window.
"""

from __future__ import annotations

import random
import time

from . import BETWEEN, Injector

SPIN_BELOW_S = 50e-6


def _spin_or_sleep(seconds: float, perf_counter=time.perf_counter, sleep=time.sleep) -> None:
    if seconds >= SPIN_BELOW_S:
        sleep(seconds)
        return
    end = perf_counter() + seconds
    while perf_counter() < end:
        pass


class RandomDelay(Injector):
    active = True

    def __init__(self, spec, rng: random.Random, hot: tuple):
        self._random = rng.random
        self._p = spec.probability
        self._cold_p = spec.probability / 10
        self._max_s = spec.max_delay_us / 1e6
        self._hot = hot

    def _is_hot(self, index: int) -> bool:
        for lo, hi in self._hot:
            if lo <= index < hi:
                return True
        return False

    def at(self, point: int, index: int) -> None:
        r = self._random()
        p = self._p if (index < 0 or self._is_hot(index)) else self._cold_p
        if point == BETWEEN:
            p = min(1.0, p * 1.5)  # the read-to-write window is where lost updates are born
        if r < p:
            _spin_or_sleep(self._random() * self._max_s)


def make(spec, seed: int, trial: int, worker: int, hot: tuple) -> Injector:
    return RandomDelay(spec, random.Random(f"{seed}:{trial}:{worker}"), hot)
