"""The mutation report (``harness mutate``): pure functions from a MutationReport to text.

Promise: :func:`scenario_text` is one scenario's block (its score, every mutant's status,
each surviving mutant's diff and why it may survive, the weakest lock that still verified),
:func:`mutation_footer` the closing line, and :func:`to_json` the whole report as JSON.
"""

from __future__ import annotations

import json

from .console import failure_reason

STATUS_WORDS = {"killed": "killed", "survived": "SURVIVED", "equivalent": "equivalent", "error": "ERROR"}


def _score_words(s) -> str:
    if not s.baseline.passed:
        return f"the scenario itself fails ({failure_reason(s.baseline)}): its mutants were not run"
    ran, equivalent = len(s.ran), sum(o.status == "equivalent" for o in s.outcomes)
    score = f"mutation score {s.killed}/{ran}" + (f" ({s.score:.0%})" if s.score is not None else "")
    survived = sum(o.status == "survived" for o in s.outcomes)
    expected = sum(o.status == "survived" and o.expected for o in s.outcomes)
    return (f"{score}: {s.killed} killed, {survived} survived ({expected} expected), "
            f"{equivalent} equivalent (not run)")


def _outcome_lines(o) -> list[str]:
    m, status = o.mutant, o.status
    word = "survived" if status == "survived" and o.expected else STATUS_WORDS[status]  # lower case: accepted
    how = failure_reason(o.result) if status in ("killed", "error") else ""
    lines = [f"  {word:<10} {m.id:<28} {m.what}" + (f": {how}" if how else "")]
    if status == "killed" and o.expected:
        lines.append("             listed in expect.survives, but killed: remove it from the list")
    if status in ("survived", "equivalent"):
        listed = " (listed in expect.survives)" if status == "survived" and o.expected else ""
        lines.append(f"             why: {o.why}{listed}")
    if status == "survived" and not o.expected:
        lines += [f"             {line}" for line in m.diff.splitlines()]
    return lines


def scenario_text(s) -> str:
    """One scenario under one start method: its score, its mutants, its weakest locks."""
    lines = [f"{s.scenario.path} [{s.start_method}]: {_score_words(s)}"]
    for o in s.outcomes:
        lines += _outcome_lines(o)
    for w in s.weakest_locks():
        lines.append(f"  weakest safe lock: {w['group']}: {w['weakest']} (has {w['scope']}; {w['basis']})")
    lines += [f"  note: {note}" for note in s.notes]
    return "\n".join(lines)


def mutation_footer(report) -> str:
    survivors = sum(o.unexpected for s in report.scenarios for o in s.outcomes)
    failing = sum(not s.baseline.passed for s in report.scenarios)
    killed = sum(s.killed for s in report.scenarios)
    ran = sum(len(s.ran) for s in report.scenarios)
    words = [f"{killed}/{ran} mutants killed in {len(report.scenarios)} scenario run(s)"]
    if survivors:
        words.append(f"{survivors} unexpected survivor(s) (list the ones you accept in expect.survives)")
    if failing:
        words.append(f"{failing} scenario run(s) failed as they are")
    if report.skipped:
        words.append(f"{len(report.skipped)} canary(ies) skipped")
    verdict = "interrupted" if report.interrupted else "passed" if report.passed else "failed"
    return f"harness mutate: {verdict}: " + ", ".join(words) + f" ({report.duration_s:.1f}s, seed {report.seed})"


def _outcome_entry(o) -> dict:
    m, r = o.mutant, o.result
    return {"id": m.id, "kind": m.kind, "group": m.group, "what": m.what, "plan": m.plan_says,
            "plan_reason": m.reason, "status": o.status, "expected": o.expected,
            "trials_run": r.trials_run if r else 0, "first_detection": r.first_detection if r else None,
            "outcomes": dict(r.outcomes) if r else None,
            "how": failure_reason(r) if o.status in ("killed", "error") else "",
            "why": o.why, "diff": m.diff}


def to_dict(report) -> dict:
    return {"version": 1, "seed": report.seed, "passed": report.passed, "interrupted": report.interrupted,
            "skipped": list(report.skipped),
            "scenarios": [{"name": s.scenario.name, "file": s.scenario.path, "start_method": s.start_method,
                           "passed": s.passed, "baseline": {"passed": s.baseline.passed,
                                                            "verdict": s.baseline.verdict,
                                                            "trials_run": s.baseline.trials_run},
                           "score": s.score, "killed": s.killed, "run": len(s.ran),
                           "mutants": [_outcome_entry(o) for o in s.outcomes],
                           "weakest_locks": s.weakest_locks(), "notes": list(s.notes)}
                          for s in report.scenarios]}


def to_json(report) -> str:
    return json.dumps(to_dict(report), indent=2) + "\n"
