"""The trace of a failed controlled trial, cut to the accesses that explain it.

Promise: :func:`explain` takes the board's trace (:func:`harness.scheduler.parent.trace`) and
the anomaly a detector found, and returns the steps that matter, in order, as the JSON
report's ``example.trace`` holds them (docs/scenario-format.md): for a lost update, at the
first index that lost one, from the read whose value went stale to the write that acted on
it, with the other actor's write in between (marks ``stale-read``, ``overwritten``,
``conflict``): of several such conflicts, the one that overwrote the value the index should
have ended with, else the one that made its final value (a running maximum loses only the
overwrite of its largest value; earlier overwrites of smaller values did no harm); for a torn read, the reader's snapshot with the writes that fell inside it
(``snapshot``, ``torn-inside``), or, when none fell inside (the snapshot held a lock the
writers take, and a writer released it in the middle of its update), the writes just before
and just after it. Each step names its process (and thread), the operation,
the index or lock, the value, and the user's ``file:line`` (call workers) or the pass number
(built-in operations). Pure: the caller says who an actor is and where a location points.
"""

from __future__ import annotations

from .ops import LOCK_NAMES, NAMES, READ, WRITE

MAX_ROWS = 16


def explain(entries, dropped: int, anomaly, who, where, typecode: str, builtin) -> list[dict]:
    """``who(actor) -> ((worker, process name), thread)``, ``where(location) -> "file:line" or None``,
    ``builtin(actor) -> (start, stop) or None`` (a built-in operation's range: its steps get
    pass numbers)."""
    kind = getattr(anomaly.kind, "value", anomaly.kind)
    if kind == "lost_update":
        picked = _lost_update(entries, anomaly.detail.get("indices") or [], _expected(anomaly.detail),
                              lambda e: e.value(typecode))
    elif kind == "torn_read":
        picked = _torn_read(entries, anomaly.detail, lambda actor: who(actor)[0][0])
    else:
        picked = {e.step: (None, None) for e in entries[-MAX_ROWS:]}
    passes = _passes(entries, builtin) if dropped == 0 else {}
    rows = []
    for e in entries:
        if e.step not in picked:
            continue
        mark, note = picked[e.step]
        process, thread = who(e.actor)
        row = {"step": e.step, "worker": process[0], "process": process[1], "thread": thread, "op": NAMES[e.kind],
               "index": e.arg if e.kind in (READ, WRITE) else None,
               "value": e.value(typecode) if e.kind in (READ, WRITE) else None,
               "location": where(e.location) if e.location and e.step not in passes and builtin(e.actor) is None
               else None, "loop": passes.get(e.step),
               "mark": mark, "note": note}
        if NAMES[e.kind] in ("acquire", "release", "try acquire") and 0 <= e.arg < len(LOCK_NAMES):
            row["lock"] = LOCK_NAMES[e.arg]
        if e.stop >= 0 and e.kind in (READ, WRITE):  # a slice: index is its lowest, value that index's
            row["stop"] = e.stop
        rows.append(row)
    return rows


def _accesses(entries, index: int) -> list:
    return [e for e in entries if e.kind in (READ, WRITE) and e.arg == index]


def _conflicts(accesses, checks: bool):
    """Each (stale read, the other's write, the write that acted on the read) at one index,
    in order: a write whose actor's last read of the index (``checks``: any of its reads since
    its own last write, as a check before a locked ``+= 1``) was followed by another actor's
    write."""
    since: dict = {}  # actor -> positions of its reads since its last write
    for n, e in enumerate(accesses):
        if e.kind == READ:
            since.setdefault(e.actor, []).append(n)
            continue
        reads = since.get(e.actor, [])
        for r in reversed(reads if checks else reads[-1:]):
            between = [x for x in accesses[r + 1:n] if x.kind == WRITE and x.actor != e.actor]
            if between:
                yield accesses[r], between[-1], e
                break
        since[e.actor] = []


def _conflict(accesses, expected=None, value=None) -> tuple | None:
    """The write made from a stale read that overwrote the value the index should have ended
    with (``expected``), else the one that made the index's final value, else the first;
    without any, the last write made after a stale check (the one that passed a limit)."""
    stale = list(_conflicts(accesses, checks=False))
    if stale:
        if expected is not None:
            for found in stale:
                if value(found[1]) == expected:
                    return found
        final = [a for a in accesses if a.kind == WRITE][-1]
        return next((found for found in stale if found[2] is final), stale[0])
    found = None
    for found in _conflicts(accesses, checks=True):
        pass
    return found


def _expected(detail: dict):
    """index -> the value it should have ended with, as far as the anomaly says."""
    if "differences" in detail:
        return lambda index: (detail["differences"].get(index) or detail["differences"].get(str(index)) or [None])[0]
    expected = detail.get("expected")
    if isinstance(expected, list):
        return lambda index: expected[index] if 0 <= index < len(expected) else None
    return lambda index: None


def _window(accesses, read, other, write) -> list:
    """What shows the conflict: the stale read, the other actor's write with the read it was
    made from, the acting actor's own reads in between, and its write."""
    inside = [a for a in accesses if read.step <= a.step <= write.step]
    own_read = [a for a in inside if a.actor == other.actor and a.kind == READ and a.step < other.step][-1:]
    keep = {read.step, other.step, write.step} | {a.step for a in own_read}
    return [a for a in inside if a.step in keep or (a.actor == read.actor and a.kind == READ)]


