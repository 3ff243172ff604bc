"""Merge: the JSON reports of a run's shards (``--shard K/N``) as one run's results.

Promise: :func:`read_reports` reads harness JSON reports, refusing (a :class:`MergeError`,
one line) a file that is missing, not JSON, or not a harness report. :func:`merge` combines
the entries of one scenario under one start method and seed (``file``, ``name``,
``start_method``, ``seed``) into one :class:`~harness.results.ScenarioResult`: trials and
outcomes summed, the first detection the earliest, the best example kept (by the rank
:class:`~harness.results.Tally` keeps examples by), and the certificate recomputed from the
whole: a sampled kind's miss bound from the summed trials (the directed search's recording
trial, run by every shard, once); PCT's bound from the summed trials; exhaustive, the
interleavings summed (the shards' classes are disjoint, :mod:`harness.search.exhaustive`),
``complete`` only when every shard 1..N is there and complete, else it says which are
missing. The verdict is then the result's own, by the rules of :mod:`harness.results`.
Entries of one scenario from shards of different N, or of different seeds, or one shard
twice, are refused: they are not parts of one run. Pure: the shell reads and prints.
"""

from __future__ import annotations

import json

from .errors import HarnessError
from .results import MAX_FINALS, ScenarioResult, example_rank
from .search import certificate as certificates

KEY = ("file", "name", "start_method", "seed")
NEEDED = ("name", "file", "start_method", "seed", "outcomes", "trials_run", "expected_anomaly")


class MergeError(HarnessError):
    """Reports that cannot be merged."""


def read_reports(paths: list[str]) -> list[tuple[str, dict]]:
    """(path, document) of each report, in the order given."""
    out = []
    for path in paths:
        try:
            with open(path, encoding="utf-8") as f:
                doc = json.load(f)
        except OSError as exc:
            raise MergeError(f"{path}: cannot read it: {exc.strerror or exc}") from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise MergeError(f"{path}: not a harness JSON report (not JSON: {exc})") from None
        entries = doc.get("scenarios") if isinstance(doc, dict) else None
        if not isinstance(entries, list) or "version" not in doc or not all(
                isinstance(e, dict) and all(k in e for k in NEEDED) for e in entries):
            raise MergeError(f"{path}: not a harness JSON report (harness run --json writes one: version, and "
                             f"scenarios[] entries with {', '.join(NEEDED)})")
        out.append((path, doc))
    return out


def merge(reports: list[tuple[str, dict]]) -> tuple[int, list[ScenarioResult]]:
    """(the run seed, one result per scenario, start method and seed, in first-seen order)."""
    groups: dict[tuple, list[tuple[str, dict]]] = {}
    for path, doc in reports:
        for entry in doc["scenarios"]:
            groups.setdefault(tuple(entry[k] for k in KEY), []).append((path, entry))
    _check_parts(groups)
    seed = reports[0][1].get("seed", 0) if reports else 0
    return seed, [_combined([e for _, e in group]) for group in groups.values()]


def _shard(entry: dict) -> tuple[int, int]:
    shard = entry.get("shard") or (1, 1)
    return int(shard[0]), int(shard[1])


def _check_parts(groups: dict) -> None:
    """One scenario's entries are parts of one run: one N, each shard once, one seed."""
    seeds: dict[tuple, tuple] = {}
    for (file, name, method, seed), group in groups.items():
        where = f"{name} [{method}] ({file})"
        other = seeds.setdefault((file, name, method), (seed, group[0][0]))
        if other[0] != seed:
            raise MergeError(f"{group[0][0]}: {where} ran with seed {seed}, but with seed {other[0]} in {other[1]}: "
                             "parts of one run share a seed (give every shard the same --seed)")
        first_path, first = group[0]
        seen: dict[int, str] = {}
        for path, entry in group:
            k, n = _shard(entry)
            if n != _shard(first)[1]:
                raise MergeError(f"{path}: {where} is shard {k}/{n}, but {first_path} has it as a part of "
                                 f"{_shard(first)[1]}: shards of one run share N")
            if k in seen:
                raise MergeError(f"{path}: {where} shard {k}/{n} is in {seen[k]} too: each part once")
            seen[k] = path


def _combined(entries: list[dict]) -> ScenarioResult:
    first = entries[0]
    best = min(entries, key=lambda e: _example_order(e))
    r = ScenarioResult(first["name"], first["file"], first["start_method"], first["expected_anomaly"], first["seed"],
                       max(e.get("trials_planned", e["trials_run"]) for e in entries), first.get("description", ""))
    r.trials_run = sum(e["trials_run"] for e in entries)
    for e in entries:
        for kind, count in e["outcomes"].items():
            r.outcomes[kind] = r.outcomes.get(kind, 0) + count
    detections = [e["first_detection"] for e in entries if e.get("first_detection") is not None]
    r.first_detection = min(detections) if detections else None
    r.example, r.output = best.get("example"), best.get("output", [])
    r.rerun = best.get("rerun", "") if r.example is not None else _whole_rerun(best.get("rerun", ""))
    r.error = next((e["error"] for e in entries if e.get("error")), None)
    r.interrupted = any(e.get("interrupted") for e in entries)
    r.same_crash = any(e.get("stopped") == "same_crash" for e in entries)
    r.duration_s = sum(e.get("duration_s", 0.0) for e in entries)
    r.replayed_trial = first.get("replayed_trial")
    r.index_counts = _index_counts([e.get("index_counts") for e in entries])
    r.observed_finals, r.observed_finals_other = _finals([e.get("observed_finals") for e in entries])
    if len(entries) == 1 and _shard(first) == (1, 1):
        r.certificate = first.get("certificate")  # a whole run: as it was
    elif not r.is_canary and not r.error and r.trials_run and r.outcomes.get("ok") == r.trials_run:
        r.certificate = combined_certificate(entries, r.trials_run)
    return r


