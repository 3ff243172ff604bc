"""Lost updates: the final array differs from every value the model accepts.

Promise: reports the mismatching indices with the expected and observed arrays; an
unchecked index (``None`` in the expected array) never counts. ``final`` is a list of values
or the executor's FinalArray, whose bytes settle the common case in one comparison.
"""

from __future__ import annotations

from ..messages import MAX_SHOWN
from ..anomalies import Anomaly

MAX_LISTED = 1000  # values of expected/observed listed


class LostUpdate:
    kind = "lost_update"
    needs_final = True

    def detect(self, plan, final, reports: list) -> Anomaly | None:
        raw = getattr(final, "raw_bytes", None)
        if raw is not None and plan.expectation.matches_bytes(raw):
            return None  # the usual case, decided by one memory comparison
        final = list(final)
        bad = plan.expectation.mismatches(final)
        if not bad:
            return None
        expected = plan.expectation.shown()
        detail = {"indices": bad[:MAX_SHOWN]}
        # the contract's fields stay lists; a huge array's are cut, and the differing
        # indices are listed on their own
        detail["expected"], detail["observed"] = expected[:MAX_LISTED], list(final[:MAX_LISTED])
        if len(final) > MAX_LISTED:
            detail["truncated"] = True
            detail["differences"] = {str(i): [expected[i], final[i]] for i in bad[:MAX_SHOWN]}
        return Anomaly(self.kind, detail)
