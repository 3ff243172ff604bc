"""The HTML report: one self-contained page per run, to read in a browser or a CI artifact.

Promise: :func:`to_html` renders a run, finished or interrupted, from the JSON report's document
(:func:`harness.report.json_report.to_dict`, so every field the JSON has is here to draw) plus the
command line and the run's duration; :func:`document_html` does the same from a document already
built (the pytest plugin's). The page loads nothing: its CSS and script are inline, and a Content
Security Policy forbids every other source, so it opens from a CI artifact without network access.
Everything that comes from the run (names, paths, outputs, tracebacks) is escaped.

What it shows: the run (verdicts per scenario and start method, failures first; seed, duration,
command line), then each scenario and start method: its verdict and certificate, an outcome table
in the manner of jcstress (each distinct observed result, its trials, whether acceptable), a strip
of the array's indices coloured by how often each lost an update or tore, the first detection, the
example trial, the trace of a controlled trial as swimlanes (one lane per worker and thread, time
running down, conflicting accesses marked and linked), and the rerun and replay commands with copy
buttons. Light and dark (``prefers-color-scheme``), keyboard-usable, printable.

Decision: bounded size. Long texts keep their end, a trace keeps its marked steps and those nearest
them, and once the page holds :data:`PAGE_DETAIL_BUDGET` characters of failure detail, later
failures show their summary and tables only and point to the JSON report.
"""

from __future__ import annotations

import html
import json
import re
import shlex

from .html_style import PAGE_CSS, PAGE_SCRIPT
from .json_report import to_dict

MAX_TEXT = 8_000  # characters of one output, traceback or stack (its end: where it failed)
MAX_ENTRY_TEXT = 25_000  # characters of such texts in one scenario and start method
MAX_VALUES = 64  # values of an array drawn
MAX_CAPTION_VALUES = 16  # an expected final array this short heads the outcome table
MAX_FINALS_OPEN = 5  # distinct final arrays in view; the others unfold on request (always in print)
MAX_TRACE_STEPS = 150  # steps of one trace drawn
PAGE_DETAIL_BUDGET = 1_000_000  # characters of example, trace and output markup in one page

KIND_WORDS = {"ok": "ok", "lost_update": "lost update", "torn_read": "torn read", "crash": "crash",
              "hang": "hang", "deadlock": "deadlock", "uncontrolled": "uncontrolled"}
KIND_MEANING = {
    "ok": "final array as expected, every snapshot consistent",
    "lost_update": "the final array differs from the expected one",
    "torn_read": "a reader saw a snapshot that broke its check",
    "crash": "a worker raised or died",
    "hang": "the trial passed its timeout",
    "deadlock": "every worker waited for a lock another held",
    "uncontrolled": "a worker blocked where the scheduler cannot see; the trial ran free",
}
MARK_MEANING = {
    "stale-read": "stale read: its value was overwritten by another worker before this one wrote",
    "overwritten": "overwritten: this write was lost",
    "conflict": "conflict: the write that overwrote it",
    "torn-inside": "torn: a write that fell inside a reader's snapshot",
    "snapshot": "snapshot: a read of the torn snapshot",
}
NO_TRACE = ("No trace: this failure was found by timing injection, which records no accesses. "
            "Rerun it under the controlled scheduler (<code>--inject controlled</code>) for a trace "
            "of the accesses that made it.")


def _e(value) -> str:
    return html.escape(str(value), quote=True)


def _value(value) -> str:
    if isinstance(value, float):
        return repr(value)
    if value is None:
        return "null"
    return str(value)


class _Budget:
    """Characters of failure detail the page may still take (sections render in page order)."""

    def __init__(self, chars: int):
        self.left = chars

    def take(self, text: str) -> bool:
        if len(text) > self.left:
            return False
        self.left -= len(text)
        return True


# -- the page ------------------------------------------------------------------------------------

def to_html(report, *, command: str, duration_s: float | None = None) -> str:
    """The page for a RunReport; ``command`` is the command line that ran it; the duration is
    the report's own unless given (without either, the scenarios' durations summed)."""
    if duration_s is None:
        duration_s = getattr(report, "duration_s", None) or None
    return document_html(to_dict(report), command=command, duration_s=duration_s)


def verdict(entry: dict) -> str:
    if entry.get("interrupted"):
        return "STOP"
    if entry.get("error"):
        return "ERROR"
    if entry.get("verdict") == "inconclusive":
        return "INCONCLUSIVE"
    return "PASS" if entry.get("passed") else "FAIL"