def _whole_rerun(rerun: str) -> str:
    """A part's rerun line without its ``--shard K/N``: the rerun of the whole."""
    import shlex

    words = shlex.split(rerun)
    if "--shard" in words:
        at = words.index("--shard")
        del words[at:at + 2]
    return " ".join(shlex.quote(w) for w in words)


def _example_order(entry: dict) -> tuple:
    example = entry.get("example")
    if example is None:
        return (9, 0)
    return (example_rank(entry["expected_anomaly"], example.get("kind")), example.get("trial", 0))


def _index_counts(counts: list) -> dict | None:
    counts = [c for c in counts if c]
    if not counts or any((c["size"], c["cell"]) != (counts[0]["size"], counts[0]["cell"]) for c in counts):
        return counts[0] if counts else None
    out = {"size": counts[0]["size"], "cell": counts[0]["cell"]}
    for kind in ("lost_update", "torn_read"):
        out[kind] = [sum(row) for row in zip(*(c[kind] for c in counts))]
    return out


def _finals(parts: list) -> tuple[list, int]:
    """The distinct final arrays of every part, the same array's trials added up."""
    shown: dict[str, dict] = {}
    other = sum(p.get("other_trials", 0) for p in parts if p)
    for part in parts:
        for final in (part or {}).get("shown", []):
            key = json.dumps({k: v for k, v in final.items() if k not in ("trials", "first_trial")}, sort_keys=True)
            if key in shown:
                shown[key]["trials"] += final["trials"]
                shown[key]["first_trial"] = min(shown[key]["first_trial"], final["first_trial"])
            elif len(shown) < MAX_FINALS:
                shown[key] = dict(final)
            else:
                other += final["trials"]
    return list(shown.values()), other


def combined_certificate(entries: list[dict], trials: int) -> dict | None:
    """The certificate of the whole from the parts' (None when a part has none); parts that
    ran different searches are refused (:class:`MergeError`): their certificates do not add
    up. A part missing from a sampled run is said in its text."""
    certs = [e.get("certificate") for e in entries]
    if not all(certs):
        return None
    kinds = sorted({c["kind"] for c in certs})
    if len(kinds) != 1:
        first = entries[0]
        raise MergeError(f"{first['file']}: {first['name']} [{first['start_method']}]: its parts ran different "
                         f"searches ({', '.join(kinds)}); merge the parts of one run")
    if kinds[0] == "exhaustive":
        return _exhaustive(entries, certs)
    out = _sampled(kinds[0], certs, trials)
    missing = _missing(entries)
    if missing:
        out["missing"] = missing
        out["text"] += f" (only {trials} trials: shard(s) {', '.join(map(str, missing))} missing)"
    return out


def _sampled(kind: str, certs: list[dict], trials: int) -> dict:
    if kind == "pct":
        return certificates.pct(trials, max(c["depth"] for c in certs), max(c["actors"] for c in certs),
                                max(c["steps"] for c in certs))
    if kind == "directed":
        distinct = trials - sum(c.get("repeated", 0) for c in certs)  # trial 1 is every shard's
        unseen = _unseen(certs)
        return certificates.sampled("directed", distinct, predicted=max(c.get("predicted", 0) for c in certs),
                                    realized=sum(c.get("realized", 0) for c in certs),
                                    **({"unseen": unseen} if unseen else {}))
    if kind == "mixed":  # the controlled trials' own certificates combine, the timing trials add up
        inner = [c["controlled"] for c in certs]
        controlled = _sampled(inner[0]["kind"], inner, sum(c["trials"] for c in inner))
        return certificates.mixed(controlled, sum(c.get("timing_trials", 0) for c in certs))
    return certificates.sampled(kind, trials)


def _unseen(certs: list[dict]) -> list[int]:
    """The indices the parts saw change with no traced write (every part's, in order)."""
    return sorted({i for c in certs for i in c.get("unseen", ())})[:certificates.MAX_UNSEEN]


def _missing(entries: list[dict]) -> list[int]:
    n = _shard(entries[0])[1]
    present = {_shard(e)[0] for e in entries}
    return [k for k in range(1, n + 1) if k not in present]


def _exhaustive(entries: list[dict], certs: list[dict]) -> dict:
    n = _shard(entries[0])[1]
    missing = _missing(entries)
    trials = sum(c["trials"] for c in certs)
    interleavings = sum(c["interleavings"] for c in certs)
    inexact = sum(c.get("inexact", 0) for c in certs)
    complete = not missing and all(c["complete"] for c in certs)
    assumes = sorted({a for c in certs for a in c.get("assumes", ())})
    unseen = _unseen(certs)
    out = certificates.exhaustive(trials, interleavings, complete, inexact, assumes=assumes, unseen=unseen)
    out.update(shards=n, shared=sum(c.get("shared", 0) for c in certs))
    if missing:
        out["missing"] = missing
    if missing and not unseen:  # unseen writes are the reason, whatever the parts' budgets did
        out["text"] = (f"inconclusive: {interleavings} distinct interleavings explored in {trials} trials by "
                       f"{n - len(missing)} of {n} shards; shard(s) {', '.join(map(str, missing))} missing")
    elif not complete and not inexact and not unseen:
        unfinished = [_shard(e)[0] for e, c in zip(entries, certs) if not c["complete"]]
        out["text"] += f" (shard(s) {', '.join(map(str, sorted(unfinished)))} did not finish their part)"
    else:
        out["text"] += f", by {n} shards"
    return out
