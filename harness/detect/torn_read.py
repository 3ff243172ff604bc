"""Torn reads: a worker saw a snapshot that broke its check.

Promise: the first torn snapshot of the trial (lowest worker number) with its check, the
pass it was read in, the previous snapshot for ``monotonic`` and, for user code, where it
was read; the count of torn snapshots across workers; for a built-in reader, which array
indices tore (``indices``: the values that disagree with the snapshot's most common value
under ``uniform``, that went backwards under ``monotonic``; a ``sum`` names no index).
"""

from __future__ import annotations

from ..messages import MAX_SHOWN
from ..anomalies import Anomaly



class TornReadDetector:
    kind = "torn_read"
    needs_final = False

    def detect(self, plan, final: list, reports: list) -> Anomaly | None:
        torn = [r for r in reports if r.torn is not None]
        if not torn:
            return None
        first = min(torn, key=lambda r: r.worker).torn
        detail = {
            "worker": first.worker, "group": first.group, "check": first.check, "pass": first.pass_no,
            "snapshot": list(first.snapshot[:MAX_SHOWN]),
            "snapshot_length": first.length or len(first.snapshot),
            "torn_snapshots": sum(r.torn_count for r in reports),
        }
        if first.previous is not None:
            detail["previous"] = list(first.previous[:MAX_SHOWN])
        if first.check == "sum":
            spec = plan.processes[first.worker]
            detail["expected_sum"] = spec.params.check_sum
            detail["snapshot_sum"] = first.total if first.total is not None else sum(first.snapshot)
        if first.where:
            detail["where"] = first.where
        if first.unit != "pass":
            detail["unit"] = first.unit  # "read" or "returned value": what "pass" counts
        else:  # a built-in reader's snapshot is the array from its range's start
            torn = _torn_positions(first)
            if torn:
                detail["indices"] = [plan.processes[first.worker].start + k for k in torn]
        return Anomaly(self.kind, detail)


def _torn_positions(torn) -> list[int]:
    """Positions in the snapshot that broke its check, where the check can name them."""
    snapshot = torn.snapshot
    if torn.check == "uniform" and snapshot:
        counts: dict = {}
        for v in snapshot:
            counts[v] = counts.get(v, 0) + 1
        top = max(counts.values())
        common = next(v for v in snapshot if counts[v] == top)  # a tie: the value read first
        return [k for k, v in enumerate(snapshot) if v != common]
    if torn.check == "monotonic" and torn.previous is not None:
        return [k for k, (now, before) in enumerate(zip(snapshot, torn.previous)) if now < before]
    return []