def failures_first(entries: list[dict]) -> list[tuple[str, dict]]:
    """(section id, entry) pairs, failed and unrunnable ones first, then stopped, then passed;
    run order within each."""
    rank = {"FAIL": 0, "ERROR": 0, "INCONCLUSIVE": 1, "STOP": 1, "PASS": 2}
    numbered = [(f"r{n}", e) for n, e in enumerate(entries, start=1)]
    return sorted(numbered, key=lambda pair: rank[verdict(pair[1])])


def document_html(doc: dict, *, command: str, duration_s: float | None = None) -> str:
    entries = failures_first(doc.get("scenarios", []))
    budget = _Budget(PAGE_DETAIL_BUDGET)
    sections = "".join(_section(sid, entry, budget) for sid, entry in entries)
    failed = sum(verdict(e) != "PASS" for _, e in entries)
    state = "INTERRUPTED" if doc.get("interrupted") else ("PASSED" if doc.get("passed") else "FAILED")
    title = f"harness {state}: {failed} of {len(entries)} not passed, seed {doc.get('seed')}"
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<meta name=\"color-scheme\" content=\"light dark\">\n"
        f"<title>{_e(title)}</title>\n<style>{PAGE_CSS}</style>\n</head>\n<body>\n"
        "<a class=\"skip\" href=\"#summary\">Skip to the summary</a>\n"
        f"<header>{_run_header(doc, state, entries, command, duration_s)}</header>\n<main>\n"
        f"{_summary(entries)}\n<h2 class=\"results-head\">Scenarios</h2>\n"
        "<p class=\"toolbar\"><button type=\"button\" class=\"js-only\" data-action=\"expand\">Expand all</button> "
        "<button type=\"button\" class=\"js-only\" data-action=\"collapse\">Collapse all</button></p>\n"
        f"{sections}</main>\n<div id=\"status\" class=\"visually-hidden\" role=\"status\" aria-live=\"polite\"></div>\n"
        f"<script>{PAGE_SCRIPT}</script>\n</body>\n</html>\n"
    )


def _run_header(doc: dict, state: str, entries, command: str, duration_s: float | None) -> str:
    counts: dict[str, int] = {}
    for _, e in entries:
        counts[verdict(e)] = counts.get(verdict(e), 0) + 1
    words = ", ".join(f"{counts[v]} {w}" for v, w in (("FAIL", "failed"), ("ERROR", "could not run"),
                                                     ("INCONCLUSIVE", "inconclusive"), ("STOP", "interrupted"),
                                                     ("PASS", "passed")) if counts.get(v))
    if duration_s is None:
        duration_s = sum(e.get("duration_s", 0.0) for _, e in entries)
    methods = ", ".join(dict.fromkeys(e.get("start_method", "?") for _, e in entries)) or "none"
    facts = [("seed", _e(doc.get("seed"))), ("duration", f"{duration_s:.1f} s"),
             ("scenario runs", f"{len(entries)} ({_e(methods)})"),
             ("trials", f"{sum(e.get('trials_run', 0) for _, e in entries):,}")]
    dl = "".join(f"<div><dt>{k}</dt><dd>{v}</dd></div>" for k, v in facts)
    return (f"<h1><span class=\"badge big v-{state.lower()}\">{state}</span> harness run</h1>\n"
            f"<p class=\"lead\">{_e(words or 'nothing ran')}</p>\n<dl class=\"facts\">{dl}</dl>\n"
            f"{_copyable('Command line', command, 'cmd-run')}")


def _summary(entries) -> str:
    methods = list(dict.fromkeys(e.get("start_method", "?") for _, e in entries))
    rows: dict[tuple, dict] = {}
    for sid, e in entries:  # failures first: a scenario's row sits where its worst verdict puts it
        rows.setdefault((e.get("name"), e.get("file")), {})[e.get("start_method", "?")] = (sid, e)
    head = "".join(f"<th scope=\"col\">{_e(m)}</th>" for m in methods)
    body = []
    for (name, file), by_method in rows.items():
        any_entry = next(iter(by_method.values()))[1]
        cells = []
        for m in methods:
            if m not in by_method:
                cells.append("<td class=\"none\">not run</td>")
                continue
            sid, e = by_method[m]
            v = verdict(e)
            cells.append(f"<td><a class=\"badge v-{v.lower()}\" href=\"#{sid}\" "
                         f"aria-label=\"{v} {_e(name)} under {_e(m)}\">{v}</a></td>")
        body.append(f"<tr><th scope=\"row\"><span class=\"name\">{_e(name)}</span>"
                    f"<span class=\"file\">{_e(file)}</span></th><td>{_kind(any_entry)}</td>{''.join(cells)}</tr>")
    return (f"<section id=\"summary\" aria-labelledby=\"summary-h\"><h2 id=\"summary-h\">Summary</h2>\n"
            f"<div class=\"scroll\"><table class=\"summary\"><thead><tr><th scope=\"col\">scenario</th>"
            f"<th scope=\"col\">expects</th>{head}</tr></thead>\n<tbody>{''.join(body)}</tbody></table></div></section>")


