"""Torn reads: a worker saw a snapshot that broke its check.

Promise: the first torn snapshot of the trial (lowest worker number) with its check, the
pass it was read in, the previous snapshot for ``monotonic`` and, for user code, where it
was read; the count of torn snapshots across workers.
"""

from __future__ import annotations

from ..results import Anomaly

MAX_SHOWN = 64


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
            detail["expected_sum"] = spec.check_sum
            detail["snapshot_sum"] = first.total if first.total is not None else sum(first.snapshot)
        if first.where:
            detail["where"] = first.where
        if first.unit != "pass":
            detail["unit"] = first.unit  # "read" or "returned value": what "pass" counts
        return Anomaly(self.kind, detail)
