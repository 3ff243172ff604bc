"""Verdicts, detectors, snapshot checks and the three reporters, on hand-built results."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from harness.api import RunReport, rerun_command
from harness.checks import CHECKS, monotonic, sum_kept, uniform
from harness.detect import DETECTORS, detect_all
from harness.detect.lost_update import LostUpdate
from harness.detect.torn_read import TornReadDetector
from harness.load import load_text
from harness.messages import TornRead, TrialReport
from harness.plan import make_plan
from harness.report.console import (failure_reason, failure_text, failures_table, run_footer, summary_line,
                                    verdict_word)
from harness.report.json_report import to_dict, to_json
from harness.report.junit import classname, to_junit
from harness.results import KINDS, Anomaly, ScenarioResult, Tally, TrialResult

LOST = Anomaly("lost_update", {"indices": [1], "expected": [100, 100, 100, 100, 100],
                               "observed": [100, 97, 100, 100, 100]})
TORN = Anomaly("torn_read", {"worker": 1, "group": "reader", "check": "uniform", "pass": 4,
                             "snapshot": [3, 3, 2, 2], "torn_snapshots": 2})
CRASH = Anomaly("crash", {"worker": 0, "group": "adder", "error": "Traceback (most recent call last):\n"
                                                                  "ZeroDivisionError: division by zero\n"})
HANG = Anomaly("hang", {"timeout_s": 10.0, "stuck": ["adder[0]"], "stacks": {"adder[0]": "  File x\n"}})


def result(expected: str = "none", *, name: str = "seed000-element-lock",
           file: str = "scenarios/seed000_element_lock.yaml", method: str = "fork", seed: int = 7,
           trials: int = 200) -> ScenarioResult:
    return ScenarioResult(name, file, method, expected, seed, trials)


def tally(expected: str, trials: list[tuple]) -> ScenarioResult:
    """trials: one tuple of anomalies per trial, numbered from 1."""
    r = result(expected, trials=len(trials))
    t = Tally(r)
    for n, anomalies in enumerate(trials, start=1):
        t.add(TrialResult(n, tuple(anomalies)))
    r.rerun = rerun_command(r)
    return r


# -- Tally: the verdict rules ---------------------------------------------------------------------

def test_safe_scenario_passes_when_every_trial_is_ok():
    r = tally("none", [(), (), ()])
    assert r.passed and r.trials_run == 3
    assert r.outcomes == {"ok": 3, "lost_update": 0, "torn_read": 0, "crash": 0, "hang": 0, "deadlock": 0,
                          "uncontrolled": 0}
    assert r.first_detection is None and r.example is None


def test_safe_scenario_fails_on_one_lost_update():
    r = tally("none", [(), (), (LOST,), (), (LOST,)])
    assert not r.passed
    assert r.outcomes["ok"] == 3 and r.outcomes["lost_update"] == 2
    assert r.first_detection == 3
    assert r.example == {"trial": 3, "kind": "lost_update", **LOST.detail}


def test_safe_scenario_fails_on_a_crash_and_shows_it():
    r = tally("none", [(), (CRASH,)])
    assert not r.passed
    assert r.example["kind"] == "crash" and r.example["trial"] == 2
    assert r.first_detection is None  # a crash is an outcome, not an anomaly


def test_canary_passes_when_its_anomaly_shows():
    r = tally("lost_update", [(), (), (LOST,)])
    assert r.passed and r.detected
    assert r.first_detection == 3


def test_canary_fails_when_its_anomaly_never_shows():
    r = tally("lost_update", [(), ()])
    assert not r.passed and not r.detected
    assert r.first_detection is None


def test_canary_with_only_the_other_anomaly_fails():
    r = tally("lost_update", [(TORN,), ()])
    assert not r.passed
    assert r.first_detection is None


@pytest.mark.parametrize("bad", [CRASH, HANG], ids=["crash", "hang"])
def test_canary_with_a_crash_or_hang_fails_even_when_detected(bad):
    r = tally("lost_update", [(bad,), (LOST,), (LOST,)])
    assert r.detected and not r.passed
    assert r.first_detection == 2  # the first trial that showed the canary's anomaly
    assert r.example["kind"] == bad.kind and r.example["trial"] == 1  # the example explains the failure


def test_crash_after_detection_replaces_the_example():
    r = tally("lost_update", [(LOST,), (CRASH,)])
    assert not r.passed
    assert r.example["kind"] == "crash" and r.example["trial"] == 2
    assert r.first_detection == 1


@pytest.mark.parametrize("anomaly", [LOST, TORN], ids=["lost_update", "torn_read"])
def test_any_accepts_lost_update_or_torn_read(anomaly):
    r = tally("any", [(), (anomaly,)])
    assert r.passed and r.first_detection == 2


def test_any_does_not_accept_a_crash():
    r = tally("any", [(CRASH,), ()])
    assert not r.passed and not r.detected


def test_torn_read_canary_prefers_the_wanted_example():
    r = tally("torn_read", [(LOST, TORN)])
    assert r.passed
    assert r.example["kind"] == "torn_read"
    assert r.outcomes["lost_update"] == 1 and r.outcomes["torn_read"] == 1 and r.outcomes["ok"] == 0


def test_no_trials_or_an_error_never_passes():
    assert not result("none").passed
    r = tally("none", [()])
    r.error = "cannot import mod"
    assert not r.passed


def test_trial_kinds():
    assert TrialResult(1).kinds == ("ok",)
    assert TrialResult(1, (LOST, LOST, TORN)).kinds == ("lost_update", "torn_read")


def test_should_stop_only_for_canaries_that_saw_their_anomaly():
    canary = Tally(result("lost_update"))
    assert canary.should_stop(TrialResult(1, (LOST,)), True)
    assert not canary.should_stop(TrialResult(1, (LOST,)), False)
    assert not canary.should_stop(TrialResult(1, (TORN,)), True)
    safe = Tally(result("none"))
    assert not safe.should_stop(TrialResult(1, (LOST,)), True)
    assert Tally(result("any")).should_stop(TrialResult(1, (TORN,)), True)


# -- Tally: the index strip and the distinct final arrays (for the HTML report) -----------------------

def lost_at(*indices: int, size: int = 5) -> Anomaly:
    observed = [100] * size
    for i in indices:
        observed[i] = 97
    return Anomaly("lost_update", {"indices": list(indices), "expected": [100] * size, "observed": observed})


def test_index_strip_counts_trials_per_index_for_both_anomalies():
    r = result("none", trials=4)
    t = Tally(r, array_size=5)
    torn = Anomaly("torn_read", {**TORN.detail, "indices": [2, 3]})
    for n, anomalies in enumerate([(lost_at(1),), (lost_at(1, 4), torn), (), (torn,)], start=1):
        t.add(TrialResult(n, anomalies))
    assert r.index_counts == {"size": 5, "cell": 1, "lost_update": [0, 2, 0, 0, 1], "torn_read": [0, 0, 2, 2, 0]}


def test_index_strip_of_a_large_array_shares_cells_and_counts_a_trial_once_per_cell():
    r = result("none")
    t = Tally(r, array_size=10_000)
    t.add(TrialResult(1, (Anomaly("lost_update", {"indices": [0, 1, 49, 50, 9_999]}),)))
    counts = r.index_counts
    assert counts["cell"] == 50 and len(counts["lost_update"]) == 200  # at most MAX_CELLS cells
    assert counts["lost_update"][:2] == [1, 1] and counts["lost_update"][-1] == 1 and sum(counts["lost_update"]) == 3
    assert sum(counts["torn_read"]) == 0


def test_no_index_strip_without_an_array_size_or_named_indices():
    r = tally("none", [(LOST,), (TORN,)])  # built without a size; TORN names no index
    assert r.index_counts is None
    r = result("none")
    Tally(r, array_size=5).add(TrialResult(1, (TORN, CRASH)))
    assert r.index_counts is None


def test_distinct_final_arrays_are_counted_in_order_of_first_appearance():
    r = tally("none", [(lost_at(1),), (), (lost_at(3),), (lost_at(1),)])
    assert r.observed_finals == [{"observed": [100, 97, 100, 100, 100], "trials": 2, "first_trial": 1},
                                 {"observed": [100, 100, 100, 97, 100], "trials": 1, "first_trial": 3}]
    assert r.observed_finals_other == 0


def test_distinct_final_arrays_are_bounded_and_the_rest_counted_together():
    from harness.results import MAX_FINALS

    r = tally("none", [(lost_at(i, size=40),) for i in range(MAX_FINALS + 5)] + [(lost_at(0, size=40),)])
    assert len(r.observed_finals) == MAX_FINALS and r.observed_finals[0]["trials"] == 2
    assert r.observed_finals_other == 5


def test_a_long_final_array_is_kept_as_its_differing_values():
    r = tally("none", [(lost_at(70, size=100),),
                       (Anomaly("lost_update", {"indices": [1200], "expected": [1] * 1000, "observed": [1] * 1000,
                                                "truncated": True, "differences": {"1200": [1, 0]}}),)])
    assert [f.get("differences") for f in r.observed_finals] == [{"70": 97}, {"1200": 0}]
    assert "observed" not in r.observed_finals[0]


def test_a_final_array_is_listed_whole_up_to_its_limit_and_never_when_truncated():
    from harness.results import MAX_FINAL_VALUES

    n = MAX_FINAL_VALUES
    r = tally("none", [(lost_at(0, size=n),), (lost_at(n, size=n + 1),),
                       (Anomaly("lost_update", {"indices": [2], "observed": [5, 6, 7], "truncated": True,
                                                "differences": {"2": [1, 7]}}),)])
    assert r.observed_finals[0]["observed"] == [97] + [100] * (n - 1)  # exactly the limit: whole
    assert [f.get("differences") for f in r.observed_finals] == [None, {str(n): 97}, {"2": 7}]
    assert ["observed" in f for f in r.observed_finals] == [True, False, False]


def test_a_long_final_array_lists_only_the_named_indices_it_holds():
    long = [0] * 70
    r = tally("none", [(Anomaly("lost_update", {"indices": [3, 69, 70, 99], "observed": long}),),
                       (Anomaly("lost_update", {"observed": long + [1]}),)])
    assert [f["differences"] for f in r.observed_finals] == [{"3": 0, "69": 0}, {}]


def test_the_same_differences_in_another_order_are_one_final_array():
    r = tally("none", [(Anomaly("lost_update", {"indices": [5, 9], "truncated": True,
                                                "differences": {"5": [1, 0], "9": [1, 2]}}),),
                       (Anomaly("lost_update", {"indices": [5, 9], "truncated": True,
                                                "differences": {"9": [1, 2], "5": [1, 0]}}),)])
    assert [(f["differences"], f["trials"]) for f in r.observed_finals] == [({"5": 0, "9": 2}, 2)]


def test_index_strip_of_one_element_and_of_index_zero():
    r = result("none")
    Tally(r, array_size=1).add(TrialResult(1, (Anomaly("lost_update", {"indices": [0]}),)))
    assert r.index_counts == {"size": 1, "cell": 1, "lost_update": [1], "torn_read": [0]}
    r = result("none")
    Tally(r, array_size=5).add(TrialResult(1, (lost_at(0),)))
    assert r.index_counts["lost_update"] == [1, 0, 0, 0, 0]


def test_json_carries_the_strip_the_finals_and_the_description():
    r = result("none", trials=2)
    r.description = "two adders"
    t = Tally(r, array_size=5)
    t.add(TrialResult(1, (lost_at(1),)))
    t.add(TrialResult(2))
    entry = to_dict(RunReport(7, [r]))["scenarios"][0]
    assert entry["description"] == "two adders"
    assert entry["index_counts"]["lost_update"] == [0, 1, 0, 0, 0]
    assert entry["observed_finals"] == {"shown": [{"observed": [100, 97, 100, 100, 100], "trials": 1,
                                                   "first_trial": 1}], "other_trials": 0}
    clean = to_dict(RunReport(7, [tally("none", [()])]))["scenarios"][0]
    assert not {"description", "index_counts", "observed_finals"} & set(clean)


def test_an_interrupted_scenario_has_no_verdict_even_when_every_trial_was_ok():
    r = tally("none", [(), ()])
    assert r.passed
    r.interrupted = True
    assert not r.passed
    canary = tally("lost_update", [(LOST,)])
    canary.interrupted = True
    assert not canary.passed


def test_a_failed_trials_output_is_kept_with_its_example():
    r = result("none")
    Tally(r).add(TrialResult(1, (LOST,), output=((2, "printed\n"),)))
    assert r.output == [{"worker": 2, "text": "printed\n"}]


@pytest.mark.parametrize("bad", [CRASH, HANG], ids=["crash", "hang"])
def test_a_crash_or_hang_is_the_example_even_listed_after_the_wanted_anomaly(bad):
    r = tally("lost_update", [(LOST, bad)])
    assert r.example["kind"] == bad.kind


def test_a_hang_after_detection_replaces_the_example():
    r = tally("lost_update", [(LOST,), (HANG,)])
    assert r.example["kind"] == "hang" and r.example["trial"] == 2


def test_a_later_wanted_anomaly_replaces_an_unwanted_example():
    r = tally("torn_read", [(LOST,), (TORN,)])
    assert r.example["kind"] == "torn_read" and r.example["trial"] == 2


def test_the_first_example_of_a_kind_stays():
    assert tally("torn_read", [(TORN,), (TORN,)]).example["trial"] == 1
    assert tally("torn_read", [(TORN,), (LOST,)]).example["trial"] == 1
    assert tally("torn_read", [(LOST,), (LOST,)]).example["trial"] == 1
    assert tally("none", [(LOST,), (TORN,)]).example["trial"] == 1
    assert tally("lost_update", [(CRASH,), (HANG,)]).example["kind"] == "crash"


# -- console ------------------------------------------------------------------------------------------

def test_summary_line_of_a_pass():
    r = tally("none", [(), ()])
    line = summary_line(r)
    assert "\n" not in line
    assert line.startswith("PASS")
    assert "seed000-element-lock [fork] safe: 2/2 trials (ok=2); no anomaly" in line


@pytest.mark.parametrize("duration_s, shown", [(6.0, "0.33 trials/s"), (0.5, "4 trials/s"), (0.01, "200 trials/s")])
def test_summary_line_rate_of_slow_trials_is_not_rounded_to_zero(duration_s, shown):
    r = tally("none", [(), ()])
    r.duration_s = duration_s
    assert summary_line(r).endswith(f", {shown}")


def test_summary_line_of_a_failure_counts_outcomes():
    r = tally("none", [(), (LOST,), (TORN,)])
    line = summary_line(r)
    assert line.startswith("FAIL")
    assert "(ok=1 lost=1 torn=1)" in line and "first anomaly in trial 2" in line


def test_summary_line_of_a_canary_says_where_it_stopped_not_a_rate():
    line = summary_line(tally("lost_update", [(), (LOST,)]))
    assert "canary: lost_update found at trial 2 of at most 2 (ok=1 lost=1)" in line
    assert "2/2" not in line  # reads as a pass rate
    assert "canary: lost_update not seen in 1 of 1 trials (ok=1)" in summary_line(tally("lost_update", [()]))
    # run on past the first detection (--all-trials): how often, and where first
    line = summary_line(tally("any", [(), (LOST,), (TORN,)]))
    assert "canary: any in 2 of 3 trials, first at trial 2 (ok=1 lost=1 torn=1)" in line


def test_verdict_words():
    r = tally("none", [()])
    assert verdict_word(r) == "PASS"
    r.interrupted = True
    assert verdict_word(r) == "STOP"
    r2 = tally("none", [()])
    r2.error = "boom"
    assert verdict_word(r2) == "ERROR"


def test_an_interrupted_scenario_has_no_verdict_unless_its_trials_already_failed_it():
    clean = tally("none", [(), ()])
    clean.interrupted = True
    assert (clean.verdict, verdict_word(clean), clean.passed) == ("interrupted", "STOP", False)
    raced = tally("none", [(), (LOST,)])
    raced.interrupted = True
    assert (raced.verdict, verdict_word(raced)) == ("failed", "FAIL")
    canary = tally("lost_update", [(LOST,)])  # seen, but the trials left might still crash
    canary.interrupted = True
    assert canary.verdict == "interrupted"
    crashed = tally("lost_update", [(CRASH,)])
    crashed.interrupted = True
    assert crashed.verdict == "failed"


@pytest.mark.parametrize("expected, trials, words", [
    pytest.param("none", [(LOST,)] * 200, "lost_update in 200/200 trials", id="safe-lost-every-trial"),
    pytest.param("none", [(), (LOST, TORN), (CRASH,)], "lost_update in 1/3 trials, torn_read in 1/3 trials, "
                 "crash in 1/3 trials", id="safe-several"),
    pytest.param("torn_read", [(), ()], "torn_read not seen in 2 trials", id="canary-not-seen"),
    pytest.param("lost_update", [(HANG,), ()], "lost_update not seen in 2 trials, hang in 1/2 trials",
                 id="canary-hung"),
    pytest.param("none", [(), ()], "every one of 2 trials ok", id="passed"),
])
def test_failure_reason_says_what_happened_in_one_line(expected, trials, words):
    assert failure_reason(tally(expected, trials)) == words


def test_failure_reason_of_errors_interruptions_and_replays():
    r = result("none")
    r.error = "cannot import 'mod'\nTraceback ..."
    assert failure_reason(r) == "could not run: cannot import 'mod'"
    stopped = tally("none", [(), ()])
    stopped.interrupted, stopped.trials_planned = True, 50
    assert failure_reason(stopped) == "interrupted after 2 of 50 trials, every one ok"
    again = replayed("none", [(), (LOST,)])
    assert failure_reason(again) == "lost_update in 1/2 replays of trial 9"


def test_failures_table_lines_up_every_failure_and_nothing_else():
    ok, bad, err = tally("none", [()]), tally("none", [(LOST,)]), result("none", name="x", method="spawn")
    bad.name, err.error = "broken-one", "boom"
    stopped = tally("none", [()])
    stopped.interrupted = True
    table = failures_table([ok, bad, err, stopped])
    assert table.splitlines() == [
        "failures (2):",
        "  FAIL   broken-one [fork]  scenarios/seed000_element_lock.yaml  lost_update in 1/1 trials",
        "  ERROR  x [spawn]          scenarios/seed000_element_lock.yaml  could not run: boom",
    ]
    assert failures_table([ok, stopped]) == ""


def test_colour_only_when_asked():
    bad = tally("none", [(LOST,)])
    assert "\033[" not in summary_line(bad) + failure_text(bad) + failures_table([bad])
    assert summary_line(bad, colour=True).startswith("\033[1;31mFAIL \033[0m seed000-element-lock [fork]")
    assert failure_text(bad, colour=True).startswith("\033[1;31mFAIL\033[0m seed000-element-lock")
    assert "\033[1;31mFAIL\033[0m  seed000" in failures_table([bad], colour=True)
    footer = run_footer(RunReport(7, [bad, tally("none", [()])]), colour=True)
    assert footer == "\033[32m1 passed\033[0m, \033[1;31m1 failed\033[0m; run seed 7"
    assert run_footer(RunReport(7, [tally("none", [()])]), colour=True).startswith(
        "\033[32m1 passed\033[0m, 0 failed")


def test_failure_text_shows_expected_observed_and_rerun():
    r = tally("none", [(), (), (LOST,)])
    text = failure_text(r)
    assert text.startswith("FAIL seed000-element-lock [fork] (scenarios/seed000_element_lock.yaml)")
    assert "expected every trial ok" in text
    assert "trial 3: lost_update" in text
    assert "differing indices: 1" in text
    assert "expected: [100, 100, 100, 100, 100]" in text
    assert "observed: [100, 97, 100, 100, 100]" in text
    assert "rerun: harness run scenarios/seed000_element_lock.yaml --seed 7 --start-method fork --trial 3" in text


def test_failure_text_shows_the_torn_snapshot():
    r = tally("none", [(TORN,)])
    text = failure_text(r)
    assert "reader (worker 1) pass 4: snapshot breaks check 'uniform'" in text
    assert "snapshot: [3, 3, 2, 2]" in text
    assert "torn snapshots in this trial: 2" in text


def test_failure_text_of_a_sum_check_shows_both_sums():
    torn = Anomaly("torn_read", {"worker": 0, "group": "audit", "check": "sum", "pass": 1,
                                 "snapshot": [5, 4, 0], "torn_snapshots": 1, "expected_sum": 10})
    text = failure_text(tally("none", [(torn,)]))
    assert "expected sum: 10, snapshot sum: 9" in text


def test_failure_text_shows_crash_and_hang():
    text = failure_text(tally("none", [(CRASH,)]))
    assert "ZeroDivisionError: division by zero" in text
    text = failure_text(tally("none", [(HANG,)]))
    assert "not finished within 10.0 s (timeout_s); unfinished: adder[0]" in text


def test_failure_text_of_an_undetected_canary_says_so():
    r = tally("torn_read", [(), ()])
    text = failure_text(r)
    assert "expected torn_read in at least one trial (canary)" in text
    assert "not seen in 2 trials (2 ok)" in text
    assert "rerun: harness run scenarios/seed000_element_lock.yaml --seed 7 --start-method fork --trials 2" in text


def test_a_canary_whose_workers_crash_is_told_to_fix_that_not_to_add_trials():
    text = failure_text(tally("lost_update", [(CRASH,), (HANG,), ()]))
    assert "not seen in 3 trials: 1 crashed, 1 hung and 0 deadlocked (1 ok); fix the crash, hang or deadlock below first" in text
    assert "raise --trials" not in text
    assert "ZeroDivisionError: division by zero" in text


def test_failure_text_of_an_unrunnable_scenario():
    r = result("none")
    r.error = "cannot import 'mod'"
    r.rerun = rerun_command(r)
    assert "could not run: cannot import 'mod'" in failure_text(r)
    # no trial ran: neither a count of trials that did not happen nor a rerun that only repeats it
    assert "rerun:" not in failure_text(r)
    canary = result("lost_update")
    canary.error = r.error
    assert summary_line(canary).endswith("canary: could not run, no trial ran")
    assert "not seen" not in summary_line(canary) and "not seen" not in failure_text(canary)


def test_rerun_command_quotes_paths():
    r = result("none", file="my scenarios/a b.yaml")
    assert rerun_command(r) == "harness run 'my scenarios/a b.yaml' --seed 7 --start-method fork --trials 200 --inject random"


def replayed(expected: str, trials: list[tuple], of: int = 9, planned: int = 20) -> ScenarioResult:
    """Trial ``of`` replayed once per tuple of anomalies."""
    r = result(expected, trials=planned)
    r.replayed_trial = of
    t = Tally(r)
    for anomalies in trials:
        t.add(TrialResult(of, tuple(anomalies)))
    r.rerun = rerun_command(r)
    return r


def test_a_replay_says_which_trial_and_when_it_failed_again():
    r = replayed("none", [(), (), (LOST,)])
    assert summary_line(r).startswith("FAIL  seed000-element-lock [fork] safe: trial 9 replayed 3/20 times "
                                      "(ok=2 lost=1); an anomaly again in replay 3")
    assert r.rerun.endswith("--start-method fork --trial 9 --inject random")
    counted = replayed("none", [(), (LOST,), (), (TORN,)], planned=4)  # --all-trials: every replay runs
    assert "trial 9 replayed 4/4 times (ok=2 lost=1 torn=1); an anomaly in 2 of 4 replays" in summary_line(counted)
    clean = replayed("none", [()] * 20)
    assert "trial 9 replayed 20/20 times (ok=20); no anomaly in any replay" in summary_line(clean)
    # a clean replay still reruns that trial, the same number of times
    assert clean.rerun.endswith("--start-method fork --trial 9 --trials 20 --inject random")
    assert to_dict(RunReport(7, [clean]))["scenarios"][0]["replayed_trial"] == 9
    assert "replayed_trial" not in to_dict(RunReport(7, [tally("none", [()])]))["scenarios"][0]


def test_a_trial_to_rerun_is_replayed_20_times_unless_trials_says():
    from harness.settings import REPLAYS, RunOptions, resolve

    s = load_text("array: {typecode: i, size: 2}\nworkers: [{name: a, op: add}]\nrun: {trials: 500}\n", "f.yaml")
    def settings(options):
        (job,) = resolve([s], options, default_method="fork").jobs
        return job.settings

    plain = settings(RunOptions())
    assert (plain.first_trial, plain.trials, plain.replay) == (1, 500, False)
    again = settings(RunOptions(trial=42))
    assert (again.first_trial, again.trials, again.replay) == (42, REPLAYS, True) and REPLAYS == 20
    once = settings(RunOptions(trial=42, trials=1))
    assert (once.first_trial, once.trials, once.replay) == (42, 1, True)


def test_run_footer():
    report = RunReport(7, [tally("none", [()]), tally("none", [(LOST,)])])
    assert run_footer(report) == "1 passed, 1 failed; run seed 7"
    report.interrupted = True
    assert run_footer(report) == "1 passed, 1 failed (interrupted); run seed 7"  # between two scenarios
    stopped = tally("none", [()])
    stopped.interrupted = True
    report.results.append(stopped)  # interrupted with every trial clean: not a failure
    assert run_footer(report) == "1 passed, 1 failed, 1 interrupted; run seed 7"


# -- JSON (docs/scenario-format.md section 4) ----------------------------------------------------------

CONTRACT_EXAMPLE = {
    "version": 1, "seed": 7, "passed": False,
    "scenarios": [
        {"name": "seed000-element-lock", "file": "scenarios/seed000_element_lock.yaml",
         "start_method": "fork", "expected_anomaly": "none", "passed": False,
         "trials_run": 200,
         "outcomes": {"ok": 190, "lost_update": 10, "torn_read": 0, "crash": 0, "hang": 0, "deadlock": 0,
                      "uncontrolled": 0},
         "first_detection": 3,
         "example": {"trial": 3, "kind": "lost_update", "expected": [100, 100, 100, 100, 100],
                     "observed": [100, 97, 100, 100, 100]}}],
}
ENTRY_KEYS = ("name", "file", "start_method", "expected_anomaly", "passed", "trials_run", "outcomes",
              "first_detection", "example")


def contract_run() -> RunReport:
    trials = [()] * 200
    for n in (3, 10, 20, 30, 40, 50, 60, 70, 80, 90):
        trials[n - 1] = (LOST,)
    return RunReport(7, [tally("none", trials)])


def test_json_report_matches_the_contract_example():
    doc = json.loads(to_json(contract_run()))
    assert set(CONTRACT_EXAMPLE) <= set(doc)
    assert {k: doc[k] for k in ("version", "seed", "passed")} == {"version": 1, "seed": 7, "passed": False}
    assert "interrupted" not in doc
    (entry,) = doc["scenarios"]
    want = CONTRACT_EXAMPLE["scenarios"][0]
    assert {k: entry[k] for k in ENTRY_KEYS if k != "example"} == {k: want[k] for k in ENTRY_KEYS if k != "example"}
    assert {k: entry["example"][k] for k in want["example"]} == want["example"]
    assert list(entry["outcomes"]) == list(KINDS)


def test_json_field_types():
    doc = to_dict(contract_run())
    assert type(doc["version"]) is int and type(doc["seed"]) is int and type(doc["passed"]) is bool
    entry = doc["scenarios"][0]
    for key in ("name", "file", "start_method", "expected_anomaly"):
        assert type(entry[key]) is str
    assert type(entry["passed"]) is bool and type(entry["trials_run"]) is int
    assert all(type(v) is int for v in entry["outcomes"].values())


def test_json_is_strict_even_when_a_float_array_overflowed():
    overflow = Anomaly("lost_update", {"indices": [0, 1], "expected": [1.0, float("-inf")],
                                       "observed": [float("inf"), float("nan")]})
    r = tally("none", [(overflow,)])
    text = to_json(RunReport(7, [r]))

    def refuse(word):
        raise ValueError(f"not strict JSON: {word}")

    example = json.loads(text, parse_constant=refuse)["scenarios"][0]["example"]
    assert example["expected"] == [1.0, "-inf"] and example["observed"] == ["inf", "nan"]


def test_json_passing_entry_has_null_first_detection_and_no_example():
    doc = json.loads(to_json(RunReport(11, [tally("none", [(), ()])])))
    assert doc["passed"] is True
    (entry,) = doc["scenarios"]
    assert entry["first_detection"] is None
    assert "example" not in entry
    assert entry["passed"] is True and entry["trials_run"] == 2


def test_json_has_one_entry_per_scenario_and_start_method():
    a = tally("none", [()])
    b = tally("none", [()])
    b.start_method = "spawn"
    doc = to_dict(RunReport(1, [a, b]))
    assert [(e["name"], e["start_method"]) for e in doc["scenarios"]] == [
        ("seed000-element-lock", "fork"), ("seed000-element-lock", "spawn")]


def test_json_of_an_interrupted_run():
    r = tally("none", [(), ()])
    r.interrupted = True
    doc = json.loads(to_json(RunReport(5, [r], interrupted=True)))
    assert doc["interrupted"] is True
    assert doc["passed"] is False
    assert doc["scenarios"][0]["trials_run"] == 2
    assert doc["scenarios"][0]["interrupted"] is True


def test_json_of_an_empty_interrupted_run():
    doc = json.loads(to_json(RunReport(5, [], interrupted=True)))
    assert doc == {"version": 1, "seed": 5, "passed": False, "scenarios": [], "interrupted": True}


# -- JUnit XML ------------------------------------------------------------------------------------------

def test_junit_counts_and_cases():
    ok = tally("none", [()])
    bad = tally("none", [(LOST,)])
    bad.name = "broken"
    err = result("none", name="unrunnable")
    err.error = "cannot import 'mod' <&>"
    stop = tally("none", [()])
    stop.name, stop.interrupted = "stopped", True
    root = ET.fromstring(to_junit(RunReport(9, [ok, bad, err, stop], interrupted=True)))
    assert root.tag == "testsuite"
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == ("4", "1", "1", "1")
    assert root.find("properties/property").get("value") == "9"
    cases = root.findall("testcase")
    assert [c.get("name") for c in cases] == ["seed000-element-lock[fork]", "broken[fork]", "unrunnable[fork]",
                                              "stopped[fork]"]
    assert cases[0].find("failure") is None and cases[0].find("error") is None
    failure = cases[1].find("failure")
    assert failure is not None
    assert "observed: [100, 97, 100, 100, 100]" in failure.text
    assert "rerun: harness run" in failure.text
    assert failure.get("message") == "lost_update in 1/1 trials"
    assert cases[2].find("error").get("message") == "cannot import 'mod' <&>"
    assert cases[3].find("skipped").get("message") == "interrupted after 1 of 1 trials, every one ok"
    assert {c.get("classname") for c in cases} == {"scenarios.seed000_element_lock"}
    assert {c.get("file") for c in cases} == {"scenarios/seed000_element_lock.yaml"}


def test_junit_counts_an_interrupted_scenario_that_had_already_failed_as_a_failure():
    raced = tally("none", [(), (LOST,)])
    raced.interrupted = True
    root = ET.fromstring(to_junit(RunReport(9, [raced], interrupted=True)))
    assert (root.get("failures"), root.get("skipped")) == ("1", "0")
    assert root.find("testcase/failure").get("message") == "lost_update in 1/2 trials"


@pytest.mark.parametrize("file, name", [
    ("scenarios/seed000_x.yaml", "scenarios.seed000_x"),
    ("./ci/races/v1.2/a.b.yml", "ci.races.v1_2.a_b"),
    ("../up/s.yaml", "__.up.s"),
    ("/abs/s.yaml", "abs.s"),
    ("s.yaml", "s"),
    ("noext", "noext"),
])
def test_junit_classname_keeps_dots_for_folders_only(file, name):
    assert classname(file) == name


def test_junit_survives_control_characters_in_output():
    r = tally("none", [(CRASH,)])
    r.output = [{"worker": 0, "text": "bell \x07 and nul \x00 here"}]
    root = ET.fromstring(to_junit(RunReport(1, [r])))
    text = root.find("testcase/failure").text
    assert "\\x07" in text and "\\x00" in text


# -- detectors ------------------------------------------------------------------------------------------

def plan_for(text: str):
    return make_plan(load_text(text, "d.yaml"))


ADD_PLAN = "array: {typecode: i, size: 3}\nworkers: [{name: a, op: add, count: 2, loops: 5}]\n"


def test_lost_update_detector():
    plan = plan_for(ADD_PLAN)
    d = LostUpdate()
    assert d.kind == "lost_update"
    assert d.detect(plan, [10, 10, 10], []) is None
    a = d.detect(plan, [10, 9, 10], [])
    assert a.kind == "lost_update"
    assert a.detail == {"indices": [1], "expected": [10, 10, 10], "observed": [10, 9, 10]}


def test_lost_update_detector_ignores_unchecked_and_accepts_alternatives():
    # index 2 is written by user code (a call worker), so no index is checked...
    unchecked = plan_for("array: {typecode: i, size: 3}\nworkers:\n  - {name: s, op: set, value: 1}\n"
                         "  - {name: c, op: call, call: 'm:f', range: [2, 3]}\n")
    assert LostUpdate().detect(unchecked, [7, 8, 9], []) is None
    # ...while competing sets accept either value
    plan = plan_for("array: {typecode: i, size: 3}\nworkers:\n  - {name: s, op: set, value: 1}\n"
                    "  - {name: t, op: set, value: 2}\n")
    d = LostUpdate()
    assert d.detect(plan, [1, 2, 2], []) is None
    a = d.detect(plan, [3, 2, 0], [])
    assert a.detail["indices"] == [0, 2]
    assert a.detail["expected"] == [[1, 2], [1, 2], [1, 2]]


def test_lost_update_detector_on_a_huge_array_keeps_lists_and_lists_differences():
    plan = plan_for("array: {typecode: B, size: 1500}\nworkers: [{name: a, op: add}]\n")
    final = [1] * 1500
    final[1200] = 0
    a = LostUpdate().detect(plan, final, [])
    assert a.detail["indices"] == [1200]
    assert a.detail["expected"] == [1] * 1000 and a.detail["observed"] == [1] * 1000
    assert a.detail["truncated"] is True and a.detail["differences"] == {"1200": [1, 0]}


SNAP_PLAN = ("array: {typecode: i, init: [1, 2, 3, 4]}\nworkers:\n  - {name: w, op: transfer, count: 2}\n"
             "  - {name: r, op: snapshot, check: sum, count: 2}\n")


def test_torn_read_detector_quiet_without_torn_reports():
    plan = plan_for(SNAP_PLAN)
    reports = [TrialReport(1, w, snapshots=3) for w in range(4)]
    assert TornReadDetector().detect(plan, [1, 2, 3, 4], reports) is None


def test_torn_read_detector_reports_the_lowest_worker_and_counts_all():
    plan = plan_for(SNAP_PLAN)
    t3 = TornRead(3, "r", 2, "sum", (1, 2, 3, 5))
    t2 = TornRead(2, "r", 4, "sum", (0, 2, 3, 4), where="")
    reports = [TrialReport(1, 0), TrialReport(1, 1), TrialReport(1, 3, torn=t3, torn_count=1),
               TrialReport(1, 2, torn=t2, torn_count=3)]
    a = TornReadDetector().detect(plan, [1, 2, 3, 4], reports)
    assert a.kind == "torn_read"
    assert a.detail == {"worker": 2, "group": "r", "check": "sum", "pass": 4, "snapshot": [0, 2, 3, 4],
                        "snapshot_length": 4, "torn_snapshots": 4, "expected_sum": 10, "snapshot_sum": 9}


def test_torn_read_detector_keeps_previous_and_where():
    plan = plan_for("array: {typecode: i, size: 2}\nworkers:\n  - {name: w, op: stamp}\n"
                    "  - {name: r, op: snapshot, check: monotonic}\n")
    torn = TornRead(1, "r", 3, "monotonic", (1, 0), previous=(1, 1), where="user.py:12")
    a = TornReadDetector().detect(plan, [1, 1], [TrialReport(1, 0), TrialReport(1, 1, torn=torn, torn_count=1)])
    assert a.detail["previous"] == [1, 1] and a.detail["where"] == "user.py:12"
    assert "expected_sum" not in a.detail


@pytest.mark.parametrize("check, snapshot, previous, indices", [
    ("uniform", (3, 3, 2, 3), None, [4]),  # the odd one out, offset by the reader's range
    ("uniform", (3, 3, 2, 2), None, [4, 5]),  # a tie: the value read first is the common one
    ("monotonic", (1, 0, 5, 5), (1, 1, 1, 6), [3, 5]),
    ("sum", (1, 0, 5, 5), None, None),  # a sum names no index
])
def test_torn_read_detector_names_the_indices_that_tore(check, snapshot, previous, indices):
    plan = plan_for("array: {typecode: i, size: 6}\nworkers:\n  - {name: w, op: add}\n"
                    f"  - {{name: r, op: snapshot, check: {check}, range: [2, 6]}}\n")
    torn = TornRead(1, "r", 1, check, snapshot, previous=previous)
    a = TornReadDetector().detect(plan, [1] * 6, [TrialReport(1, 1, torn=torn, torn_count=1)])
    assert a.detail.get("indices") == indices


def test_torn_read_detector_names_no_index_for_user_code():
    plan = plan_for(SNAP_PLAN)
    torn = TornRead(2, "r", 1, "uniform", (1, 2), unit="read")
    a = TornReadDetector().detect(plan, [1, 2, 3, 4], [TrialReport(1, 2, torn=torn, torn_count=1)])
    assert "indices" not in a.detail


def test_detect_all_runs_every_detector():
    plan = plan_for(SNAP_PLAN)
    torn = TornRead(2, "r", 1, "sum", (9, 9, 9, 9))
    found = detect_all(plan, [0, 0, 0, 0], [TrialReport(1, 2, torn=torn, torn_count=1)])
    assert [a.kind for a in found] == ["lost_update", "torn_read"]
    assert detect_all(plan, [1, 2, 3, 4], []) == []
    assert {d.kind for d in DETECTORS} == {"lost_update", "torn_read"}


# -- snapshot checks ----------------------------------------------------------------------------------

def test_checks_registry():
    assert CHECKS == {"uniform": uniform, "sum": sum_kept, "monotonic": monotonic}


@pytest.mark.parametrize("snapshot, ok", [
    ([], True), ([5], True), ([2, 2, 2], True), ([2, 2, 3], False), ([1.5, 1.5], True), ([0, -0.0], True),
])
def test_uniform(snapshot, ok):
    assert uniform(snapshot, None, None, "i") is ok


@pytest.mark.parametrize("snapshot, expected_sum, typecode, ok", [
    ([1, 2, 3], 6, "i", True),
    ([1, 2, 4], 6, "i", False),
    ([255, 1], 0, "B", True),        # 256 wraps to 0 in an unsigned byte
    ([255, 2], 0, "B", False),
    ([200, 100], 44, "B", True),      # 300 = 44 (mod 256)
    ([127, 1], -128, "b", True),      # 128 = -128 (mod 256)
    ([2**31 - 1, 1], -(2**31), "i", True),
    ([2**31 - 1, 1], 2**31, "i", True),
    ([0.1, 0.2], 0.30000000000000004, "d", True),
    ([0.1, 0.2], 0.3, "d", True),     # float sums compare with a tolerance
    ([0.1, 0.2], 0.31, "d", False),
    ([1.0, 2.0], 3.0, "f", True),
])
def test_sum(snapshot, expected_sum, typecode, ok):
    assert sum_kept(snapshot, None, expected_sum, typecode) is ok


@pytest.mark.parametrize("snapshot, previous, ok", [
    ([1, 2], None, True),             # the first snapshot of a trial
    ([1, 2], [1, 2], True),
    ([2, 3], [1, 2], True),
    ([1, 1], [1, 2], False),
    ([0, 5], [1, 2], False),
    ([5], [1, 2], True),              # a different shape is not compared
])
def test_monotonic(snapshot, previous, ok):
    assert monotonic(snapshot, previous, None, "i") is ok


def test_float_sum_check_sees_one_missing_transfer_in_a_large_array():
    from harness.checks import sum_kept

    plan = plan_for("array: {typecode: d, init: [" + ", ".join(["10.0"] * 300) + "]}\nworkers:\n"
                    "  - {name: t, op: transfer, value: 1.0}\n  - {name: r, op: snapshot, check: sum}\n")
    reader = plan.processes[1]
    assert reader.check_tolerance == 0.25
    torn = [10.0] * 299 + [9.0]
    assert not sum_kept(torn, None, reader.check_sum, "d", reader.check_tolerance)
    assert sum_kept([10.0] * 300, None, reader.check_sum, "d", reader.check_tolerance)
    # without a transfer to scale by, rounding alone is allowed: a few ulps per value
    assert sum_kept([0.1] * 10, None, 1.0, "d") and not sum_kept([0.1] * 9 + [0.2], None, 1.0, "d")


def test_rerun_command_says_no_inject_when_injection_was_off():
    from harness.api import rerun_command

    r = ScenarioResult("n", "a b.yaml", "spawn", "none", 5, 10, injected=False)
    assert rerun_command(r) == "harness run 'a b.yaml' --seed 5 --start-method spawn --trials 10 --no-inject"
    r.example = {"trial": 3, "kind": "crash"}
    r.injected = True
    assert rerun_command(r) == "harness run 'a b.yaml' --seed 5 --start-method spawn --trial 3 --inject random"


def test_a_crash_every_trial_alike_stops_the_scenario_after_a_few():
    from harness.results import SAME_CRASH_STOP

    def stops(trials, stop_on_detection=True, expected="none"):
        r = result(expected, trials=200)
        t = Tally(r)
        for n, anomalies in enumerate(trials, start=1):
            t.add(TrialResult(n, tuple(anomalies)))
            if t.should_stop(TrialResult(n, tuple(anomalies)), stop_on_detection):
                return n, r
        return None, r

    n, r = stops([(CRASH,)] * 50)
    assert n == SAME_CRASH_STOP == 10 and r.same_crash
    assert "stopped after 10 trials: each crashed the same way" in failure_text(r)
    assert to_dict(RunReport(7, [r]))["scenarios"][0]["stopped"] == "same_crash"
    assert stops([(CRASH,)] * 50, expected="lost_update")[0] == 10  # a canary that only crashes, too
    other = Anomaly("crash", {**CRASH.detail, "worker": 1})  # another worker: not the same crash
    assert stops([(CRASH,)] * 5 + [(other,)] + [(CRASH,)] * 40)[0] is None
    assert stops([()] + [(CRASH,)] * 40)[0] is None  # a clean trial: the crash depends on something
    assert stops([(CRASH,)] * 50, stop_on_detection=False)[0] is None  # --all-trials runs them all