def _kind(entry: dict) -> str:
    want = entry.get("expected_anomaly", "none")
    if want == "none":
        return "<span class=\"kind\">safe: every trial ok</span>"
    return f"<span class=\"kind canary\">canary: {_e(KIND_WORDS.get(want, want) if want != 'any' else 'any race')}</span>"


# -- one scenario under one start method ----------------------------------------------------------

def _section(sid: str, entry: dict, budget: _Budget) -> str:
    v = verdict(entry)
    opened = " open" if v != "PASS" else ""
    parts = [_facts(entry), _certificate(entry), _problem(entry), _outcome_table(sid, entry),
             _index_strip(entry)]
    room = _Budget(MAX_ENTRY_TEXT)
    detail = _example(sid, entry, room) + _output(entry, room)
    if detail and not budget.take(detail):
        detail = ("<p class=\"note\">The example, trace and output of this failure are left out: this page "
                  "already holds as much failure detail as it keeps small. The JSON report (<code>--json</code>) "
                  "has them all.</p>")
    parts.append(detail)
    parts.append(_commands(sid, entry))
    desc = entry.get("description")
    return (f"<section class=\"result r-{v.lower()}\" id=\"{sid}\" aria-labelledby=\"{sid}-h\">\n"
            f"<details{opened}><summary><h3 id=\"{sid}-h\"><span class=\"badge v-{v.lower()}\">{v}</span> "
            f"{_e(entry.get('name'))} <span class=\"method\">[{_e(entry.get('start_method'))}]</span></h3>"
            f"<span class=\"line\">{_e(_one_line(entry))}</span></summary>\n"
            f"<p class=\"file\">{_e(entry.get('file'))}{' · ' + _e(desc) if desc else ''}</p>\n"
            f"{''.join(parts)}</details></section>\n")


def _one_line(entry: dict) -> str:
    run, planned = entry.get("trials_run", 0), entry.get("trials_planned", entry.get("trials_run", 0))
    counts = ", ".join(f"{KIND_WORDS.get(k, k)} {n}" for k, n in entry.get("outcomes", {}).items() if n)
    first = entry.get("first_detection")
    found = f"; first detection in trial {first}" if first else ""
    return f"{run} of at most {planned} trials ({counts or 'none'}){found}"


def _facts(entry: dict) -> str:
    first = entry.get("first_detection")
    facts = [("expects", _kind(entry)),
             ("trials", f"{entry.get('trials_run', 0):,} run of at most {entry.get('trials_planned', 0):,}"),
             ("first detection", f"trial {_e(first)}" if first else "none"),
             ("seed", _e(entry.get("seed"))), ("duration", f"{entry.get('duration_s', 0.0):.2f} s")]
    if entry.get("replayed_trial") is not None:
        facts.append(("replayed", f"trial {_e(entry['replayed_trial'])}, every trial"))
    return "<dl class=\"facts\">" + "".join(f"<div><dt>{k}</dt><dd>{v}</dd></div>" for k, v in facts) + "</dl>\n"


def _certificate(entry: dict) -> str:
    cert = entry.get("certificate")
    if not isinstance(cert, dict):
        return ""
    kind = _e(cert.get("kind", "?"))
    extra = " (the whole space)" if cert.get("complete") else ""
    return (f"<p class=\"cert\"><span class=\"label\">certificate</span> <span class=\"tag\">{kind}{extra}</span> "
            f"{_e(cert.get('text', ''))}</p>\n")


def _problem(entry: dict) -> str:
    if entry.get("error"):
        return f"<p class=\"problem\">Could not run: {_e(entry['error'])}</p>\n"
    if entry.get("interrupted"):
        return "<p class=\"problem\">Interrupted: no verdict; the counts are the trials that finished.</p>\n"
    want, outcomes = entry.get("expected_anomaly", "none"), entry.get("outcomes", {})
    if want == "none" or entry.get("passed") or _sought_count(want, outcomes):
        return ""
    run = _e(entry.get("trials_run", 0))
    broken = sum(outcomes.get(k, 0) for k in ("crash", "hang", "deadlock"))
    if broken:  # more trials would not help: the workers never ran to the end
        return (f"<p class=\"problem\">The canary's race was not seen in {run} trials, {broken} of which crashed, "
                "hung or deadlocked: fix that first.</p>\n")
    return (f"<p class=\"problem\">The canary's race was not seen in {run} trials: raise <code>--trials</code> "
            "or loops, or check that the scenario really races.</p>\n")