def _lost_update(entries, indices, expected=lambda index: None, value=None) -> dict:
    for index in indices:
        accesses = _accesses(entries, index)
        found = _conflict(accesses, expected(index), value)
        if found is None:
            continue
        read, other, write = found
        window = _window(accesses, read, other, write)
        picked = {a.step: (None, None) for a in _trim(window, {read.step, other.step, write.step})}
        picked[read.step] = ("stale-read", None)
        picked[other.step] = ("overwritten", None)
        picked[write.step] = ("conflict", f"acted on a stale read (#{read.step})")
        return picked
    if indices:  # no read-then-write pair seen (the trace ring dropped it): the last accesses
        return {a.step: (None, None) for a in _accesses(entries, indices[0])[-MAX_ROWS:]}
    return {}


def _trim(window: list, keep: set) -> list:
    """At most MAX_ROWS steps of a window, always keeping ``keep``."""
    if len(window) <= MAX_ROWS:
        return window
    room = MAX_ROWS - len(keep)
    others = [a for a in window if a.step not in keep]
    chosen = {a.step for a in others[:room // 2] + others[len(others) - (room - room // 2):]} | keep
    return [a for a in window if a.step in chosen]


def _snapshots(entries, reader: int) -> list[list]:
    """The reader actor's runs of reads over consecutive indices: its snapshots, in order."""
    runs: list[list] = []
    for e in entries:
        if e.actor != reader or e.kind != READ:
            continue
        if runs and e.arg == runs[-1][-1].arg + 1:
            runs[-1].append(e)
        else:
            runs.append([e])
    return runs


def _torn_read(entries, detail, worker_of) -> dict:
    reader = detail.get("worker")
    snapshot = list(detail.get("snapshot") or [])
    candidates = [run for actor in sorted({e.actor for e in entries}) for run in _snapshots(entries, actor)
                  if reader is None or worker_of(actor) == reader]
    chosen = next((run for run in candidates if [e.raw_value for e in run][:len(snapshot)] == _raw(snapshot)
                   and _inside(entries, run)), None)
    if chosen is None:
        chosen = next((run for run in candidates if _inside(entries, run)), None)
    if chosen is None:  # nothing fell inside: the writer's update was split around the snapshot
        matching = [run for run in candidates if [e.raw_value for e in run][:len(snapshot)] == _raw(snapshot)]
        if matching:
            return _around(entries, matching[0], {e.arg for e in matching[0]})
        return _around_slice(entries, detail, worker_of)
    inside = _inside(entries, chosen)
    written = {w.arg for w in inside}
    reads = [r for r in chosen if r.arg in written or r is chosen[0] or r is chosen[-1]]
    picked = {r.step: ("snapshot", None) for r in reads[:MAX_ROWS // 2]}
    for w in inside[:MAX_ROWS - len(picked)]:
        picked[w.step] = ("torn-inside", f"inside the snapshot read from #{chosen[0].step} to #{chosen[-1].step}")
    return picked


AROUND = 3  # writes shown on each side of a snapshot that none fell inside


def _around_slice(entries, detail, worker_of) -> dict:
    """A slice read is one step (at its first index): the reader's ``pass``-th read of a whole
    snapshot's first index, or the first that read its first value."""
    reader, snapshot = detail.get("worker"), list(detail.get("snapshot") or [])
    if not snapshot:
        return {}
    first = _raw(snapshot[:1])
    reads = [e for e in entries if e.kind == READ and (reader is None or worker_of(e.actor) == reader)]
    matching = [e for e in reads if [e.raw_value] == first]
    if not matching:
        return {}
    n = detail.get("pass") or 0
    step = reads[n - 1] if 0 < n <= len(reads) and [reads[n - 1].raw_value] == first else matching[0]
    length = detail.get("snapshot_length") or len(snapshot)
    return _around(entries, [step], set(range(step.arg, step.arg + length)))


def _around(entries, run, indices: set) -> dict:
    """A snapshot no write fell inside (it held a lock the writers take): the other actors'
    last writes to its indices before it and their first after it, the two halves of an
    update that released the lock between them."""
    lo, hi = run[0].step, run[-1].step
    others = [e for e in entries if e.kind == WRITE and e.actor != run[0].actor and e.arg in indices]
    before = [e for e in others if e.step < lo][-AROUND:]
    after = [e for e in others if e.step > hi][:AROUND]
    picked = {r.step: ("snapshot", None) for r in (run[0], run[-1])}
    span = f"#{lo}" if lo == hi else f"from #{lo} to #{hi}"
    for w in before:
        picked[w.step] = (None, f"before the snapshot read {span}")
    for w in after:
        picked[w.step] = (None, "after the snapshot: the rest of an update it saw half of")
    return picked


def _raw(values) -> list:
    from .board import encode_value

    try:
        return [encode_value(v) for v in values]
    except (TypeError, ValueError):
        return []


def _inside(entries, run) -> list:
    """Other actors' writes, to indices the run read, between its first and last read."""
    lo, hi = run[0].step, run[-1].step
    indices = {e.arg for e in run}
    return [e for e in entries if lo < e.step < hi and e.kind == WRITE and e.actor != run[0].actor
            and e.arg in indices]


def _passes(entries, builtin) -> dict:
    """Step -> pass number, for built-in operations' accesses: the how-many-th access of that
    kind to that index by that actor."""
    seen: dict = {}
    out = {}
    for e in entries:
        if e.kind not in (READ, WRITE) or builtin(e.actor) is None:
            continue
        key = (e.actor, e.kind, e.arg)
        seen[key] = seen.get(key, 0) + 1
        out[e.step] = seen[key]
    return out
