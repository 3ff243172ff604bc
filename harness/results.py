"""Results: what trials showed and the verdicts drawn from them.

Promise: :class:`Tally` turns a stream of :class:`TrialResult` into one
:class:`ScenarioResult` by the contract's rules: ``anomaly: none`` passes when every trial
is ok; a canary passes when its anomaly showed in at least one trial and no trial crashed
or hung (``any`` accepts lost_update or torn_read). Pure data, no I/O.

For the HTML report it also keeps two bounded pictures of the failing trials: how many
trials lost an update or tore at each index (in at most :data:`MAX_CELLS` cells of
neighbouring indices), and the distinct final arrays that lost updates left (the first
:data:`MAX_FINALS`, the rest counted together).
"""

from __future__ import annotations

import json

from .anomalies import BROKEN, KINDS, MARKS, Anomaly, Kind, TrialResult
from .records import field, record

__all__ = ["KINDS", "Anomaly", "Kind", "ScenarioResult", "Tally", "TrialResult"]

INDEX_KINDS = ("lost_update", "torn_read")  # anomalies whose detail names the indices they hit
MAX_CELLS = 200  # cells of the index strip; a larger array shares a cell among neighbours
MAX_FINALS = 20  # distinct final arrays kept, in order of first appearance
MAX_FINAL_VALUES = 64  # a longer final array is kept as its differing indices only
# trials in a row, from the first, that crash the same way (one worker, one last line of its
# error) before the rest are left unrun: such a crash does not depend on the interleaving, and
# each crashed trial starts the processes again (seconds, with a heavy import under spawn)
SAME_CRASH_STOP = 10


@record
class ScenarioResult:
    name: str
    file: str
    start_method: str
    expected_anomaly: str
    seed: int
    trials_planned: int
    description: str = ""
    injected: bool = True  # timing injection was on (a rerun must say --no-inject otherwise)
    inject: str = "random"  # the timing policy: random, none, controlled
    strategy: str = "directed"  # the controlled scheduler's search
    trials_run: int = 0
    outcomes: dict = field(default_factory=lambda: {k: 0 for k in KINDS})
    first_detection: int | None = None
    example: dict | None = None
    output: list = field(default_factory=list)
    interrupted: bool = False
    error: str | None = None  # the scenario could not run at all (e.g. the call target will not import)
    duration_s: float = 0.0
    rerun: str = ""
    replayed_trial: int | None = None  # every trial run was a replay of this one (--trial)
    # {"size", "cell", "lost_update": [...], "torn_read": [...]}: trials per cell of `cell` indices
    index_counts: dict | None = None
    observed_finals: list = field(default_factory=list)  # {"observed" | "differences", "trials", "first_trial"}
    observed_finals_other: int = 0  # lost-update trials whose final array came after MAX_FINALS others
    # what a safe verdict's clean trials covered and guarantee (harness.search.certificate)
    certificate: dict | None = None
    shrunk: dict | None = None  # --shrink: the smallest example of its race (harness.api.shrunk_entry)
    shard: tuple | None = None  # (K, N): the part of the run these trials were (harness.shard)
    same_crash: bool = False  # stopped after SAME_CRASH_STOP trials that each crashed the same way

    @property
    def detected(self) -> bool:
        want = self.expected_anomaly
        if want == "any":
            return self.outcomes["lost_update"] + self.outcomes["torn_read"] > 0
        return self.outcomes.get(want, 0) > 0

    @property
    def passed(self) -> bool:
        if self.error or self.interrupted or self.trials_run == 0:
            return False  # an interrupted scenario has no verdict, so it has not passed
        if self.expected_anomaly == "none":
            return self.outcomes["ok"] == self.trials_run and not self.unproven
        return self.detected and not self.broken

    @property
    def unproven(self) -> bool:
        """An exhaustive search asked for proof and could not give it (its budget ran out, or
        the code did not follow its schedules): clean trials, but never a pass."""
        cert = self.certificate
        return bool(cert) and cert.get("kind") == "exhaustive" and not cert.get("complete")

    @property
    def failed_already(self) -> bool:
        """Whether the trials so far decide a failure, whatever the rest would show: any
        anomaly, crash or hang of a safe scenario; a crash or hang of a canary."""
        if self.expected_anomaly == "none":
            return self.outcomes["ok"] < self.trials_run
        return self.broken > 0

    @property
    def broken(self) -> int:
        """Trials that crashed, hung or deadlocked: a failure whatever else was seen."""
        return sum(self.outcomes[k] for k in BROKEN)

    @property
    def verdict(self) -> str:
        """passed, failed, error (it could not run), interrupted: stopped before its trials
        decided anything (a safe scenario whose trials were all clean so far), or inconclusive:
        every trial clean, but the exhaustive search it asked for did not cover every class."""
        if self.error:
            return "error"
        if self.interrupted and not self.failed_already:
            return "interrupted"
        if self.unproven and not self.failed_already:
            return "inconclusive"
        return "passed" if self.passed else "failed"

    @property
    def is_canary(self) -> bool:
        return self.expected_anomaly != "none"

    @property
    def trials_per_second(self) -> float:
        return self.trials_run / self.duration_s if self.duration_s > 0 else 0.0


