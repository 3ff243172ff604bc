"""Console text: one line per scenario and start method, and a readable failure.

Promise: :func:`summary_line` fits a verdict, the trials, the outcome counts and the first
detection on one line; :func:`failure_text` shows what was expected and what was seen
(indices, values, the torn snapshot, the traceback) and the command that reruns the trial.
"""

from __future__ import annotations

import json

from ..results import ScenarioResult

MAX_STACK_LINES = 30  # of a stuck worker's stack, innermost frames (of each thread) first

SHORT = {"ok": "ok", "lost_update": "lost", "torn_read": "torn", "crash": "crash", "hang": "hang",
         "deadlock": "deadlock", "uncontrolled": "uncontrolled"}
MARKS = {"stale-read": "read that goes stale", "overwritten": "overwritten", "torn-inside": "inside the snapshot"}


def _fmt(value) -> str:
    return json.dumps(value) if not isinstance(value, str) else value


VERDICT_WORDS = {"passed": "PASS", "failed": "FAIL", "error": "ERROR", "interrupted": "STOP",
                 "inconclusive": "INCONCLUSIVE"}
# ANSI colours of the verdict words, for a terminal (the command line decides when)
COLOURS = {"PASS": "32", "FAIL": "1;31", "ERROR": "1;31", "STOP": "33", "INCONCLUSIVE": "1;33"}


def paint(text: str, word: str, colour: bool) -> str:
    """``text`` in the colour of a verdict word, when colour is on."""
    return f"\033[{COLOURS[word]}m{text}\033[0m" if colour else text


def verdict_word(result: ScenarioResult) -> str:
    """PASS, FAIL, ERROR, STOP: interrupted before its trials decided anything (an
    interrupted scenario whose trials already failed it is a FAIL), or INCONCLUSIVE: clean,
    but an exhaustive search that did not cover every interleaving."""
    return VERDICT_WORDS[result.verdict]


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


def summary_line(result: ScenarioResult, colour: bool = False) -> str:
    counts = " ".join(f"{SHORT[k]}={v}" for k, v in result.outcomes.items() if v or k == "ok")
    per_s = result.trials_per_second
    shown = f"{per_s:,.0f}" if per_s >= 10 or per_s == 0 else f"{per_s:.2g}"  # slow trials: not "0"
    rate = f", {shown} trials/s" if result.trials_run else ""
    word = verdict_word(result)
    head = f"{paint(f'{word:5}', word, colour)} {result.name} [{result.start_method}]"
    run, planned = result.trials_run, result.trials_planned
    kind = "canary" if result.is_canary else "safe"
    if result.replayed_trial is not None:  # every trial was the same one again
        failed = run - result.outcomes["ok"]
        again = ("no anomaly in any replay" if not failed else f"an anomaly again in replay {run}"
                 if failed == 1 and run < planned else f"an anomaly in {failed} of {run} replays")
        return f"{head} {kind}: trial {result.replayed_trial} replayed {run}/{planned} times ({counts}); {again}{rate}"
    if result.error and not run:  # its reason is the failure's first line, below
        return f"{head} {kind}: could not run, no trial ran"
    if result.is_canary:
        return f"{head} canary: {_canary_words(result, counts)}{rate}"
    if result.first_detection:
        first = f"first anomaly in trial {result.first_detection}"
    elif result.example is not None:  # crashes or hangs only
        first = f"first {result.example['kind']} in trial {result.example['trial']}"
    else:
        first = "no anomaly"
    return f"{head} safe: {run}/{planned} trials ({counts}); {first}{rate}"


