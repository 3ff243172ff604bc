"""Lost updates: the final array differs from every value the model accepts.

Promise: reports the mismatching indices with the expected and observed arrays; an
unchecked index (``None`` in the expected array) never counts. ``final`` is a list of values
or the executor's FinalArray, whose bytes settle the common case in one comparison.
"""

from __future__ import annotations

from ..results import Anomaly

MAX_SHOWN = 64


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
        if len(final) <= MAX_SHOWN:
            detail["expected"], detail["observed"] = expected, list(final)
        else:  # a huge array: show the differing indices only
            detail["expected"] = {str(i): expected[i] for i in bad[:MAX_SHOWN]}
            detail["observed"] = {str(i): final[i] for i in bad[:MAX_SHOWN]}
        return Anomaly(self.kind, detail)
