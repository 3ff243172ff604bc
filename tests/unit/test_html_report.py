"""The HTML report's content, on hand-built results, without a browser (tests/integration has the
browser test)."""

from __future__ import annotations

import html
import re

from harness.api import RunReport, rerun_command
from harness.load import load_all
from harness.report import html as report_html
from harness.report.html import document_html, failures_first, replay_command, to_html, verdict
from harness.report.json_report import to_dict
from harness.results import Anomaly, ScenarioResult, Tally, TrialResult

COMMAND = "harness run scenarios/ --seed 7 --html 'out dir/r.html'"


def scenario(name: str, expected: str = "none", *, method: str = "fork", size: int = 5, trials: list = (),
             planned: int = 200) -> ScenarioResult:
    r = ScenarioResult(name, f"scenarios/{name}.yaml", method, expected, 7, planned)
    t = Tally(r, size)
    for n, anomalies in enumerate(trials, start=1):
        t.add(TrialResult(n, tuple(anomalies)))
    r.rerun = rerun_command(r)
    return r


def lost(*indices: int, size: int = 5) -> Anomaly:
    observed = [100] * size
    for i in indices:
        observed[i] = 97
    return Anomaly("lost_update", {"indices": list(indices), "expected": [100] * size, "observed": observed})


def page_of(*results: ScenarioResult, interrupted: bool = False, **changes) -> str:
    """The page; ``changes`` maps a scenario name to fields added to its JSON entry (what the
    controlled scheduler will add: a certificate, say)."""
    doc = to_dict(RunReport(7, list(results), interrupted))
    for entry in doc["scenarios"]:
        entry.update(changes.get(entry["name"], {}))
    return document_html(doc, command=COMMAND, duration_s=12.5)


def section(page: str, name: str) -> str:
    """The markup of the section of the scenario called ``name``."""
    start = page.index(f"{html.escape(name)} <span class=\"method\">")
    return page[page.rindex("<section", 0, start):page.index("</section>", start)]


def test_the_page_loads_nothing_from_anywhere(controlled_lost_update):
    r = scenario("safe-one", trials=[()] * 3)
    bad = scenario("raced", trials=[(lost(1),)])
    bad.example = controlled_lost_update
    page = page_of(r, bad)
    assert page.startswith("<!DOCTYPE html>")
    assert "http://" not in page and "https://" not in page and "//" not in re.sub(r"<script>.*?</script>", "",
                                                                                    page, flags=re.S)
    assert not re.search(r"<(link|img|iframe|object|embed)\b", page) and " src=" not in page
    assert all(href.startswith("#") for href in re.findall(r'href="([^"]*)"', page))
    assert "Content-Security-Policy\" content=\"default-src 'none'" in page
    assert "@import" not in page and "url(" not in page


def test_everything_from_the_run_is_escaped():
    nasty = "<script>alert('x')</script>&amp;\""
    r = scenario(nasty, trials=[(Anomaly("crash", {"worker": 0, "group": "<g>", "error": "</pre><b>boom</b>"}),)])
    r.output = [{"worker": 0, "text": "<img src=x onerror=alert(1)>\n"}]
    page = page_of(r)
    assert "<script>alert" not in page and "<img src" not in page and "<b>boom" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&amp;amp;&quot;" in page
    assert "&lt;/pre&gt;&lt;b&gt;boom&lt;/b&gt;" in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert page.count("<script>") == 1  # the page's own


def test_summary_says_verdicts_seed_duration_and_the_command_line():
    page = page_of(scenario("fine", trials=[()] * 2), scenario("raced", trials=[(lost(1),)]),
                   scenario("fine", method="spawn", trials=[()]))
    assert "<title>harness FAILED: 1 of 3 not passed, seed 7</title>" in page
    assert "1 failed, 2 passed" in page
    assert "<dt>seed</dt><dd>7</dd>" in page and "<dt>duration</dt><dd>12.5 s</dd>" in page
    assert "harness run scenarios/ --seed 7 --html &#x27;out dir/r.html&#x27;</code>" in page
    summary = page[page.index('id="summary"'):page.index("</table>", page.index('id="summary"'))]
    assert summary.index("raced") < summary.index("fine")  # failures first
    assert re.findall(r'<th scope="col">(fork|spawn)</th>', summary) == ["fork", "spawn"]
    assert summary.count("not run") == 1  # raced under spawn