def _sought(want: str, kind: str) -> bool:
    return kind in ("lost_update", "torn_read") if want == "any" else kind == want


def _sought_count(want: str, outcomes: dict) -> int:
    return sum(n for k, n in outcomes.items() if _sought(want, k))


def _judgement(want: str, kind: str) -> tuple[str, str]:
    """(words, class) for one outcome kind under the scenario's expectation."""
    if kind == "ok":
        return "acceptable", "ok"
    if kind == "uncontrolled":
        return "inconclusive: no verdict from these trials", "warn"
    if kind in ("crash", "hang", "deadlock") or want == "none":
        return "forbidden", "bad"
    if _sought(want, kind):
        return "acceptable, sought: the race this canary proves the harness sees", "sought"
    return "acceptable, not sought", "ok"


# -- outcomes and indices --------------------------------------------------------------------------

def _outcome_rows(entry: dict) -> list[tuple[str, int, str, bool]]:
    """(what was observed, trials, kind, folded) rows: ok, each distinct final array of a lost
    update (when the report kept them; the most frequent first, past MAX_FINALS_OPEN folded),
    then every other kind seen, and the kind a canary seeks."""
    want, outcomes = entry.get("expected_anomaly", "none"), entry.get("outcomes", {})
    rows = [(f"ok: {KIND_MEANING['ok']}", outcomes.get("ok", 0), "ok", False)]
    finals = entry.get("observed_finals") or {}
    expected = (entry.get("example") or {}).get("expected")
    for kind, count in outcomes.items():
        if kind == "ok" or not (count or _sought(want, kind)):
            continue
        if kind == "lost_update" and finals.get("shown"):
            shown = sorted(finals["shown"], key=lambda f: (-f.get("trials", 0), f.get("first_trial", 0)))
            for n, final in enumerate(shown):
                rows.append((f"lost update, final {_final_text(final, expected)} "
                             f"<span class=\"sub\">first in trial {_e(final.get('first_trial'))}</span>",
                             final.get("trials", 0), kind, n >= MAX_FINALS_OPEN))
            if finals.get("other_trials"):
                rows.append(("lost update, other final arrays", finals["other_trials"], kind, False))
            continue
        rows.append((f"{_e(KIND_WORDS.get(kind, kind))}: {_e(KIND_MEANING.get(kind, ''))}", count, kind, False))
    return rows


def _outcome_table(sid: str, entry: dict) -> str:
    want, run = entry.get("expected_anomaly", "none"), max(entry.get("trials_run", 0), 1)
    body, folded = [], 0
    for label, count, kind, fold in _outcome_rows(entry):
        words, cls = _judgement(want, kind)
        if count == 0 and cls == "sought":
            words, cls = "sought, not seen", "bad"
        share = 100.0 * count / run
        bar = f"<span class=\"bar\" style=\"width:{share:.1f}%\"></span>" if count else ""
        folded += fold
        body.append(f"<tr class=\"o-{cls}{' fold' if fold else ''}\"><td>{label}</td><td class=\"num\">{count:,}</td>"
                    f"<td class=\"share\">{bar}<span class=\"pct\">{share:.1f}%</span></td>"
                    f"<td class=\"judge\">{_e(words)}</td></tr>")
    expected = (entry.get("example") or {}).get("expected")
    caption = "Outcomes"
    if isinstance(expected, list) and 0 < len(expected) <= MAX_CAPTION_VALUES:
        caption += f" <span class=\"sub\">(expected final: {_array(expected, None)})</span>"
    unfold = (f"<button type=\"button\" class=\"js-only unfold\" data-unfold=\"{sid}-outcomes\" "
              f"aria-expanded=\"false\">Show {folded} more final arrays</button>\n") if folded else ""
    return (f"<table class=\"outcomes\" id=\"{sid}-outcomes\"><caption>{caption}</caption><thead><tr>"
            "<th scope=\"col\">observed</th><th scope=\"col\">trials</th><th scope=\"col\">share</th>"
            f"<th scope=\"col\">expectation</th></tr></thead><tbody>{''.join(body)}</tbody></table>\n{unfold}")


def _differs(value, want) -> bool:
    if want is None:
        return False  # an index the model does not check
    return value not in want if isinstance(want, list) else value != want


