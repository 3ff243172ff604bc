"""``harness explain``: what a scenario will do and expect, in words, without running it.

Promise: :func:`explain` is a pure function of a :class:`~harness.plan.Plan`: the processes
and their ranges, the expected final array, which indices are checked (and why not), and
every pair of groups that can race, on which indices, under which lock policy, and why.
"""

from __future__ import annotations

from .cvalues import CTYPES
from .ops import op_of
from .plan import Plan
from .scenario import DEFAULT_TIMEOUT_S
from .settings import default_timeout_s, element_steps


def _runs(indices: list[int]) -> str:
    """[0, 1, 2, 5] -> '0-2, 5'"""
    out, i = [], 0
    while i < len(indices):
        j = i
        while j + 1 < len(indices) and indices[j + 1] == indices[j] + 1:
            j += 1
        out.append(str(indices[i]) if i == j else f"{indices[i]}-{indices[j]}")
        i = j + 1
    return ", ".join(out)


def _array_line(plan: Plan) -> str:
    a = plan.scenario.array
    ct = CTYPES[a.typecode]
    kind = (f"{'single' if ct.bits == 32 else 'double'}-precision float" if ct.is_float
            else f"{ct.bits}-bit {'signed' if ct.signed else 'unsigned'} integer")
    lock = "true (Array with its own RLock)" if a.lock else "false (a raw shared ctypes array, no lock)"
    return f"array: typecode '{a.typecode}' ({kind}), {a.size} elements, lock: {lock}"


def _process_line(p) -> str:
    extra = f", think {p.think_us} us" if p.think_us else ""
    return (f"  {p.worker:>3}  {p.group}[{p.index}]: {op_of(p.op).describe(p)} on [{p.start}, {p.stop}), "
            f"{p.loops} loop{'s' if p.loops != 1 else ''}, lock: {p.lock}{extra}")


def _short(values: list, limit: int = 40) -> str:
    """The expected array for people: ``?`` where an index is not checked; a long array as
    runs of one value (``1 x5000``), so the one index that differs in 10,000 shows."""
    legend = " (?: not checked)" if None in values else ""
    if len(values) <= limit:
        return "[" + ", ".join("?" if v is None else repr(v) for v in values) + "]" + legend
    runs: list[list] = []
    for v in values:
        if runs and runs[-1][0] == v:
            runs[-1][1] += 1
        else:
            runs.append([v, 1])
    shown = ", ".join(("?" if v is None else repr(v)) + (f" x{n}" if n > 1 else "") for v, n in runs[:limit])
    more = f", ... ({len(values)} in all)" if len(runs) > limit else ""
    return f"[{shown}{more}]{legend}"


def explain(plan: Plan) -> str:
    s = plan.scenario
    lines = [f"scenario {s.name} ({s.path})"]
    if s.description:
        lines.append(f"  {s.description.strip()}")
    lines.append(_array_line(plan))
    lines.append(f"processes: {len(plan.processes)}")
    lines.extend(_process_line(p) for p in plan.processes)
    exp = plan.expectation
    source = "expect.final" if s.expect.final is not None else "the model (the sequential result of every step)"
    lines.append(f"expected final array, from {source}:")
    lines.append("  " + _short(exp.shown()))
    unchecked = [i for i, e in enumerate(exp.indices) if not e.checked]
    if not unchecked:
        lines.append(f"checked indices: all {len(exp.indices)}")
    else:
        checked = [i for i, e in enumerate(exp.indices) if e.checked]
        lines.append(f"checked indices: {_runs(checked) or 'none'}")
        reasons: dict[str, list[int]] = {}
        for i in unchecked:
            reasons.setdefault(exp.indices[i].reason, []).append(i)
        for reason, idx in reasons.items():
            lines.append(f"unchecked: {_runs(idx)}: {reason}")
    # indices grouped only when they accept the same results for the same reason
    several: dict[tuple, list[int]] = {}
    for i, e in enumerate(exp.indices):
        if len(e.values) > 1 or e.tolerance:
            several.setdefault((e.reason, tuple(e.values), e.tolerance), []).append(i)
    for (reason, _, _), idx in several.items():
        e = exp.indices[idx[0]]
        accepted = " or ".join(map(str, e.values[:8])) + (" ..." if len(e.values) > 8 else "")
        if e.tolerance:
            accepted += f" (within {e.tolerance:.3g})"
        lines.append(f"several results accepted at {_runs(idx)}: {accepted}: {reason}")
    lines.append("races:")
    if not plan.conflicts:
        lines.append("  none: no two processes touch a common index where one of them writes")
    for c in plan.conflicts:
        pair = f"{c.first} x {c.second}" if c.first != c.second else f"{c.first} x itself"
        if c.kind == "order":
            verdict = "no race that matters"
        elif c.can_race:
            verdict = f"CAN RACE ({c.kind.replace('_', ' ')})"
        else:
            verdict = f"no {c.kind.replace('_', ' ')}"
        lines.append(f"  {pair} on [{c.start}, {c.stop}): {verdict}: {c.reason}")
    want = s.expect.anomaly
    if want == "none":
        rule = "passes when every trial is ok"
    else:
        rule = f"a canary: passes when {want} shows in at least one trial and no trial crashes or hangs"
    warning = expectation_warning(plan)
    if warning:
        rule += f"; WARNING: the analysis above {warning}"
    lines.append(f"verdict: {rule}")
    lines.extend(_timeout_lines(s))
    return "\n".join(lines) + "\n"


def _timeout_lines(s) -> list[str]:
    """The trial timeout, where the file gives none and the default grew with the work."""
    if s.run.timeout_s is not None:
        return []
    timeout = default_timeout_s(s)
    if timeout == DEFAULT_TIMEOUT_S:
        return []
    return [f"trial timeout: {timeout:g} s (no run.timeout_s: the default {DEFAULT_TIMEOUT_S:g} s, grown for "
            f"{element_steps(s):,} element steps)"]


def expectation_warning(plan: Plan) -> str | None:
    """Where the race analysis disagrees with what the scenario expects: a safe scenario
    whose workers can race, a canary whose race cannot happen; ``harness validate`` warns
    with the same words."""
    racy = {c.kind for c in plan.conflicts if c.can_race}
    want = plan.scenario.expect.anomaly
    if want == "none" and racy - {"any"}:
        return f"says it can show {', '.join(sorted(racy))}"
    if want not in ("none", "any") and want not in racy and "any" not in racy:
        return f"finds no way to get {want}"
    return None
