"""The JSON report (docs/scenario-format.md section 4).

Promise: :func:`to_json` renders a run, finished or interrupted, as the contract's document,
in strict JSON (a float that overflowed to infinity is the string ``"inf"``);
fields beyond the contract (``seed`` and ``description`` per entry, ``rerun``, ``output``,
``error``, ``duration_s``, ``replayed_trial``, ``index_counts``, ``observed_finals``) are
additions, never renames. :func:`document` builds the same document from entries already
made (the pytest plugin's, gathered from its xdist workers).
"""

from __future__ import annotations

import json
import math

VERSION = 1


def strict(value):
    """The value with every non-finite float as the string "inf", "-inf" or "nan": a float
    array can overflow, and strict JSON (and so every other language's parser) has no
    Infinity or NaN."""
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return {k: strict(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict(v) for v in value]
    return value


def scenario_entry(r) -> dict:
    """One scenario and start method's entry of ``scenarios``."""
    entry = {
        "name": r.name, "file": r.file, "start_method": r.start_method,
        "expected_anomaly": r.expected_anomaly, "passed": r.passed, "verdict": r.verdict, "trials_run": r.trials_run,
        "outcomes": dict(r.outcomes), "first_detection": r.first_detection,
    }
    if r.certificate is not None:
        entry["certificate"] = r.certificate
    if r.example is not None:
        entry["example"] = r.example
    if r.shrunk is not None:
        entry["shrunk"] = r.shrunk
    entry.update({"seed": r.seed, "trials_planned": r.trials_planned, "duration_s": round(r.duration_s, 4),
                  "rerun": r.rerun})
    if r.description:
        entry["description"] = r.description
    if r.replayed_trial is not None:
        entry["replayed_trial"] = r.replayed_trial
    if r.shard is not None:
        entry["shard"] = list(r.shard)
    if r.index_counts is not None:
        entry["index_counts"] = r.index_counts
    if r.observed_finals:
        entry["observed_finals"] = {"shown": r.observed_finals, "other_trials": r.observed_finals_other}
    if r.output:
        entry["output"] = r.output
    if r.error:
        entry["error"] = r.error
    if r.interrupted:
        entry["interrupted"] = True
    if r.same_crash:
        entry["stopped"] = "same_crash"
    return entry


def document(seed: int, entries: list[dict], interrupted: bool = False) -> dict:
    passed = not interrupted and all(e["passed"] for e in entries)
    doc = {"version": VERSION, "seed": seed, "passed": passed, "scenarios": entries}
    if interrupted:
        doc["interrupted"] = True
    return doc


def to_dict(report) -> dict:
    return document(report.seed, [scenario_entry(r) for r in report.results], report.interrupted)


def to_json(report) -> str:
    return json.dumps(strict(to_dict(report)), indent=2, default=str, allow_nan=False) + "\n"