def result_lines(result: ScenarioResult, colour: bool = False) -> str:
    """The summary line, and under it a safe verdict's certificate, or the command that replays
    the race a canary found under the controlled scheduler (its trace prints with the replay)."""
    line = summary_line(result, colour)
    if result.certificate:
        line += f"\n  certificate: {result.certificate['text']}"
    elif result.is_canary and result.passed and (result.example or {}).get("trace"):
        if result.replayed_trial is not None:  # the replay asked to see it: the race and its trace
            line += "".join(f"\n  {ln}" for ln in _example_lines(result.example))
        else:
            line += f"\n  its race, replayed with its trace: {result.rerun}"  # why it passed, on demand
    return line


def shrunk_text(result: ScenarioResult, colour: bool = False) -> str:
    """--shrink: what the race shrank to, the file written, and the trace of the shrunk failure."""
    s = result.shrunk
    head = f"shrunk {result.name} [{result.start_method}]"
    if not s or not s.get("found"):
        return (f"{head}: the race did not show again under the controlled scheduler (it needs timing "
                "injection, or happens inside code the scheduler cannot see); nothing written")
    was = s["was"]
    lines = [f"{head}: {s['workers']} workers, {s['elements']} element(s), {s['loops']} loop(s), "
             f"{s['context_switches']} context switch(es) (from {was['workers']} workers, {was['elements']} "
             f"element(s), {was['loops']} loop(s)); wrote {s['path']}"]
    if s.get("example"):
        lines.extend("  " + ln for ln in _example_lines(s["example"]))
    lines.append(f"  rerun: {s['rerun']}")
    return "\n".join(lines)


def expected_words(result: ScenarioResult) -> str:
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
        lines.append(f"  not finished within {example['timeout_s']} s (timeout_s); "
                     f"unfinished: {', '.join(example['stuck'])}")
        for who, stack in example.get("stacks", {}).items():
            lines.append(f"  stack of {who}:")
            lines.extend("    " + ln for ln in stack.rstrip().splitlines()[:MAX_STACK_LINES])
    elif kind in ("deadlock", "uncontrolled"):
        lines.extend("  " + ln for ln in example["error"].rstrip().splitlines()[:MAX_STACK_LINES])
    if example.get("trace"):
        lines.append("  the accesses that conflicted, in the order they ran:")
        lines.extend("    " + ln for ln in trace_lines(example["trace"]))
    if example.get("diverged"):
        lines.append("  (the code did not follow the replayed schedule: it is not the same trial)")
    return lines


def trace_lines(trace: list[dict]) -> list[str]:
    """One aligned line per traced step: step, process (thread), operation, index and value,
    where in the user's code (or which pass), and why it matters."""
    rows = []
    for t in trace:
        who = t["process"] + (f" thread {t['thread']}" if t.get("thread") else "")
        if t.get("stop") is not None:  # a slice; the value is its first element's
            what = f"{t['op']:5} a[{t['index']}:{t['stop']}] = {_fmt(t['value'])}, ..."
        elif t.get("index") is not None:
            what = f"{t['op']:5} a[{t['index']}] = {_fmt(t['value'])}"
        else:
            what = f"{t['op']} {t.get('lock') or ''}".rstrip()
        where = t.get("location") or (f"pass {t['loop']}" if t.get("loop") else "")
        if t.get("code"):
            where += f"  {t['code']}"
        why = t.get("note") or MARKS.get(t.get("mark") or "", "")
        rows.append((f"#{t['step']}", who, what, where, f"<- {why}" if why else ""))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    return ["  ".join(r[i].ljust(widths[i]) for i in range(4)).rstrip() + (f"   {r[4]}" if r[4] else "")
            for r in rows]


def failure_reason(result: ScenarioResult) -> str:
    """What happened, in one line (``lost_update in 200/200 trials``): the first line of a
    failure, the reason in the closing table and in pytest's short summary."""
    if result.error:
        return "could not run: " + (result.error.splitlines() or [""])[0]
    run, unit = result.trials_run, "trials"
    if result.replayed_trial is not None:
        unit = f"replays of trial {result.replayed_trial}"
    if result.verdict == "interrupted":
        return f"interrupted after {run} of {result.trials_planned} {unit}, every one ok"
    if result.verdict == "inconclusive":
        return result.certificate["text"]
    seen = [f"{kind} in {n}/{run} {unit}" for kind, n in result.outcomes.items() if kind != "ok" and n]
    if result.is_canary and not result.detected:
        seen.insert(0, f"{result.expected_anomaly} not seen in {run} {unit}")
    return ", ".join(seen) or f"every one of {run} {unit} ok"