def _array(values: list, expected: list | None) -> str:
    """``[a, b, c]`` with the values that differ from ``expected`` marked; the first MAX_VALUES."""
    shown = []
    for i, v in enumerate(values[:MAX_VALUES]):
        text = _e(_value(v) if not isinstance(v, list) else "|".join(map(_value, v)))
        want = expected[i] if expected is not None and i < len(expected) else None
        shown.append(f"<mark>{text}</mark>" if _differs(v, want) else text)
    more = f", … {len(values) - MAX_VALUES:,} more" if len(values) > MAX_VALUES else ""
    return f"<code class=\"arr\">[{', '.join(shown)}{more}]</code>"


def _final_text(final: dict, expected) -> str:
    if "observed" in final:
        return _array(final["observed"], expected if isinstance(expected, list) else None)
    diffs = ", ".join(f"[{_e(i)}] = <mark>{_e(_value(v))}</mark>" for i, v in final.get("differences", {}).items())
    return f"<code class=\"arr\">{diffs}</code> <span class=\"sub\">(other indices as expected)</span>"


def _index_strip(entry: dict) -> str:
    counts = entry.get("index_counts")
    if not isinstance(counts, dict):
        return ""
    size, cell = counts.get("size", 0), max(counts.get("cell", 1), 1)
    rows = [_strip_row(kind, counts[kind], size, cell, entry.get("trials_run", 0))
            for kind in ("lost_update", "torn_read") if any(counts.get(kind) or ())]
    if not rows:
        return ""
    per = "one index per cell" if cell == 1 else f"{cell:,} neighbouring indices per cell"
    return (f"<div class=\"strip-box\"><h4>Where: indices of the array ({size:,}; {per})</h4>"
            f"{''.join(rows)}<p class=\"sub\">A cell's colour: in how many trials one of its indices lost an "
            "update or tore, darkest for the most (a lost update lists its first 64 differing indices).</p></div>\n")


def _strip_row(kind: str, row: list, size: int, cell: int, trials: int) -> str:
    top = max(row) or 1
    cells, hot = [], []
    for c, n in enumerate(row):
        lo, hi = c * cell, min((c + 1) * cell, size) - 1
        where = f"[{lo}]" if lo == hi else f"[{lo}–{hi}]"
        level = 0.0 if n == 0 else 0.25 + 0.75 * n / top
        cells.append(f"<span style=\"--h:{level:.2f}\" title=\"{where}: {n} of {trials} trials\"></span>")
        if n:
            hot.append((n, c, where))
    hot.sort(key=lambda t: (-t[0], t[1]))
    most = ", ".join(f"{where} in {n} trial{'s' if n != 1 else ''}" for n, _, where in hot[:5])
    words = KIND_WORDS[kind]
    label = f"{words}s by index: {most}" + (f", and {len(hot) - 5} more cells" if len(hot) > 5 else "")
    return (f"<div class=\"strip-row\"><span class=\"strip-label\">{words}s</span>"
            f"<div class=\"strip k-{kind}\" role=\"img\" aria-label=\"{_e(label)}\" "
            f"style=\"--cells:{len(row)}\">{''.join(cells)}</div>"
            f"<p class=\"strip-most\">most: {_e(most)}</p></div>")


# -- the example trial -----------------------------------------------------------------------------

def _pre(text: str, room: _Budget) -> str:
    """A long text keeps its end (where it failed); past the scenario's share, a note."""
    text = str(text)
    if len(text) > MAX_TEXT:
        text = f"…({len(text) - MAX_TEXT:,} earlier characters cut)\n" + text[-MAX_TEXT:]
    if not room.take(text):
        return "<p class=\"note\">(left out to keep the page small; the JSON report has it)</p>"
    return f"<pre>{_e(text)}</pre>"


def _lost_update(ex: dict, room: _Budget) -> str:
    """A short array whole, expected above observed; a long one as its differing values."""
    expected = ex.get("expected") if isinstance(ex.get("expected"), list) else None
    observed = ex.get("observed") if isinstance(ex.get("observed"), list) else None
    indices = ex.get("indices", [])
    rows = [("differing indices", _e(", ".join(map(str, indices)) or "none listed"))]
    if expected is not None and observed is not None and not ex.get("truncated") and len(observed) <= MAX_VALUES:
        return _rows(rows + [("expected", _array(expected, None)), ("observed", _array(observed, expected))])
    pairs = ex.get("differences") or {
        str(i): [expected[i], observed[i]] for i in indices
        if expected is not None and observed is not None and i < min(len(expected), len(observed))}
    diffs = "; ".join(f"[{_e(i)}] expected {_e(_value(w))}, observed <mark>{_e(_value(g))}</mark>"
                      for i, (w, g) in pairs.items())
    return _rows(rows + [("differences", f"<code class=\"arr\">{diffs or 'not listed'}</code>")])