def test_failures_come_first_then_stopped_then_passed_in_run_order():
    entries = [{"name": "a", "passed": True}, {"name": "b", "passed": False}, {"name": "c", "interrupted": True},
               {"name": "d", "passed": False, "error": "x"}, {"name": "e", "passed": True}]
    assert [(sid, e["name"]) for sid, e in failures_first(entries)] == [
        ("r2", "b"), ("r4", "d"), ("r3", "c"), ("r1", "a"), ("r5", "e")]
    assert [verdict(e) for e in entries] == ["PASS", "FAIL", "STOP", "ERROR", "PASS"]


def test_a_failing_section_is_open_and_a_passing_one_closed():
    page = page_of(scenario("fine", trials=[()]), scenario("raced", trials=[(lost(1),)]))
    assert "<details open><summary>" in section(page, "raced")
    assert "<details><summary>" in section(page, "fine")
    assert page.index('id="r2"') < page.index('id="r1"')


def test_outcome_table_of_a_safe_scenario_lists_each_distinct_final_array():
    r = scenario("raced", trials=[(lost(1),), (), (lost(3),), (lost(1),)])
    part = section(page_of(r), "raced")
    rows = re.findall(r'<tr class="o-(\w+)"><td>(.*?)</td><td class="num">([\d,]+)</td>', part)
    assert [(cls, count) for cls, _, count in rows] == [("ok", "1"), ("bad", "2"), ("bad", "1")]
    assert "[100, <mark>97</mark>, 100, 100, 100]" in rows[1][1] and "first in trial 1" in rows[1][1]
    assert part.count("forbidden") == 2 and "(expected final: <code class=\"arr\">[100, 100, 100, 100, 100]" in part


def test_many_final_arrays_show_the_most_frequent_and_fold_the_rest():
    trials = [(lost(n % 5),) for n in range(7)] + [(lost(0, 1),)] * 3
    part = section(page_of(scenario("raced", trials=trials)), "raced")
    rows = re.findall(r'<tr class="o-bad( fold)?"><td>lost update, final <code class="arr">(.*?)</code>.*?'
                      r'<td class="num">(\d+)</td>', part)
    assert [(fold, count) for fold, _, count in rows] == [("", "3"), ("", "2"), ("", "2"), ("", "1"), ("", "1"),
                                                          (" fold", "1")]
    assert rows[0][1] == "[<mark>97</mark>, <mark>97</mark>, 100, 100, 100]"
    assert ('<button type="button" class="js-only unfold" data-unfold="r1-outcomes" aria-expanded="false">'
            "Show 1 more final arrays</button>") in part


def test_outcome_table_of_a_canary_marks_its_race_sought():
    found = section(page_of(scenario("canary", "lost_update", trials=[(), (lost(0),)])), "canary")
    assert "acceptable, sought" in found and "forbidden" not in found
    missed = section(page_of(scenario("canary", "torn_read", trials=[(), ()])), "canary")
    assert "sought, not seen" in missed and "The canary's race was not seen in 2 trials" in missed
    other = section(page_of(scenario("canary", "torn_read", trials=[(lost(0),)])), "canary")
    assert "acceptable, not sought" in other
    crashed = section(page_of(scenario("canary", "torn_read", trials=[(Anomaly("crash", {"error": "E"}),)])), "canary")
    assert "not seen in 1 trials, 1 of which crashed, hung or deadlocked: fix that first" in crashed


def test_deadlock_and_uncontrolled_outcomes():
    r = scenario("locks", trials=[()])
    r.outcomes.update(deadlock=1, uncontrolled=2)
    r.trials_run = 4
    r.example = {"trial": 2, "kind": "deadlock", "blocked": [
        {"process": "a[0]", "thread": 0, "waits_for": "$lock", "held_by": "b[0]"},
        {"process": "b[0]", "thread": 1, "waits_for": "the array lock", "held_by": "a[0]"}]}
    part = section(page_of(r), "locks")
    assert re.search(r"deadlock: every worker waited.*?>1</td>.*?forbidden", part)
    assert re.search(r"uncontrolled: .*?>2</td>.*?inconclusive", part)
    assert "<td>a[0]</td><td class=\"num\">0</td><td><code>$lock</code></td><td>b[0]</td>" in part
    assert "<td><code>the array lock</code></td><td>a[0]</td>" in part


