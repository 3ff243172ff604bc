"""The progress display: on a terminal only, never under pytest or CI; never on stdout."""

from __future__ import annotations

import io

from harness.progress import Progress
from harness.results import Anomaly, ScenarioResult, TrialResult


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def result(name="demo"):
    return ScenarioResult(name, f"{name}.yaml", "fork", "none", 1, 5)


def test_draws_trials_rate_and_anomalies_on_a_terminal(monkeypatch):
    monkeypatch.delenv("PYTEST_CURRENT_TEST", raising=False)
    monkeypatch.delenv("CI", raising=False)
    term = FakeTerminal()
    progress = Progress(stream=term)
    assert progress.enabled
    first, second = result("first"), result("second")
    progress.trial(first, TrialResult(1))
    progress.trial(first, TrialResult(2, (Anomaly("lost_update", {}),)))
    assert progress.bar.n == 2 and progress.bar.total == 5
    assert "anomalous trials: 1" in progress.bar.postfix
    progress.done(first)
    assert progress.bar is None
    progress.trial(second, TrialResult(1))
    progress.close()
    text = term.getvalue()
    assert "first [fork]" in text and "second [fork]" in text and "trial/s" in text


def test_quiet_when_not_a_terminal_under_pytest_or_in_ci(monkeypatch):
    plain = io.StringIO()
    assert not Progress(stream=plain).enabled  # not a TTY
    monkeypatch.setenv("PYTEST_CURRENT_TEST", "x")
    assert not Progress(stream=FakeTerminal()).enabled
    monkeypatch.delenv("PYTEST_CURRENT_TEST")
    monkeypatch.setenv("CI", "true")
    assert not Progress(stream=FakeTerminal()).enabled
    monkeypatch.delenv("CI")
    assert not Progress(enabled=False, stream=FakeTerminal()).enabled
    quiet = Progress(stream=plain)
    quiet.trial(result(), TrialResult(1))  # does nothing, says nothing
    quiet.close()
    assert plain.getvalue() == ""
