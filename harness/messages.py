"""The only things that cross the process boundary: small, frozen, picklable messages.

Promise: this module imports nothing from the harness and almost nothing from the standard
library, so a spawned worker that unpickles these pays no import cost for the parent's
stages (YAML, the loader, reporters).
"""

from __future__ import annotations

from .records import record


class SetupError(Exception):
    """An operation cannot run in this worker at all (its message is one line): the scenario
    gets an error verdict instead of trials (the worker answers :class:`SetupFailed`)."""

MAX_SHOWN = 64  # the values of a torn snapshot, or the differing indices, that a report lists


class FrozenMap(tuple):
    """A YAML mapping inside call arguments, frozen as (key, value) pairs; a tuple subclass,
    so a list of pairs stays a list when the worker thaws it."""

    __slots__ = ()


@record(frozen=True)
class ProcessSpec:
    """What one worker process does in every trial: what every operation has, and
    ``params``, its operation's own frozen parameters (``spec.value`` reads
    ``spec.params.value``)."""

    worker: int  # index among all processes of the scenario
    group: str
    index: int  # index within its group
    op: str
    start: int
    stop: int
    loops: int = 1
    lock: str = "none"
    think_us: int = 0
    typecode: str = "i"
    base_dir: str = ""
    hot: tuple = ()  # (start, stop) index ranges where this process can conflict with another
    params: object = None

    def __getattr__(self, name):
        if name.startswith("__") or name == "params":  # not set yet (unpickling): no recursion
            raise AttributeError(name)
        return getattr(self.params, name)


@record(frozen=True)
class TimingSpec:
    """The timing policy's settings, as the worker needs them."""

    policy: str = "random"  # random | none | controlled
    probability: float = 0.5
    max_delay_us: int = 100
    strategy: str = "directed"  # under controlled: the search (harness.search) each trial follows
    depth: int = 3  # PCT's bug depth


@record(frozen=True)
class WorkerConfig:
    """Everything a worker process needs, sent once when it starts."""

    spec: ProcessSpec
    timing: TimingSpec
    seed: int
    nprocs: int
    barrier_timeout: float


@record(frozen=True)
class Ready:
    """A worker's first message: it is set up and waits for trials."""


@record(frozen=True)
class SetupFailed:
    """A worker's first message when it cannot run at all (a call target that does not import)."""

    message: str


@record(frozen=True)
class TornRead:
    """A snapshot that broke its check."""

    worker: int
    group: str
    pass_no: int
    check: str
    snapshot: tuple  # its first values (at most the worker's MAX_SHOWN)
    previous: tuple | None = None
    where: str = ""  # for call workers: the user's file and line that read it
    length: int = 0  # how many values the snapshot really had
    total: object = None  # its sum, for the `sum` check
    unit: str = "pass"  # what pass_no counts: a built-in reader's "pass", user code's "read", "returned value"


@record(frozen=True)
class TrialReport:
    """One worker's report of one trial."""

    trial: int
    worker: int
    crashed: str | None = None  # the traceback, when the worker's code raised
    torn: TornRead | None = None  # the first torn snapshot
    torn_count: int = 0
    snapshots: int = 0  # how many snapshots were checked
    output: str = ""  # captured prints, kept for failed trials
    exit_code: int | None = None  # the code a real process would have exited with, when not 0
    retire: bool = False  # daemon threads still run: end this process, as a real one would end here
