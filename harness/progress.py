"""A progress display for long runs: trials done, rate and anomalies so far (tqdm).

Promise: shown only on an interactive terminal (stderr is a TTY), never under pytest or in
CI logs; it never changes what the run prints on stdout.
"""

from __future__ import annotations

import os
import sys


class Progress:
    def __init__(self, enabled: bool = True, stream=None):
        self.stream = stream or sys.stderr
        self.enabled = (enabled and hasattr(self.stream, "isatty") and self.stream.isatty()
                        and "PYTEST_CURRENT_TEST" not in os.environ and not os.environ.get("CI"))
        self.bar = None
        self.current = None
        self.anomalies = 0

    def trial(self, result, trial) -> None:
        if not self.enabled:
            return
        if result is not self.current:
            self._close_bar()
            from tqdm import tqdm

            self.current, self.anomalies = result, 0
            self.bar = tqdm(total=result.trials_planned, desc=f"{result.name} [{result.start_method}]",
                            unit="trial", file=self.stream, leave=False, dynamic_ncols=True)
        if trial.anomalies:
            self.anomalies += 1
            self.bar.set_postfix_str(f"anomalous trials: {self.anomalies}", refresh=False)
        self.bar.update(1)

    def done(self, result) -> None:
        if self.current is result:
            self._close_bar()

    def _close_bar(self) -> None:
        if self.bar is not None:
            self.bar.close()
        self.bar, self.current = None, None

    def close(self) -> None:
        self._close_bar()
