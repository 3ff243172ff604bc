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


def test_the_whole_run_shows_scenario_k_of_n_and_the_trials_still_to_run(monkeypatch):
    monkeypatch.delenv("PYTEST_CURRENT_TEST", raising=False)
    monkeypatch.delenv("CI", raising=False)
    term = FakeTerminal()
    progress = Progress(stream=term, runs=2, trials=10)
    canary, safe = result("canary"), result("safe")
    progress.trial(canary, TrialResult(1, (Anomaly("lost_update", {}),)))
    assert progress.overall.desc == "scenario 1/2" and progress.overall.n == 1
    canary.trials_run = 1
    progress.done(canary)  # stopped at its first detection: 4 of its 5 trials will never run
    assert progress.overall.total == 6 and progress.overall.desc == "scenario 2/2"
    progress.trial(safe, TrialResult(1))
    assert progress.overall.n == 2 and progress.bar.desc == "safe [fork]"
    progress.print("PASS  safe [fork]")  # above the bars, on stdout
    progress.close()
    assert progress.overall is None
    text = term.getvalue()
    assert "scenario 1/2" in text and "scenario 2/2" in text and "1/6" in text  # redrawn when a run ends


def test_print_without_bars_is_a_plain_line(capsys):
    quiet = Progress(stream=io.StringIO(), runs=3, trials=30)
    quiet.print("a line")
    assert capsys.readouterr().out == "a line\n"
