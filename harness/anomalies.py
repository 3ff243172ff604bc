"""What one trial showed: its outcome kinds, and each anomaly with what a report shows of it.

Promise: :class:`Kind` names every outcome a trial can have; its members are strings (a
``Kind`` compares equal to ``"lost_update"``), so reports and the JSON stay as they are while a
misspelt kind in code is an AttributeError, not a silent miss. An :class:`Anomaly` is a kind
and its ``detail``, the mapping the reports show (expected and observed arrays, the torn
snapshot, the traceback); a :class:`TrialResult` is a trial's anomalies and the output kept
for a failed one. Pure data, shared by the executor, the detectors and the verdict rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum

from .records import record


class Kind(str, Enum):
    OK = "ok"
    LOST_UPDATE = "lost_update"
    TORN_READ = "torn_read"
    CRASH = "crash"
    HANG = "hang"
    DEADLOCK = "deadlock"  # under the controlled scheduler: every worker waits for a lock another holds
    UNCONTROLLED = "uncontrolled"  # a mark, not a failure: the trial ran free from some point on

    def __str__(self) -> str:
        return self.value


KINDS = tuple(k.value for k in Kind)
RACES = (Kind.LOST_UPDATE, Kind.TORN_READ)  # what a canary can expect, and a detector can see
BROKEN = (Kind.CRASH, Kind.HANG, Kind.DEADLOCK)  # outcomes after which the processes are replaced
MARKS = (Kind.UNCONTROLLED,)  # what a trial is marked with, whatever its outcome: never a verdict


# what each kind's detail may hold: the JSON report's `example` fields, agreed here once
# between the executor and the detectors that write them and the reports that read them
DETAIL_KEYS = {
    Kind.LOST_UPDATE: ("indices", "expected", "observed", "truncated", "differences"),
    Kind.TORN_READ: ("worker", "group", "check", "pass", "snapshot", "snapshot_length", "torn_snapshots",
                     "previous", "expected_sum", "snapshot_sum", "where", "unit", "indices"),
    Kind.CRASH: ("worker", "group", "error", "exitcode", "lock_held", "overrun_bytes"),
    Kind.HANG: ("timeout_s", "stuck", "stacks"),
    Kind.DEADLOCK: ("error", "blocked"),
    Kind.UNCONTROLLED: ("error", "stack"),
}


class Detail(Mapping):
    """An anomaly's detail: a read-only mapping whose keys are the ones its kind may have
    (a misspelt key is a TypeError where it is written, not a field a report never shows)."""

    __slots__ = ("_fields",)

    def __init__(self, kind: Kind, fields: Mapping):
        unknown = sorted(set(fields) - set(DETAIL_KEYS[kind]))
        if unknown:
            raise TypeError(f"{kind.value} detail has no field {', '.join(map(repr, unknown))}; "
                            f"it has: {', '.join(DETAIL_KEYS[kind])}")
        self._fields = dict(fields)

    def __getitem__(self, key):
        return self._fields[key]

    def __iter__(self):
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)

    def __repr__(self) -> str:
        return f"Detail({self._fields!r})"

    def __eq__(self, other) -> bool:
        return dict(self._fields) == (dict(other) if isinstance(other, Mapping) else other)

    __hash__ = None


@record(frozen=True)
class Anomaly:
    kind: Kind
    detail: Mapping  # what the report shows: expected/observed, the snapshot, the traceback

    def __post_init__(self):
        kind = Kind(self.kind)  # a misspelt kind fails here, at once
        object.__setattr__(self, "kind", kind)
        if not isinstance(self.detail, Detail):
            object.__setattr__(self, "detail", Detail(kind, self.detail))


@record(frozen=True)
class TrialResult:
    trial: int
    anomalies: tuple[Anomaly, ...] = ()
    output: tuple = ()  # (worker, captured text) for a failed trial
    schedule: dict | None = None  # under the controlled scheduler, a failed trial's replay token and trace

    @property
    def kinds(self) -> tuple[str, ...]:
        """Its outcomes: "ok" when no anomaly but a mark, and its marks besides."""
        kinds = dict.fromkeys(a.kind.value for a in self.anomalies if a.kind not in MARKS)
        marks = dict.fromkeys(a.kind.value for a in self.anomalies if a.kind in MARKS)
        return tuple(kinds or {"ok": None}) + tuple(marks)

    @property
    def failures(self) -> tuple[Anomaly, ...]:
        """Its anomalies that are outcomes, not marks."""
        return tuple(a for a in self.anomalies if a.kind not in MARKS)
