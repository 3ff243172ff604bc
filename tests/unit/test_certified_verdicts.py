"""Certificates on safe verdicts, and the inconclusive verdict of an exhaustive search that
did not cover everything: the rules, and what every reporter says. Hand-built results."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from harness.api import RunReport
from harness.controlled import certificate_of
from harness.messages import TimingSpec
from harness.report.console import failure_reason, failures_table, result_lines, run_footer, verdict_word
from harness.report.html import to_html
from harness.report.json_report import to_json
from harness.report.junit import to_junit
from harness.results import Anomaly, ScenarioResult, Tally, TrialResult
from harness.search import certificate
from harness.settings import ScenarioSettings

LOST = Anomaly("lost_update", {"indices": [0], "expected": [2], "observed": [1]})


def clean(expected="none", trials=3, cert=None) -> ScenarioResult:
    r = ScenarioResult("small", "small.yaml", "fork", expected, 7, 500, inject="controlled", strategy="exhaustive")
    tally = Tally(r)
    for n in range(1, trials + 1):
        tally.add(TrialResult(n, ()))
    r.certificate = cert
    return r


VERIFIED = certificate.exhaustive(78, 70, True)
CUT = certificate.exhaustive(500, 480, False)


def test_a_complete_exhaustive_search_passes_and_an_incomplete_one_is_inconclusive():
    assert clean(cert=VERIFIED).verdict == "passed" and clean(cert=VERIFIED).passed
    cut = clean(cert=CUT)
    assert cut.verdict == "inconclusive" and not cut.passed and verdict_word(cut) == "INCONCLUSIVE"
    assert failure_reason(cut) == CUT["text"]
    # interrupted or failed first: those verdicts stand
    cut.interrupted = True
    assert cut.verdict == "interrupted"
    sampled = clean(cert=certificate.sampled("random", 3))
    assert sampled.verdict == "passed"  # a sampling search never claimed to cover everything


def test_the_console_prints_the_certificate_under_the_summary_and_counts_inconclusive():
    lines = result_lines(clean(cert=VERIFIED)).splitlines()
    assert lines[0].startswith("PASS  small [fork] safe:") and lines[1] == f"  certificate: {VERIFIED['text']}"
    assert len(result_lines(clean())) and "\n" not in result_lines(clean())
    report = RunReport(7, [clean(cert=VERIFIED), clean(cert=CUT)])
    assert run_footer(report).startswith("1 passed, 0 failed, 1 inconclusive")
    assert "INCONCLUSIVE" in failures_table(report.results) and not report.passed


def test_json_junit_and_html_carry_the_certificate_and_the_verdict():
    report = RunReport(7, [clean(cert=VERIFIED), clean(cert=CUT)])
    entries = json.loads(to_json(report))["scenarios"]
    assert entries[0]["certificate"] == VERIFIED and entries[0]["verdict"] == "passed"
    assert entries[1]["certificate"]["complete"] is False and entries[1]["verdict"] == "inconclusive"
    suite = ET.fromstring(to_junit(report))
    assert suite.get("failures") == "1"
    cases = suite.findall("testcase")
    assert cases[0].find("failure") is None and VERIFIED["text"] in cases[0].find("system-out").text
    assert cases[1].find("failure").get("message") == CUT["text"]
    html = to_html(report, command="harness run small.yaml")
    assert "v-inconclusive" in html and "1 inconclusive" in html and "verified: all 70 distinct" in html


def settings(policy="controlled", replay=False) -> ScenarioSettings:
    return ScenarioSettings("fork", 5, 7, 1, 10.0, True, TimingSpec(policy), replay)


class Search:
    def certificate(self, trials):
        return {"kind": "directed", "trials": trials, "text": "t"}


def test_which_results_get_a_certificate():
    assert certificate_of(clean(), settings(), Search()) == {"kind": "directed", "trials": 3, "text": "t"}
    assert certificate_of(clean(), settings("random"), None)["kind"] == "timing"
    assert certificate_of(clean(), settings("none"), None)["kind"] == "free"
    assert certificate_of(clean("lost_update"), settings(), Search()) is None  # a canary: its first detection
    assert certificate_of(clean(), settings(replay=True), Search()) is None  # one trial again and again
    failed = clean()
    Tally(failed).add(TrialResult(4, (LOST,)))
    assert certificate_of(failed, settings(), Search()) is None
    errored = clean(trials=0)
    errored.error = "could not start"
    assert certificate_of(errored, settings(), Search()) is None


def test_an_interrupted_exhaustive_search_says_so_in_its_certificate():
    from harness.search import certificate

    class Cut:
        def certificate(self, trials):
            return certificate.exhaustive(trials, trials, False)

    stopped = clean()
    stopped.interrupted = True
    assert "the run was interrupted before all were" in certificate_of(stopped, settings(), Cut())["text"]
    assert "the budget ran out" in certificate_of(clean(), settings(), Cut())["text"]


def test_a_canary_found_under_control_says_how_to_replay_its_race():
    from harness.api import rerun_command

    r = clean("lost_update", trials=0)
    trace = [{"step": 2, "process": "w[0]", "thread": 0, "op": "read", "index": 0, "value": 0, "mark": "stale-read"}]
    Tally(r).add(TrialResult(2, (LOST,), schedule={"replay": "s1.abc", "trace": trace}))
    r.rerun = rerun_command(r)
    lines = result_lines(r).splitlines()
    assert lines[0].startswith("PASS  small [fork] canary: lost_update found at trial 2")
    assert lines[1] == "  its race, replayed with its trace: harness run small.yaml --start-method fork --replay s1.abc"
    r.replayed_trial = 2  # the replay itself: the race and its trace
    replayed = result_lines(r)
    assert "trial 2: lost_update" in replayed and "#2  w[0]  read  a[0] = 0" in replayed