def test_torn_read_and_hang_examples_show_their_fields():
    torn = Anomaly("torn_read", {"worker": 1, "group": "reader", "check": "sum", "pass": 4, "snapshot": [3] * 70,
                                 "snapshot_length": 100, "previous": [1, 2], "expected_sum": 300, "snapshot_sum": 210,
                                 "indices": [5, 6], "where": "user.py:12", "torn_snapshots": 3, "unit": "read"})
    part = section(page_of(scenario("torn", "torn_read", trials=[(torn,)])), "torn")
    for words in ("reader (worker 1), read 4", "<dt>check</dt><dd>sum</dd>", "100 values; the first 70 shown",
                  "… 6 more]", "<dt>previous</dt><dd><code class=\"arr\">[1, 2]</code>",
                  "expected 300, snapshot <mark>210</mark>", "<dt>torn indices</dt><dd>5, 6</dd>",
                  "<code>user.py:12</code>", "3 in this trial"):
        assert words in part, words
    hang = Anomaly("hang", {"timeout_s": 10.0, "stuck": ["a[0]", "b[0]"], "stacks": {"a[0]": "  File <x>\n"}})
    part = section(page_of(scenario("stuck", trials=[(hang,)])), "stuck")
    assert "<dt>not finished within</dt><dd>10.0 s</dd>" in part and "<dd>a[0], b[0]</dd>" in part
    assert "<details><summary>stack of a[0]</summary><pre>  File &lt;x&gt;\n</pre></details>" in part


def test_an_unknown_example_shows_its_fields():
    r = scenario("free", "lost_update", trials=[()])
    r.example = {"trial": 4, "kind": "uncontrolled", "blocked_call": "event.wait()",
                 "stack": "  File \"u.py\", line 9\n    event.wait()\n", "seen": [1, 2]}
    part = section(page_of(r), "free")
    assert "<dt>blocked_call</dt><dd>event.wait()</dd>" in part
    assert "<pre>  File &quot;u.py&quot;, line 9\n    event.wait()\n</pre>" in part
    assert "<pre>[\n 1,\n 2\n]</pre>" in part


def test_index_strip_colours_cells_by_trials_and_names_the_worst():
    r = scenario("raced", trials=[(lost(1),), (lost(1, 4),), ()])
    part = section(page_of(r), "raced")
    strip = re.search(r'<div class="strip k-lost_update" role="img" aria-label="([^"]*)" style="--cells:5">(.*?)</div>',
                      part)
    assert strip.group(1) == "lost updates by index: [1] in 2 trials, [4] in 1 trial"
    levels = re.findall(r'--h:([\d.]+)" title="([^"]*)"', strip.group(2))
    assert levels == [("0.00", "[0]: 0 of 3 trials"), ("1.00", "[1]: 2 of 3 trials"), ("0.00", "[2]: 0 of 3 trials"),
                      ("0.00", "[3]: 0 of 3 trials"), ("0.62", "[4]: 1 of 3 trials")]
    assert "torn_read" not in part.split("strip-box")[1].split("</div></div>")[0]


def test_index_strip_of_a_large_array_names_ranges():
    big = Anomaly("lost_update", {"indices": [9_999], "expected": [1] * 1000, "observed": [1] * 1000,
                                  "truncated": True, "differences": {"9999": [1, 0]}})
    part = section(page_of(scenario("big", size=10_000, trials=[(big,)])), "big")
    assert "10,000; 50 neighbouring indices per cell" in part and "[9950–9999] in 1 trial" in part
    assert "[9999] = <mark>0</mark>" in part and "(other indices as expected)" in part
    assert "<dt>differences</dt><dd><code class=\"arr\">[9999] expected 1, observed <mark>0</mark>" in part
    assert "expected final" not in part  # too long to head the table


def test_no_strip_without_counts():
    assert "class=\"strip-box\"" not in page_of(scenario("fine", trials=[()] * 3))


