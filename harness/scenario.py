"""The validated scenario: frozen, picklable data that every later stage reads.

Promise: a :class:`Scenario` only exists for a file that passed every check in
``harness.load``; its fields carry defaults already applied, so no later stage re-derives
them. The exception is ``run:``: a setting the file does not give stays None there, because
the command line and the project's settings have their say too (:func:`harness.settings.resolve`).
"""

from __future__ import annotations

from dataclasses import dataclass

SCENARIO_SUFFIXES = (".yaml", ".yml")
DEFAULT_TRIALS = 200
DEFAULT_TIMEOUT_S = 10.0
DEFAULT_PROBABILITY = 0.5
DEFAULT_MAX_DELAY_US = 100


@dataclass(frozen=True)
class ArraySpec:
    typecode: str
    init: tuple  # initial values, already in the C type
    lock: bool = True

    @property
    def size(self) -> int:
        return len(self.init)


@dataclass(frozen=True)
class WorkerGroup:
    name: str
    op: str
    start: int
    stop: int
    count: int = 1
    partition: bool = False
    loops: int = 1
    value: int | float | None = None
    lock: str = "none"
    think_us: int = 0
    write: str = "element"
    read: str = "slice"
    check: str | None = None
    call: str | None = None
    args: tuple = ()
    kwargs: tuple = ()  # (key, value) pairs, so the group stays hashable
    args_each: tuple | None = None  # one args list per process of the group, instead of args
    kwargs_each: tuple | None = None  # one kwargs mapping per process, merged over kwargs
    check_on: str = "reads"  # call: check every whole-range read, or the values the function returns
    time_scale: float = 1.0
    call_at: tuple = (0, 0)  # (line, column) of `call:` in the file, for errors found before a run

    @property
    def writes(self) -> bool:
        return self.op in ("add", "set", "stamp", "transfer", "call")


@dataclass(frozen=True)
class Expect:
    anomaly: str = "none"
    final: tuple | None = None  # None entries leave an index unchecked


@dataclass(frozen=True)
class Timing:
    inject: str | None = None  # random | none; None: the file does not say
    probability: float = DEFAULT_PROBABILITY
    max_delay_us: int = DEFAULT_MAX_DELAY_US


@dataclass(frozen=True)
class RunConfig:
    """The file's own ``run:`` section; None: the file does not say."""

    trials: int | None = None
    seed: int | None = None
    timeout_s: float | None = None
    start_methods: tuple[str, ...] | None = None
    stop_on_detection: bool | None = None
    timing: Timing = Timing()


@dataclass(frozen=True)
class Scenario:
    name: str
    path: str  # the file as the user named it
    array: ArraySpec
    workers: tuple[WorkerGroup, ...]
    expect: Expect = Expect()
    run: RunConfig = RunConfig()
    description: str = ""

    @property
    def base_dir(self) -> str:
        import os

        return os.path.dirname(os.path.abspath(self.path))

    @property
    def is_canary(self) -> bool:
        return self.expect.anomaly != "none"