def _torn_read(ex: dict, room: _Budget) -> str:
    unit = ex.get("unit", "pass")
    rows = [("reader", f"{_e(ex.get('group'))} (worker {_e(ex.get('worker'))}), {_e(unit)} {_e(ex.get('pass'))}"),
            ("check", _e(ex.get("check"))), ("snapshot", _array(ex.get("snapshot", []), None))]
    if ex.get("snapshot_length", 0) > len(ex.get("snapshot", [])):
        rows.append(("length", f"{ex['snapshot_length']:,} values; the first {len(ex['snapshot'])} shown"))
    if "previous" in ex:
        rows.append(("previous", _array(ex["previous"], None)))
    if "expected_sum" in ex:
        rows.append(("sums", f"expected {_e(_value(ex['expected_sum']))}, snapshot "
                             f"<mark>{_e(_value(ex.get('snapshot_sum')))}</mark>"))
    if ex.get("indices"):
        rows.append(("torn indices", _e(", ".join(map(str, ex["indices"])))))
    if ex.get("where"):
        rows.append(("read at", f"<code>{_e(ex['where'])}</code>"))
    if ex.get("torn_snapshots", 1) > 1:
        rows.append(("torn snapshots", f"{ex['torn_snapshots']:,} in this trial"))
    return _rows(rows)


def _crash(ex: dict, room: _Budget) -> str:
    who = f"{_e(ex.get('group'))} (worker {_e(ex.get('worker'))})" if "worker" in ex else "a worker"
    return _rows([("worker", who)]) + _pre(ex.get("error", ""), room)


def _hang(ex: dict, room: _Budget) -> str:
    rows = _rows([("not finished within", f"{_e(ex.get('timeout_s'))} s"),
                  ("unfinished", _e(", ".join(map(str, ex.get("stuck", [])))))])
    stacks = "".join(f"<details><summary>stack of {_e(who)}</summary>{_pre(stack, room)}</details>"
                     for who, stack in (ex.get("stacks") or {}).items())
    return rows + stacks


def _deadlock(ex: dict, room: _Budget) -> str:
    body = "".join(f"<tr><td>{_e(b.get('process'))}</td><td class=\"num\">{_e(b.get('thread', 0))}</td>"
                   f"<td><code>{_e(b.get('waits_for'))}</code></td><td>{_e(b.get('held_by'))}</td></tr>"
                   for b in ex.get("blocked", []) if isinstance(b, dict))
    return ("<table class=\"blocked\"><caption>Who waits for whom</caption><thead><tr><th scope=\"col\">process</th>"
            "<th scope=\"col\">thread</th><th scope=\"col\">waits for</th><th scope=\"col\">held by</th></tr></thead>"
            f"<tbody>{body}</tbody></table>")


EXAMPLE_VIEWS = {  # kind: (renderer, the example's keys it shows)
    "lost_update": (_lost_update, {"indices", "expected", "observed", "truncated", "differences"}),
    "torn_read": (_torn_read, {"worker", "group", "check", "pass", "snapshot", "snapshot_length", "torn_snapshots",
                               "previous", "expected_sum", "snapshot_sum", "where", "unit", "indices"}),
    "crash": (_crash, {"worker", "group", "error"}),
    "hang": (_hang, {"timeout_s", "stuck", "stacks"}),
    "deadlock": (_deadlock, {"blocked"}),
}


def _rows(rows: list[tuple[str, str]]) -> str:
    return "<dl class=\"rows\">" + "".join(f"<div><dt>{k}</dt><dd>{v}</dd></div>" for k, v in rows) + "</dl>"


def _example(sid: str, entry: dict, room: _Budget) -> str:
    ex = entry.get("example")
    if not isinstance(ex, dict):
        return ""
    kind = ex.get("kind", "?")
    render, shown = EXAMPLE_VIEWS.get(kind, (None, set()))
    body = render(ex, room) if render else ""
    rest = [(_e(k), _pre(_json_text(v), room) if isinstance(v, (dict, list))
             else _pre(v, room) if isinstance(v, str) and "\n" in v else _e(_value(v)))
            for k, v in ex.items() if k not in shown | {"trial", "kind", "replay", "trace"}]
    if rest:
        body += _rows(rest)
    if ex.get("trace"):
        body += _trace(sid, ex)
    elif kind in ("lost_update", "torn_read"):
        body += f"<p class=\"note no-trace\">{NO_TRACE}</p>"
    return (f"<div class=\"example\" id=\"{sid}-example\"><h4>Example: trial {_e(ex.get('trial'))}, "
            f"{_e(KIND_WORDS.get(kind, kind))}</h4>{body}</div>\n")


def _json_text(value) -> str:
    return json.dumps(value, indent=1, default=str)