def failure_text(result: ScenarioResult, colour: bool = False) -> str:
    """Why a verdict failed, and how to rerun it."""
    word = verdict_word(result)
    head = (f"{paint(word, word, colour)} {result.name} [{result.start_method}] ({result.file}): "
            f"{failure_reason(result)}; {expected_words(result)}")
    lines = [head] + failure_details(result)
    return "\n".join(lines)


def failure_details(result: ScenarioResult) -> list[str]:
    """The lines under a failure's first: what was seen, the workers' output, the rerun."""
    lines = []
    if result.error:
        if "\n" in result.error.strip():  # the first line is already in the head line
            lines.extend("  " + ln for ln in result.error.rstrip().splitlines())
    elif result.is_canary and not result.detected:
        if result.broken:  # more trials would not help: the workers never ran to the end
            lines.append(f"  not seen in {result.trials_run} trials: {result.outcomes['crash']} crashed, "
                         f"{result.outcomes['hang']} hung and {result.outcomes['deadlock']} deadlocked "
                         f"({result.outcomes['ok']} ok); fix the crash, hang or deadlock below first")
        else:
            lines.append(f"  not seen in {result.trials_run} trials ({result.outcomes['ok']} ok): the harness "
                         "could not show this race; raise --trials or loops, or check the scenario really races")
    if result.same_crash:
        lines.append(f"  stopped after {result.trials_run} trials: each crashed the same way (--all-trials runs "
                     "the rest)")
    if result.example is not None:
        lines.extend("  " + ln for ln in _example_lines(result.example))
    for out in result.output:
        lines.append(f"  output of worker {out['worker']}:")
        lines.extend("    " + ln for ln in out["text"].rstrip().splitlines()[-20:])
    if result.trials_run or not result.error:  # nothing ran: after the fix, the same command again
        lines.append(f"  rerun: {result.rerun}")
    return lines


def failures_table(results, colour: bool = False) -> str:
    """The closing table: one row per failed or unrunnable scenario and start method."""
    failed = [r for r in results if r.verdict in ("failed", "error", "inconclusive")]
    if not failed:
        return ""
    rows = [(verdict_word(r), f"{r.name} [{r.start_method}]", r.file, failure_reason(r)) for r in failed]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [f"failures ({len(rows)}):"]
    for word, name, file, reason in rows:
        lines.append(f"  {paint(word.ljust(widths[0]), word, colour)}  {name.ljust(widths[1])}  "
                     f"{file.ljust(widths[2])}  {reason}")
    return "\n".join(lines)


def run_footer(report, colour: bool = False) -> str:
    verdicts = [r.verdict for r in report.results]
    passed, stopped, unsure = verdicts.count("passed"), verdicts.count("interrupted"), verdicts.count("inconclusive")
    failed = len(verdicts) - passed - stopped - unsure
    words = (f"{paint(f'{passed} passed', 'PASS', colour and passed > 0)}, "
             f"{paint(f'{failed} failed', 'FAIL', colour and failed > 0)}")
    if unsure:
        words += f", {paint(f'{unsure} inconclusive', 'INCONCLUSIVE', colour)}"
    if stopped:
        words += f", {paint(f'{stopped} interrupted', 'STOP', colour)}"
    elif report.interrupted:
        words += " (interrupted)"
    # no global rerun line: --seed would override the seeds some files set themselves; each
    # failure above carries its own exact rerun command
    return f"{words}; run seed {report.seed}"
