"""A progress display for long runs (tqdm): the whole run, and the scenario under way.

Promise: two bars, shown only on an interactive terminal (stderr is a TTY), never under
pytest or in CI logs: the whole run (scenario k of n, trials done of the trials still to
run, and the time left at the rate so far) and the current scenario (its trials, rate and
anomalous trials). A canary that stops at its first detection takes its unused trials off
the whole run's total, so the time left is what is really left. :meth:`Progress.print`
prints a line on stdout above the bars. Nothing of it ever reaches stdout.
"""

from __future__ import annotations

import os
import sys


class Progress:
    def __init__(self, enabled: bool = True, stream=None, runs: int = 0, trials: int = 0):
        self.stream = stream or sys.stderr
        self.enabled = (enabled and hasattr(self.stream, "isatty") and self.stream.isatty()
                        and "PYTEST_CURRENT_TEST" not in os.environ and not os.environ.get("CI"))
        self.runs, self.trials = runs, trials  # of the whole run, as planned
        self.finished = 0  # scenario runs done
        self.overall = None
        self.bar = None
        self.current = None
        self.anomalies = 0

    def trial(self, result, trial) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        if self.overall is None and self.runs:
            self.overall = tqdm(total=self.trials, unit="trial", file=self.stream, leave=False, dynamic_ncols=True,
                                position=0, desc=self._overall_desc(1))
        if result is not self.current:
            self._close_bar()
            self.current, self.anomalies = result, 0
            self.bar = tqdm(total=result.trials_planned, desc=f"{result.name} [{result.start_method}]",
                            unit="trial", file=self.stream, leave=False, dynamic_ncols=True,
                            position=1 if self.overall is not None else 0)
        if trial.anomalies:
            self.anomalies += 1
            self.bar.set_postfix_str(f"anomalous trials: {self.anomalies}", refresh=False)
        self.bar.update(1)
        if self.overall is not None:
            self.overall.update(1)

    def _overall_desc(self, k: int) -> str:
        return f"scenario {min(k, self.runs)}/{self.runs}"

    def done(self, result) -> None:
        """A scenario run ended: its unused trials leave the whole run's total."""
        self.finished += 1
        if self.current is result:
            self._close_bar()
        if self.overall is not None:
            self.overall.total -= max(0, result.trials_planned - result.trials_run)
            self.overall.set_description_str(self._overall_desc(self.finished + 1), refresh=False)
            self.overall.refresh()

    def print(self, text: str) -> None:
        """A line on stdout, above the bars."""
        if self.overall is None and self.bar is None:
            print(text, flush=True)
            return
        from tqdm import tqdm

        tqdm.write(text, file=sys.stdout)
        sys.stdout.flush()

    def _close_bar(self) -> None:
        if self.bar is not None:
            self.bar.close()
        self.bar, self.current = None, None

    def close(self) -> None:
        self._close_bar()
        if self.overall is not None:
            self.overall.close()
            self.overall = None