def _output(entry: dict, room: _Budget) -> str:
    parts = []
    for out in entry.get("output") or []:
        text = str(out.get("text", ""))
        lines = text.count("\n") + (not text.endswith("\n"))
        parts.append(f"<details class=\"output\"><summary>output of worker {_e(out.get('worker'))} "
                     f"({lines:,} line{'s' if lines != 1 else ''})</summary>{_pre(text, room)}</details>")
    return "".join(parts)


# -- the trace as swimlanes --------------------------------------------------------------------------

def _lane_of(step: dict) -> tuple:
    worker = step.get("worker")
    return (worker if isinstance(worker, int) else -1, step.get("thread") or 0, str(step.get("process") or ""))


def _lane_name(lane: tuple) -> str:
    worker, thread, process = lane
    name = process or f"worker {worker}"
    return f"{name} · thread {thread}" if thread else name


def _kept_steps(trace: list) -> list[int]:
    """Positions of the steps drawn: all of a short trace; of a long one, the marked steps and
    those nearest them."""
    if len(trace) <= MAX_TRACE_STEPS:
        return list(range(len(trace)))
    marked = [k for k, s in enumerate(trace) if s.get("mark")][:MAX_TRACE_STEPS]
    if not marked:
        return list(range(MAX_TRACE_STEPS))
    rest = sorted((k for k in range(len(trace)) if k not in set(marked)),
                  key=lambda k: min(abs(k - m) for m in marked))
    return sorted(marked + rest[:MAX_TRACE_STEPS - len(marked)])


def _access_words(step: dict) -> str:
    op = str(step.get("op", "?"))
    if step.get("index") is not None:
        arrow = "=" if op == "write" else "→"
        span = f"{step['index']}:{step['stop']}" if step.get("stop") is not None else step["index"]
        more = ", …" if step.get("stop") is not None else ""
        return f"{op} a[{span}] {arrow} {_value(step.get('value'))}{more}"
    if step.get("lock") is not None:
        return f"{op} {step['lock']}"
    return op


def _where(step: dict) -> str:
    if step.get("location"):
        return str(step["location"])
    return f"pass {step['loop']}" if step.get("loop") is not None else ""


def _step_id(sid: str, step: dict) -> str:
    return f"{sid}-s{step.get('step')}"


def _trace(sid: str, ex: dict) -> str:
    trace = [s for s in ex.get("trace") or [] if isinstance(s, dict)]
    kept = _kept_steps(trace)
    lanes = sorted({_lane_of(trace[k]) for k in kept})
    column = {lane: n + 2 for n, lane in enumerate(lanes)}
    known = {str(trace[k].get("step")) for k in kept}
    cells, row, last = [], 2, -1
    for k in kept:
        if k != last + 1:
            cells.append(f"<div class=\"gap\" style=\"grid-row:{row}\">… {k - last - 1} steps not drawn</div>")
            row += 1
        cells.append(_step_cell(sid, trace, k, row, column[_lane_of(trace[k])], known))
        row, last = row + 1, k
    if kept and kept[-1] != len(trace) - 1:
        cells.append(f"<div class=\"gap\" style=\"grid-row:{row}\">… {len(trace) - 1 - kept[-1]} steps not drawn</div>")
        row += 1
    heads = "".join(f"<div class=\"lh\" style=\"grid-column:{column[lane]}\">{_e(_lane_name(lane))}</div>"
                    f"<div class=\"lane-line\" style=\"grid-column:{column[lane]};grid-row:1/{row}\"></div>"
                    for lane in lanes)
    grid = (f"<div class=\"lanes\" role=\"group\" aria-label=\"swimlanes: one lane per worker and thread, "
            f"time runs down\" style=\"grid-template-columns:4.5em repeat({len(lanes)},minmax(11em,1fr));"
            f"grid-template-rows:repeat({row - 1},auto)\"><div class=\"lh step-h\">step</div>{heads}"
            f"{''.join(cells)}</div>")
    return (f"<div class=\"trace\" id=\"{sid}-trace\"><h4>Trace <span class=\"sub\">({len(trace)} steps; one lane "
            f"per worker and thread; time runs down; focus or hover an access for its value)</span></h4>"
            f"{_conflict_chain(sid, trace, kept)}<div class=\"scroll\">{grid}</div>{_mark_legend(trace)}</div>")


