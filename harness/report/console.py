"""Console text: one line per scenario and start method, and a readable failure.

Promise: :func:`summary_line` fits a verdict, the trials, the outcome counts and the first
detection on one line; :func:`failure_text` shows what was expected and what was seen
(indices, values, the torn snapshot, the traceback) and the command that reruns the trial.
"""

from __future__ import annotations

import json

from ..results import ScenarioResult

SHORT = {"ok": "ok", "lost_update": "lost", "torn_read": "torn", "crash": "crash", "hang": "hang"}


def _fmt(value) -> str:
    return json.dumps(value) if not isinstance(value, str) else value


def verdict_word(result: ScenarioResult) -> str:
    if result.interrupted:
        return "STOP"
    if result.error:
        return "ERROR"
    return "PASS" if result.passed else "FAIL"


def summary_line(result: ScenarioResult) -> str:
    counts = " ".join(f"{SHORT[k]}={v}" for k, v in result.outcomes.items() if v or k == "ok")
    if result.is_canary:
        first = (f"{result.expected_anomaly} first seen in trial {result.first_detection}"
                 if result.detected else f"{result.expected_anomaly} not seen")
        kind = "canary"
    else:
        if result.first_detection:
            first = f"first anomaly in trial {result.first_detection}"
        elif result.example is not None:  # crashes or hangs only
            first = f"first {result.example['kind']} in trial {result.example['trial']}"
        else:
            first = "no anomaly"
        kind = "safe"
    rate = f", {result.trials_per_second:,.0f} trials/s" if result.trials_run else ""
    run, planned = result.trials_run, result.trials_planned
    trials = f"{run}/{planned} trials"
    if result.replayed_trial is not None:  # every trial was the same one again
        trials = f"trial {result.replayed_trial} replayed {run}/{planned} times"
        failed = run - result.outcomes["ok"]
        first = ("no anomaly in any replay" if not failed else f"an anomaly again in replay {run}"
                 if failed == 1 and run < planned else f"an anomaly in {failed} of {run} replays")
    return f"{verdict_word(result):5} {result.name} [{result.start_method}] {kind}: {trials} ({counts}); {first}{rate}"


def _expected_words(result: ScenarioResult) -> str:
    if result.expected_anomaly == "none":
        return "expected every trial ok"
    if result.expected_anomaly == "any":
        return "expected a lost_update or torn_read (canary)"
    return f"expected {result.expected_anomaly} in at least one trial (canary)"


def _example_lines(example: dict) -> list[str]:
    kind = example["kind"]
    lines = [f"trial {example['trial']}: {kind}"]
    if kind == "lost_update":
        lines.append(f"  differing indices: {', '.join(map(str, example.get('indices', [])))}")
        if "differences" in example:  # a huge array: the differing values only
            for index, (want, got) in example["differences"].items():
                lines.append(f"  [{index}] expected: {_fmt(want)}, observed: {_fmt(got)}")
        else:
            lines.append(f"  expected: {_fmt(example['expected'])}")
            lines.append(f"  observed: {_fmt(example['observed'])}")
    elif kind == "torn_read":
        lines.append(f"  {example['group']} (worker {example['worker']}) pass {example['pass']}: "
                     f"snapshot breaks check '{example['check']}'")
        lines.append(f"  snapshot: {_fmt(example['snapshot'])}")
        if "previous" in example:
            lines.append(f"  previous: {_fmt(example['previous'])}")
        if "expected_sum" in example:
            lines.append(f"  expected sum: {example['expected_sum']}, snapshot sum: "
                         f"{example.get('snapshot_sum', sum(example['snapshot']))}")
        if example.get("snapshot_length", 0) > len(example["snapshot"]):
            lines.append(f"  (the first {len(example['snapshot'])} of {example['snapshot_length']} values)")
        if example.get("where"):
            lines.append(f"  read at: {example['where']}")
        if example.get("torn_snapshots", 1) > 1:
            lines.append(f"  torn snapshots in this trial: {example['torn_snapshots']}")
    elif kind == "crash":
        lines.extend("  " + ln for ln in example["error"].rstrip().splitlines())
    elif kind == "hang":
        lines.append(f"  no progress within {example['timeout_s']} s; stuck: {', '.join(example['stuck'])}")
        for who, stack in example.get("stacks", {}).items():
            lines.append(f"  stack of {who}:")
            lines.extend("    " + ln for ln in stack.rstrip().splitlines()[-12:])
    return lines


def failure_text(result: ScenarioResult) -> str:
    """Why a verdict failed, and how to rerun it."""
    head = f"{verdict_word(result)} {result.name} [{result.start_method}] ({result.file}): {_expected_words(result)}"
    lines = [head]
    if result.error:
        lines.append(f"  could not run: {result.error}")
    elif result.is_canary and not result.detected:
        broken = result.outcomes["crash"] + result.outcomes["hang"]
        if broken:  # more trials would not help: the workers never ran to the end
            lines.append(f"  not seen in {result.trials_run} trials: {result.outcomes['crash']} crashed and "
                         f"{result.outcomes['hang']} hung ({result.outcomes['ok']} ok); fix the crash or hang "
                         "below first")
        else:
            lines.append(f"  not seen in {result.trials_run} trials ({result.outcomes['ok']} ok): the harness "
                         "could not show this race; raise --trials or loops, or check the scenario really races")
    if result.example is not None:
        lines.extend("  " + ln for ln in _example_lines(result.example))
    for out in result.output:
        lines.append(f"  output of worker {out['worker']}:")
        lines.extend("    " + ln for ln in out["text"].rstrip().splitlines()[-20:])
    lines.append(f"  rerun: {result.rerun}")
    return "\n".join(lines)


def run_footer(report) -> str:
    results = report.results
    passed = sum(r.passed for r in results)
    words = f"{passed} passed, {len(results) - passed} failed"
    if report.interrupted:
        words += " (interrupted)"
    # no global rerun line: --seed would override the seeds some files set themselves; each
    # failure above carries its own exact rerun command
    return f"{words}; run seed {report.seed}"
