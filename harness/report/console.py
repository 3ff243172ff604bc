"""Console text: one line per scenario and start method, and a readable failure.

Promise: :func:`summary_line` fits a verdict, the trials, the outcome counts and the first
detection on one line; :func:`failure_text` shows what was expected and what was seen
(indices, values, the torn snapshot, the traceback) and the command that reruns the trial.
"""

from __future__ import annotations

import json

from ..results import ScenarioResult

MAX_STACK_LINES = 30  # of a stuck worker's stack, innermost frames (of each thread) first

SHORT = {"ok": "ok", "lost_update": "lost", "torn_read": "torn", "crash": "crash", "hang": "hang"}


def _fmt(value) -> str:
    return json.dumps(value) if not isinstance(value, str) else value


def verdict_word(result: ScenarioResult) -> str:
    if result.interrupted:
        return "STOP"
    if result.error:
        return "ERROR"
    return "PASS" if result.passed else "FAIL"


def _canary_words(result: ScenarioResult, counts: str) -> str:
    """A canary stops at its first detection: say where it was found, of how many trials it
    could have used (a count like 3/200 would read as a pass rate)."""
    want, run, planned = result.expected_anomaly, result.trials_run, result.trials_planned
    if not result.detected:
        return f"{want} not seen in {run} of {planned} trials ({counts})"
    first = result.first_detection
    seen = result.outcomes.get(want, 0) if want != "any" else (
        result.outcomes["lost_update"] + result.outcomes["torn_read"])
    if run > first:  # it went on (--all-trials): how often, too
        return f"{want} in {seen} of {run} trials, first at trial {first} ({counts})"
    return f"{want} found at trial {first} of at most {planned} ({counts})"


def summary_line(result: ScenarioResult) -> str:
    counts = " ".join(f"{SHORT[k]}={v}" for k, v in result.outcomes.items() if v or k == "ok")
    rate = f", {result.trials_per_second:,.0f} trials/s" if result.trials_run else ""
    head = f"{verdict_word(result):5} {result.name} [{result.start_method}]"
    run, planned = result.trials_run, result.trials_planned
    if result.replayed_trial is not None:  # every trial was the same one again
        failed = run - result.outcomes["ok"]
        again = ("no anomaly in any replay" if not failed else f"an anomaly again in replay {run}"
                 if failed == 1 and run < planned else f"an anomaly in {failed} of {run} replays")
        kind = "canary" if result.is_canary else "safe"
        return f"{head} {kind}: trial {result.replayed_trial} replayed {run}/{planned} times ({counts}); {again}{rate}"
    if result.is_canary:
        return f"{head} canary: {_canary_words(result, counts)}{rate}"
    if result.first_detection:
        first = f"first anomaly in trial {result.first_detection}"
    elif result.example is not None:  # crashes or hangs only
        first = f"first {result.example['kind']} in trial {result.example['trial']}"
    else:
        first = "no anomaly"
    return f"{head} safe: {run}/{planned} trials ({counts}); {first}{rate}"


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
        unit = example.get("unit", "pass")  # user code's snapshots are reads, not passes
        lines.append(f"  {example['group']} (worker {example['worker']}) {unit} {example['pass']}: "
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
            lines.extend("    " + ln for ln in stack.rstrip().splitlines()[:MAX_STACK_LINES])
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