def test_certificate_when_the_report_has_one(certificate):
    r = scenario("fine", trials=[()] * 3)
    page = page_of(r, fine={"certificate": certificate})
    assert ('<span class="label">certificate</span> <span class="tag">pct</span> PCT depth 3 over 200 trials: a bug '
            "of depth &lt;= 3 would have been found with probability &gt;= 98.7%") in page
    exhaustive = {"kind": "exhaustive", "trials": 12, "interleavings": 12, "complete": True, "text": "verified"}
    assert "exhaustive (the whole space)" in page_of(r, fine={"certificate": exhaustive})
    assert "certificate" not in page_of(r).split("<main>")[1]


def test_a_trace_is_drawn_as_swimlanes_with_linked_conflicts(controlled_lost_update):
    r = scenario("capped", trials=[(lost(0, size=3),)])
    r.example = controlled_lost_update
    part = section(page_of(r), "capped")
    lanes = re.findall(r'<div class="lh" style="grid-column:(\d)">([^<]*)</div>', part)
    assert lanes == [("2", "capper[0]"), ("3", "capper[1]"), ("4", "capper[1] · thread 1")]
    stale = re.search(r'<div class="acc op-read m-stale-read" id="(r1-s88)" tabindex="0" '
                      r'style="grid-row:4;grid-column:2" data-tip="([^"]*)">(.*?)</div>', part)
    assert stale.group(2) == ("#88 capper[0]: read a[0] → 49 · userpat.py:172 · stale read: its value was "
                              "overwritten by another worker before this one wrote")
    assert '<a href="#r1-s90">→ #90 overwritten</a> <a href="#r1-s91">→ #91 conflict</a>' in stale.group(3)
    assert "<span class=\"acc-where\">userpat.py:172</span>" in stale.group(3)
    assert 'acted on a stale read (<a href="#r1-s88">#88</a>)' in part
    assert re.search(r'class="acc op-acquire" id="r1-s92"[^>]*data-tip="#92 capper\[1\] · thread 1: '
                     r'acquire \$lock · userpat.py:180"', part)
    assert '<span class="label">conflict</span> <a href="#r1-s88">#88 stale-read</a>' in part
    assert "No trace" not in part


def test_without_a_trace_the_example_says_how_to_get_one():
    part = section(page_of(scenario("raced", trials=[(lost(1),)])), "raced")
    assert "No trace: this failure was found by timing injection" in part and "--inject controlled" in part
    assert 'class="lanes"' not in part


def test_a_long_trace_keeps_its_marked_steps_and_says_what_it_left_out():
    trace = [{"step": n, "worker": n % 2, "process": f"w[{n % 2}]", "thread": 0, "op": "read", "index": n % 7,
              "value": n, "location": None, "loop": 1, "mark": None, "note": None} for n in range(1000)]
    trace[700]["mark"] = "stale-read"
    trace[999]["mark"] = "conflict"
    r = scenario("long", trials=[(lost(1),)])
    r.example = {**r.example, "trace": trace}
    part = section(page_of(r), "long")
    drawn = re.findall(r'class="acc [^"]*" id="r1-s(\d+)"', part)
    assert len(drawn) == report_html.MAX_TRACE_STEPS and {"700", "999"} <= set(drawn)
    gaps = [int(n) for n in re.findall(r"… (\d+) steps not drawn", part)]
    assert sum(gaps) == 1000 - report_html.MAX_TRACE_STEPS


def test_replay_command_from_the_token_or_the_rerun_that_carries_it(controlled_lost_update):
    r = scenario("capped", trials=[(lost(0),)])
    r.example = controlled_lost_update
    entry = to_dict(RunReport(7, [r]))["scenarios"][0]
    assert replay_command(entry) == "harness run scenarios/capped.yaml --start-method fork --replay s1.AQIDBA"
    entry["rerun"] = "harness run scenarios/capped.yaml --replay s1.AQIDBA"
    assert replay_command(entry) == entry["rerun"]
    page = document_html({"seed": 7, "scenarios": [entry]}, command="c")
    assert page.count("--replay s1.AQIDBA</code>") == 1  # the rerun is the replay: shown once
    assert 'class="copy js-only" data-copy="r1-replay"' in page
    del entry["example"]["replay"]
    assert replay_command(entry) is None


