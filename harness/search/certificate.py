"""Certificates: what a clean run covered, and what that guarantees, in numbers and one line.

Promise: each function returns the JSON report's ``certificate`` object (``kind``, ``trials``,
the kind's own numbers, and ``text``, the console line). Exhaustive: how many interleavings
ran and whether that was all of them (``complete``; an exhausted budget is never called
verified). PCT: the least probability with which the trials would have found any bug of depth
at most ``d`` (Burckhardt et al.: at least ``1 / (n * k**(d-1))`` per trial, for ``n`` actors
and ``k`` steps). Random, directed and timing injection: the largest per-trial probability of
a race that ``trials`` clean trials would still have missed with 5% chance, ``1 - 0.05**(1/T)``
(``free``: the same, for trials run without injection).
"""

from __future__ import annotations

CONFIDENCE = 0.95


MAX_UNSEEN = 8  # indices a certificate names that changed where no traced write explains


def miss_bound(trials: int) -> float:
    """The per-trial probability above which T clean trials would have shown the race with
    95% confidence."""
    return 1.0 if trials <= 0 else 1.0 - (1.0 - CONFIDENCE) ** (1.0 / trials)


def _percent(p: float) -> str:
    return f"{100 * p:.3g}%"


def exhaustive(trials: int, interleavings: int, complete: bool, inexact: int = 0, shard=(1, 1),
               shared: int = 0, assumes=(), interrupted: bool = False, unseen=()) -> dict:
    """``inexact``: trials that did not follow their schedule (the code's path depended on
    more than the order of its steps), so coverage cannot be claimed however far it went.
    ``shard``: (K, N), the part of the space this covers; ``shared``: its trials that ran
    another shard's paths, to learn where the space splits. ``assumes``: what the scheduler's
    model of time took for granted (a sleep outlasting the others' work): the proof holds under
    it, and says so. ``interrupted``: the run stopped early (Ctrl-C, SIGTERM), not its budget.
    ``unseen``: indices that changed where no step the scheduler saw wrote (the code wrote
    through the array's buffer): the search never saw those accesses, so it proves nothing."""
    out = _exhaustive(trials, interleavings, complete and not unseen, inexact, interrupted, unseen)
    if assumes:
        out["assumes"] = list(assumes)
        out["text"] += "; assuming " + " and ".join(assumes)
    if shard[1] > 1:
        out.update(shard=list(shard), shared=shared)
        out["text"] = f"shard {shard[0]}/{shard[1]}: " + out["text"].replace(
            "distinct interleavings", "distinct interleavings of its part", 1)
    return out


def _counted(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _exhaustive(trials: int, interleavings: int, complete: bool, inexact: int, interrupted: bool = False,
                unseen=()) -> dict:
    if complete:
        text = (f"verified: {'the only' if interleavings == 1 else 'all'} {_counted(interleavings, 'distinct interleaving')}"
                f" (up to reordering of independent steps), in {_counted(trials, 'trial')}")
    elif unseen:  # whatever else held, the search never saw these accesses
        text = (f"inconclusive: {_counted(interleavings, 'distinct interleaving')} explored, but the array changed "
                f"where no access the scheduler saw wrote (index {', '.join(map(str, unseen))}): accesses through "
                "its buffer (numpy, memoryview) are not seen, so coverage is not proven")
    elif inexact:
        text = (f"inconclusive: {_counted(interleavings, 'distinct interleaving')} explored, but {inexact} trial(s) did "
                "not follow their schedule (a spin loop that yielded where the search wanted it to run, or code whose "
                "path depends on more than the order of its steps), so coverage is not proven")
    elif interrupted:
        text = (f"inconclusive: {_counted(interleavings, 'distinct interleaving')} explored in "
                f"{_counted(trials, 'trial')}, and the run was interrupted before all were")
    else:
        # their number grows exponentially with the steps: past a small scenario, a bigger
        # budget alone rarely reaches the end
        text = (f"inconclusive: {_counted(interleavings, 'distinct interleaving')} explored in "
                f"{_counted(trials, 'trial')}, the budget ran out before all were (raise --trials, or make the "
                "scenario smaller: their number grows exponentially with processes, loops and elements)")
    out = {"kind": "exhaustive", "trials": trials, "interleavings": interleavings, "complete": complete,
           "text": text}
    if inexact:
        out["inexact"] = inexact
    if unseen:
        out["unseen"] = list(unseen)
    return out


def interrupted(cert: dict) -> dict:
    """An unfinished exhaustive certificate of a run that was stopped early: it says so,
    instead of blaming the budget. Any other certificate is returned as it is."""
    if cert.get("kind") != "exhaustive" or cert["complete"] or cert.get("inexact") or cert.get("unseen"):
        return cert
    return exhaustive(cert["trials"], cert["interleavings"], False, shard=tuple(cert.get("shard", (1, 1))),
                      shared=cert.get("shared", 0), assumes=cert.get("assumes", ()), interrupted=True)


def pct(trials: int, depth: int, actors: int, steps: int) -> dict:
    per_trial = 1.0 / (max(1, actors) * max(1, steps) ** max(0, depth - 1))
    found = 1.0 - (1.0 - per_trial) ** trials
    return {"kind": "pct", "trials": trials, "depth": depth, "actors": actors, "steps": steps, "bound": found,
            "text": f"PCT depth {depth} over {trials} trials ({actors} actors, up to {steps} steps): a bug of "
                    f"depth <= {depth} would have been found with probability >= {_percent(found)}"}


def _realized(numbers: dict) -> str:
    predicted = numbers.get("predicted", 0)
    lead = "no race predicted from the recorded trial" if not predicted else \
        f"{numbers.get('realized', 0)} of {predicted} predicted races realized"
    if numbers.get("unseen"):  # what the recording could not see, it could not predict
        lead += (f" (its array changed where no access the scheduler saw wrote, index "
                 f"{', '.join(map(str, numbers['unseen']))}: accesses through the buffer, numpy or memoryview, "
                 "are not seen, so their races are not predicted)")
    return lead + "; "


def mixed(controlled: dict, timing_trials: int) -> dict:
    """Controlled trials (their search's certificate) and free trials with timing injection:
    the miss bound of all of them together."""
    trials = controlled["trials"] + timing_trials
    bound = miss_bound(trials)
    lead = _realized(controlled) if controlled["kind"] == "directed" else ""
    return {"kind": "mixed", "trials": trials, "bound": bound, "controlled": controlled,
            "timing_trials": timing_trials,
            "text": f"{lead}{trials} clean trials ({controlled['trials']} under the controlled scheduler, "
                    f"{controlled['kind']}; {timing_trials} with timing injection): a race showing in more than "
                    f"{_percent(bound)} of trials would have been seen (95% confidence)"}


def sampled(kind: str, trials: int, **extra) -> dict:
    """random, directed or timing: the rule of the miss bound."""
    bound = miss_bound(trials)
    how = {"random": "random schedules", "directed": "directed and random schedules",
           "timing": "timing injection", "free": "free running (no injection)"}[kind]
    lead = _realized(extra) if kind == "directed" else ""
    return {"kind": kind, "trials": trials, "bound": bound, **extra,
            "text": f"{lead}{trials} clean trials of {how}: a race showing in more than {_percent(bound)} of "
                    "trials would have been seen (95% confidence)"}