def _step_cell(sid: str, trace: list, k: int, row: int, col: int, known: set) -> str:
    step = trace[k]
    mark = step.get("mark")
    words, where = _access_words(step), _where(step)
    tip = [f"#{step.get('step')} {_lane_name(_lane_of(step))}: {words}"]
    if step.get("value") is not None and step.get("index") is None:  # else the words carry it
        tip.append(f"value {_value(step['value'])}")
    tip += [where] if where else []
    tip += [MARK_MEANING.get(mark, str(mark))] if mark else []
    tip += [str(step["note"])] if step.get("note") else []
    links = _links(sid, trace, k, known) if mark else ""
    note = f"<span class=\"acc-note\">{_linked_note(sid, step['note'], known)}</span>" if step.get("note") else ""
    mark_cls = f" m-{_e(mark)}" if mark else ""
    badge = f"<span class=\"mark-badge\">{_e(mark)}</span>" if mark else ""
    where_html = f"<span class=\"acc-where\">{_e(where)}</span>" if where else ""
    return (f"<div class=\"st\" style=\"grid-row:{row}\">#{_e(step.get('step'))}</div>"
            f"<div class=\"acc op-{_e(str(step.get('op', '')).replace(' ', '-'))}{mark_cls}\" id=\"{_step_id(sid, step)}\" "
            f"tabindex=\"0\" style=\"grid-row:{row};grid-column:{col}\" data-tip=\"{_e(' · '.join(tip))}\">"
            f"{badge}<span class=\"acc-what\">{_e(words)}</span>"
            f"{where_html}{note}{links}</div>")


def _links(sid: str, trace: list, k: int, known: set) -> str:
    """Links from a marked access to the other marked accesses of its index."""
    index = trace[k].get("index")
    others = [s for n, s in enumerate(trace) if n != k and s.get("mark") and s.get("index") == index
              and index is not None and str(s.get("step")) in known]
    if not others:
        return ""
    return "<span class=\"acc-links\">" + " ".join(
        f"<a href=\"#{_step_id(sid, s)}\">→ #{_e(s.get('step'))} {_e(s.get('mark'))}</a>" for s in others) + "</span>"


def _linked_note(sid: str, note, known: set) -> str:
    """The note, with each ``#N`` that names a drawn step made a link to it."""
    def link(match):
        return f"<a href=\"#{sid}-s{match.group(1)}\">#{match.group(1)}</a>" if match.group(1) in known else match[0]

    return re.sub(r"(?<!&)#(\d+)", link, _e(note))


def _conflict_chain(sid: str, trace: list, kept: list[int]) -> str:
    marked = [trace[k] for k in kept if trace[k].get("mark")]
    if not marked:
        return ""
    links = " → ".join(f"<a href=\"#{_step_id(sid, s)}\">#{_e(s.get('step'))} {_e(s.get('mark'))}</a> "
                       f"<span class=\"sub\">({_e(_lane_name(_lane_of(s)))}, {_e(_access_words(s))})</span>"
                       for s in marked)
    return f"<p class=\"chain\"><span class=\"label\">conflict</span> {links}</p>"


def _mark_legend(trace: list) -> str:
    marks = list(dict.fromkeys(s.get("mark") for s in trace if s.get("mark")))
    if not marks:
        return ""
    items = "".join(f"<li><span class=\"mark-badge m-{_e(m)}\">{_e(m)}</span> "
                    f"{_e(MARK_MEANING.get(m, m).split(': ', 1)[-1])}</li>" for m in marks)
    return f"<ul class=\"legend\">{items}</ul>"


# -- commands ------------------------------------------------------------------------------------

def _copyable(label: str, text: str, cid: str) -> str:
    return (f"<div class=\"cmd\"><span class=\"label\" id=\"{cid}-l\">{_e(label)}</span>"
            f"<code id=\"{cid}\">{_e(text)}</code><button type=\"button\" class=\"copy js-only\" "
            f"data-copy=\"{cid}\" aria-describedby=\"{cid}-l\">Copy</button></div>\n")


def replay_command(entry: dict) -> str | None:
    """The command that replays the example's exact interleaving, when the report has a token:
    the rerun command when it carries it, else one built from the file and start method."""
    token = (entry.get("example") or {}).get("replay")
    if not token:
        return None
    rerun = entry.get("rerun") or ""
    if "--replay" in rerun:
        return rerun
    words = ["harness", "run", str(entry.get("file")), "--start-method", str(entry.get("start_method")),
             "--replay", str(token)]
    return " ".join(shlex.quote(w) for w in words)


def _commands(sid: str, entry: dict) -> str:
    parts = []
    replay = replay_command(entry)
    if replay:
        parts.append(_copyable("Replay (the exact interleaving)", replay, f"{sid}-replay"))
    if entry.get("rerun") and entry.get("rerun") != replay:
        parts.append(_copyable("Rerun", entry["rerun"], f"{sid}-rerun"))
    return f"<div class=\"commands\">{''.join(parts)}</div>\n" if parts else ""