def test_copy_buttons_name_their_command_and_are_buttons():
    page = page_of(scenario("raced", trials=[(lost(1),)]))
    assert re.search(r'<span class="label" id="r1-rerun-l">Rerun</span><code id="r1-rerun">harness run '
                     r'scenarios/raced.yaml --seed 7 --start-method fork --trial 1 --inject random</code><button type="button" '
                     r'class="copy js-only" data-copy="r1-rerun" aria-describedby="r1-rerun-l">Copy</button>', page)
    assert '<button type="button" class="copy js-only" data-copy="cmd-run"' in page


def test_huge_outputs_keep_their_end_within_the_scenarios_share():
    r = scenario("noisy", trials=[(Anomaly("crash", {"worker": 0, "group": "g", "error": "E" * 50_000 + "END"}),)])
    r.output = [{"worker": w, "text": f"worker {w} " + "x" * 20_000 + "LAST\n"} for w in range(8)]
    part = section(page_of(r), "noisy")
    assert "42,003 earlier characters cut" in part and "EEEEEND</pre>" in part
    assert part.count("LAST") == 2  # the traceback and two outputs fill the share
    assert "left out to keep the page small" in part
    assert len(part) < 3 * report_html.MAX_ENTRY_TEXT


def test_the_page_stops_adding_failure_detail_once_it_holds_its_budget(monkeypatch):
    monkeypatch.setattr(report_html, "PAGE_DETAIL_BUDGET", 20_000)
    results = []
    for n in range(10):
        r = scenario(f"noisy{n}", trials=[(Anomaly("crash", {"worker": 0, "group": "g", "error": "E" * 9_000}),)])
        results.append(r)
    page = page_of(*results)
    assert page.count("are left out: this page already holds") == 8
    assert len(page) < 120_000


def test_interrupted_and_unrunnable_runs():
    stopped = scenario("stopped", trials=[()] * 2)
    stopped.interrupted = True
    broken = scenario("broken")
    broken.error = "cannot import module 'nowhere'"
    page = page_of(stopped, broken, interrupted=True)
    assert "<span class=\"badge big v-interrupted\">INTERRUPTED</span>" in page
    assert "1 could not run, 1 interrupted" in page
    assert "Interrupted: no verdict" in section(page, "stopped")
    assert "Could not run: cannot import module &#x27;nowhere&#x27;" in section(page, "broken")
    empty = document_html({"seed": 1, "scenarios": [], "interrupted": True}, command="harness run x")
    assert "nothing ran" in empty and "</html>" in empty


def test_to_html_takes_a_run_report_and_sums_durations_without_one():
    r = scenario("fine", trials=[()])
    r.duration_s = 2.25
    page = to_html(RunReport(3, [r]), command="harness run fine.yaml")
    assert "<dt>duration</dt><dd>2.2 s</dd>" in page and "<dt>seed</dt><dd>3</dd>" in page


def test_a_200_trial_run_of_every_bundled_scenario_stays_under_2_mb(controlled_lost_update):
    """An upper bound rather than one run's luck: every bundled scenario under all three start
    methods, each canary with a 40-step trace, every safe scenario failing in every other trial with
    a different final array and a crash's worth of output from each worker."""
    results = []
    for s in load_all(["scenarios"]):
        for method in ("fork", "spawn", "forkserver"):
            r = ScenarioResult(s.name, s.path, method, s.expect.anomaly, 7, 200, s.description)
            t = Tally(r, s.array.size)
            size = s.array.size
            for n in range(1, 201):
                bad = (n % 2 == 0) if not s.is_canary else n == 1
                t.add(TrialResult(n, (lost(n % size, (n * 7) % size, size=size),) if bad and size <= 1000 else
                                  (Anomaly("lost_update", {"indices": [n % size], "truncated": True,
                                                           "differences": {str(n % size): [1, 0]}}),) if bad else (),
                                  output=tuple((w, "y" * 8192) for w in range(len(s.workers))) if bad else ()))
            if s.is_canary:
                r.example = {**r.example, "trace": (controlled_lost_update["trace"] * 5)[:40], "replay": "s1.AQ"}
            r.rerun = rerun_command(r)
            results.append(r)
    page = to_html(RunReport(7, results), command="harness run scenarios/ --start-method all --html r.html")
    size = len(page.encode("utf-8"))
    assert size < 2_000_000, size
