"""The validated scenario: frozen, picklable data that every later stage reads.

Promise: a :class:`Scenario` only exists for a file that passed every check in
``harness.load``; its fields carry defaults already applied, so no later stage re-derives
them. The exception is ``run:``: a setting the file does not give stays None there, because
the command line and the project's settings have their say too (:func:`harness.settings.resolve`).
"""

from __future__ import annotations

from .records import record

SCENARIO_SUFFIXES = (".yaml", ".yml")
MAX_TEXT = 1 << 20  # the most characters a scenario file may hold
DEFAULT_TRIALS = 200
DEFAULT_TIMEOUT_S = 10.0
DEFAULT_PROBABILITY = 0.5
DEFAULT_MAX_DELAY_US = 100


@record(frozen=True)
class ArraySpec:
    typecode: str
    init: tuple  # initial values, already in the C type
    lock: bool = True

    @property
    def size(self) -> int:
        return len(self.init)


# an operation-specific key, as a group whose operation does not take it reads it
ABSENT_KEYS = {"value": None, "write": "element", "read": "slice", "check": None, "call": None, "args": (),
               "kwargs": (), "args_each": None, "kwargs_each": None, "check_on": "reads", "time_scale": 1.0}


@record(frozen=True)
class WorkerGroup:
    """One group of processes: what every operation has, and ``params``, the operation's own
    frozen parameters (:mod:`harness.ops`; ``group.value`` reads ``group.params.value``)."""

    name: str
    op: str
    start: int
    stop: int
    count: int = 1
    partition: bool = False
    loops: int = 1
    lock: str = "none"
    think_us: int = 0
    params: object = None

    def __getattr__(self, name):
        if name.startswith("__") or name == "params":  # not set yet (unpickling): no recursion
            raise AttributeError(name)
        if name in ABSENT_KEYS:  # a key its operation does not take reads as the contract's default
            return getattr(self.params, name, ABSENT_KEYS[name])
        return getattr(self.params, name)

    @property
    def writes(self) -> bool:
        from .ops import op_of

        return op_of(self.op).writes


def make_group(name: str, op: str, start: int, stop: int, *, typecode: str = "i", **keys):
    """A WorkerGroup built in code, as the loader builds one from a file's worker mapping:
    ``keys`` are the worker's keys (common ones such as ``count`` and ``lock``, and the
    operation's own, such as ``value`` or ``call``)."""
    from .cvalues import CTYPES
    from .ops import OPS

    common = {k: keys.pop(k) for k in ("count", "partition", "loops", "lock", "think_us") if k in keys}
    params = OPS[op].params(keys, CTYPES[typecode], lambda key: (0, 0))
    return WorkerGroup(name, op, start, stop, params=params, **common)


@record(frozen=True)
class Expect:
    anomaly: str = "none"
    final: tuple | None = None  # None entries leave an index unchecked
    survives: tuple[str, ...] = ()  # the mutants (harness mutate) expected to survive, by id
    survives_at: tuple[tuple[int, int], ...] = ()  # each one's (line, column) in the file


@record(frozen=True)
class Timing:
    inject: str | None = None  # random | none | controlled; None: the file does not say
    probability: float = DEFAULT_PROBABILITY
    max_delay_us: int = DEFAULT_MAX_DELAY_US


@record(frozen=True)
class RunConfig:
    """The file's own ``run:`` section; None: the file does not say."""

    trials: int | None = None
    seed: int | None = None
    timeout_s: float | None = None
    start_methods: tuple[str, ...] | None = None
    stop_on_detection: bool | None = None
    timing: Timing = Timing()
    strategy: str | None = None  # the controlled scheduler's (pct | random)
    depth: int | None = None  # PCT's


@record(frozen=True)
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