def _wanted(expected: str, kind: str) -> bool:
    return kind in ("lost_update", "torn_read") if expected == "any" else kind == expected


def _detects(expected: str, kind: str) -> bool:
    """A detection: the canary's anomaly, or for a safe scenario any anomaly (crash and hang
    are outcomes, not anomalies, so they never count as "first seen")."""
    return _wanted("any" if expected == "none" else expected, kind)


def example_rank(expected: str, kind) -> int:
    """Which anomaly makes the better example (lower first): broken trials, then the wanted
    anomaly, then any other, then a mark (an uncontrolled trial is the example only when
    nothing else went wrong)."""
    return 0 if kind in BROKEN else 1 if _wanted(expected, kind) else 3 if kind in MARKS else 2


def _final_shown(detail: dict) -> dict:
    """A lost update's final array as the report lists it: whole when short, else the
    observed values at the differing indices the detector listed."""
    observed = detail.get("observed", [])
    if not detail.get("truncated") and len(observed) <= MAX_FINAL_VALUES:
        return {"observed": list(observed)}
    if "differences" in detail:
        return {"differences": {i: pair[1] for i, pair in detail["differences"].items()}}
    return {"differences": {str(i): observed[i] for i in detail.get("indices", []) if i < len(observed)}}


class Tally:
    """Accumulates trial results into a ScenarioResult. ``array_size`` (0: unknown) sizes
    the index strip."""

    def __init__(self, result: ScenarioResult, array_size: int = 0):
        self.result = result
        self.array_size = array_size
        self._finals: dict[str, dict] = {}
        self._crash: tuple | None = ()  # the crash every trial so far made (None: not every one)

    def add(self, trial: TrialResult) -> None:
        r = self.result
        r.trials_run += 1
        for kind in trial.kinds:
            r.outcomes[kind] += 1
        if r.first_detection is None and any(_detects(r.expected_anomaly, k) for k in trial.kinds):
            r.first_detection = trial.trial
        if not trial.anomalies:
            return
        for anomaly in trial.anomalies:
            self._count_indices(anomaly)
            if anomaly.kind == "lost_update":
                self._count_final(trial.trial, anomaly.detail)
        # the example is the first anomaly that explains the verdict: for a canary, the first
        # crash/hang (they fail it) or the first wanted anomaly; for a safe scenario, the first
        example = self._pick(trial)
        if example is not None and self._better(example):
            r.example = {"trial": trial.trial, "kind": example.kind.value, **example.detail,
                         **(trial.schedule or {})}
            r.output = [{"worker": w, "text": t} for w, t in trial.output]

    def _count_indices(self, anomaly: Anomaly) -> None:
        indices = anomaly.detail.get("indices") if anomaly.kind in INDEX_KINDS else None
        size = self.array_size
        if not indices or size <= 0:
            return
        counts = self.result.index_counts
        if counts is None:
            cell = -(-size // MAX_CELLS)  # indices per cell, rounded up
            cells = -(-size // cell)
            counts = self.result.index_counts = {"size": size, "cell": cell,
                                                 **{k: [0] * cells for k in INDEX_KINDS}}
        row = counts[anomaly.kind.value]
        for c in {i // counts["cell"] for i in indices if 0 <= i < size}:  # once per trial and cell
            row[c] += 1

    def _count_final(self, trial: int, detail: dict) -> None:
        shown = _final_shown(detail)
        key = json.dumps(shown, sort_keys=True, default=str)
        entry = self._finals.get(key)
        if entry is not None:
            entry["trials"] += 1
        elif len(self._finals) < MAX_FINALS:
            entry = self._finals[key] = {**shown, "trials": 1, "first_trial": trial}
            self.result.observed_finals.append(entry)
        else:
            self.result.observed_finals_other += 1

    def _pick(self, trial: TrialResult) -> Anomaly | None:
        for a in trial.anomalies:
            if a.kind in BROKEN:
                return a
        for a in trial.anomalies:
            if _wanted(self.result.expected_anomaly, a.kind):
                return a
        return (trial.failures or trial.anomalies)[0]

    def _better(self, new: Anomaly) -> bool:
        old = self.result.example
        want = self.result.expected_anomaly
        return old is None or example_rank(want, new.kind) < example_rank(want, old["kind"])

    def should_stop(self, trial: TrialResult, stop_on_detection: bool) -> bool:
        if not stop_on_detection:
            return False
        if self._same_crash(trial):
            self.result.same_crash = True
            return True
        if not self.result.is_canary:
            return False
        return any(_wanted(self.result.expected_anomaly, k) for k in trial.kinds)

    def _same_crash(self, trial: TrialResult) -> bool:
        """Has every trial so far, SAME_CRASH_STOP at least, crashed the same way?"""
        if self._crash is None:
            return False
        crash = next((a.detail for a in trial.anomalies if a.kind == Kind.CRASH), None)
        if crash is None:
            self._crash = None
            return False
        said = ((crash.get("error") or "").strip().splitlines() or [""])[-1]
        seen = (crash.get("worker"), said, crash.get("exitcode"))
        if self._crash and seen != self._crash:
            self._crash = None
            return False
        self._crash = seen
        return self.result.trials_run >= SAME_CRASH_STOP
