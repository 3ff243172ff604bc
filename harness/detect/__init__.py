"""Stage 4, detect: detectors turn one trial's final array and worker reports into anomalies.

Promise: a detector is one small module with a class exposing ``kind``, ``needs_final``
and ``detect(plan, final, reports) -> Anomaly | None``; it is pure (no processes, no I/O), so
it is tested with hand-built inputs. A new invariant is one new module added to
``DETECTORS``. Crashes and hangs are not detected here: the executor sees them.
"""

from __future__ import annotations

from ..anomalies import Anomaly
from .lost_update import LostUpdate
from .torn_read import TornReadDetector

# What a detector offers, by shape (as a typing.Protocol would say it; typing itself is not
# imported, for the start-up of `harness run`):
#   kind: str
#   needs_final: bool    False: it can still judge a crashed or hung trial from the reports
#   detect(plan, final: list, reports: list) -> Anomaly | None
DETECTORS = (LostUpdate(), TornReadDetector())


def detect_all(plan, final: list, reports: list, detectors=DETECTORS) -> list[Anomaly]:
    return [a for d in detectors if (a := d.detect(plan, final, reports)) is not None]
