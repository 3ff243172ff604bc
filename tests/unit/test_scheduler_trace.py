"""The trace of a failed controlled trial, cut to what explains it, on hand-built traces: no
processes. Also what a deadlock comes to, and how marks (uncontrolled) count in verdicts."""

from __future__ import annotations

from types import SimpleNamespace

from harness.anomalies import Anomaly, TrialResult
from harness.controlled import deadlock_anomaly
from harness.report.console import trace_lines
from harness.results import ScenarioResult, Tally
from harness.scheduler.ops import ACQUIRE, END, READ, RELEASE, START, WRITE
from harness.scheduler.parent import Entry
from harness.scheduler.trace import MAX_ROWS, explain


def entries(*steps):
    """(actor, kind, arg, value, location) per step, numbered from 1."""
    return tuple(Entry(n, actor, kind, arg, value, loc) for n, (actor, kind, arg, value, loc) in enumerate(steps, 1))


def who(actor):
    return (actor, f"w[{actor}]"), 0


def where(location):
    return f"f.py:{location}" if location else None


def lost(indices):
    return Anomaly("lost_update", {"indices": indices, "expected": [2], "observed": [1]})


def test_a_lost_update_is_cut_from_the_stale_read_to_the_write_that_acted_on_it():
    trace = entries((0, START, -1, 0, 0), (0, READ, 0, 0, 0), (1, START, -1, 0, 0), (1, READ, 0, 0, 0),
                    (1, WRITE, 0, 1, 0), (1, END, -1, 0, 0), (0, WRITE, 0, 1, 0), (0, END, -1, 0, 0))
    rows = explain(trace, 0, lost([0]), who, where, "i", lambda a: (0, 1))
    assert [(r["step"], r["process"], r["op"], r["value"], r["mark"], r["loop"]) for r in rows] == [
        (2, "w[0]", "read", 0, "stale-read", 1), (4, "w[1]", "read", 0, None, 1),
        (5, "w[1]", "write", 1, "overwritten", 1), (7, "w[0]", "write", 1, "conflict", 1)]
    assert rows[-1]["note"] == "acted on a stale read (#2)"


def test_a_check_then_act_shows_the_stale_check_with_the_users_lines():
    # the cap: both read 49 at line 172, one writes 50, the other writes 51 at line 174
    trace = entries((0, READ, 0, 49, 172), (1, READ, 0, 49, 172), (1, WRITE, 0, 50, 174), (0, WRITE, 0, 51, 174))
    rows = explain(trace, 0, lost([0]), who, where, "i", lambda a: None)
    assert [(r["step"], r["location"], r["mark"], r["loop"]) for r in rows] == [
        (1, "f.py:172", "stale-read", None), (2, "f.py:172", None, None), (3, "f.py:174", "overwritten", None),
        (4, "f.py:174", "conflict", None)]
    lines = trace_lines(rows)
    assert lines[0].startswith("#1  w[0]  read  a[0] = 49  f.py:172")
    assert lines[-1].endswith("<- acted on a stale read (#1)")


def test_a_long_window_keeps_its_ends_and_the_conflict():
    middle = [(1, READ, 0, v, 0) if k % 2 == 0 else (1, WRITE, 0, v + 1, 0) for k, v in enumerate(range(60))]
    trace = entries((0, READ, 0, 0, 0), *middle, (0, WRITE, 0, 1, 0))
    rows = explain(trace, 0, lost([0]), who, where, "i", lambda a: None)
    assert len(rows) <= MAX_ROWS
    assert rows[0]["mark"] == "stale-read" and rows[-1]["mark"] == "conflict"
    assert sum(r["mark"] == "overwritten" for r in rows) == 1


def test_without_a_read_then_write_pair_the_last_accesses_are_shown():
    trace = entries((0, WRITE, 0, 5, 0), (1, WRITE, 0, 6, 0))
    rows = explain(trace, 0, lost([0]), who, where, "i", lambda a: None)
    assert [r["step"] for r in rows] == [1, 2] and all(r["mark"] is None for r in rows)


def test_a_torn_read_shows_the_snapshot_and_the_writes_inside_it():
    # the reader (actor 1) reads a[0] and a[1]; the writer's two writes fall between them
    trace = entries((1, READ, 0, 0, 0), (0, WRITE, 0, 1, 0), (0, WRITE, 1, 1, 0), (1, READ, 1, 1, 0))
    torn = Anomaly("torn_read", {"worker": 1, "snapshot": [0, 1], "check": "uniform", "pass": 1})
    rows = explain(trace, 0, torn, who, where, "i", lambda a: (0, 2))
    assert [(r["step"], r["mark"]) for r in rows] == [(1, "snapshot"), (2, "torn-inside"), (3, "torn-inside"),
                                                      (4, "snapshot")]
    assert rows[1]["note"] == "inside the snapshot read from #1 to #4"


def test_lock_steps_name_their_lock_and_values_decode_by_typecode():
    import struct

    bits = struct.unpack("<q", struct.pack("<d", 2.5))[0]
    trace = entries((0, ACQUIRE, 0, 0, 0), (0, READ, 0, bits, 0), (0, RELEASE, 0, 0, 0))
    rows = explain(trace, 0, Anomaly("hang", {"timeout_s": 1, "stuck": [], "stacks": {}}), who, where, "d",
                   lambda a: None)
    assert [(r["op"], r.get("lock"), r["value"]) for r in rows] == [
        ("acquire", "the array lock", None), ("read", None, 2.5), ("release", "the array lock", None)]


PLAN = SimpleNamespace(processes=[SimpleNamespace(group="ab", index=0), SimpleNamespace(group="ba", index=0)])


def test_a_deadlock_names_who_waits_for_what_and_who_holds_it():
    blocked = [{"actor": (0, 0), "waits_for": "$lock", "held_by": (1, 0)},
               {"actor": (1, 0), "waits_for": "the array lock", "held_by": (0, 0)}]
    anomaly = deadlock_anomaly(PLAN, blocked)
    assert anomaly.kind == "deadlock"
    assert anomaly.detail["error"] == ("every worker waits: ab[0] waits for $lock, held by ba[0]; "
                                       "ba[0] waits for the array lock, held by ab[0]")
    assert anomaly.detail["blocked"][0] == {"process": "ab[0]", "thread": 0, "waits_for": "$lock", "held_by": "ba[0]"}


def test_waiting_for_a_lock_whose_holder_ended_is_the_crash_a_free_run_shows():
    blocked = [{"actor": (1, 0), "waits_for": "the array lock", "held_by": (0, 0)}]
    anomaly = deadlock_anomaly(PLAN, blocked)
    assert anomaly.kind == "crash" and anomaly.detail["lock_held"] is True
    assert anomaly.detail["error"].startswith("ab[0]'s code returned from its trial still holding the array lock")


def test_an_uncontrolled_trial_is_a_mark_not_a_failure():
    result = ScenarioResult("s", "s.yaml", "fork", "none", 1, 2)
    tally = Tally(result)
    tally.add(TrialResult(1, (Anomaly("uncontrolled", {"error": "no scheduling point for 2 s"}),)))
    tally.add(TrialResult(2))
    assert result.passed and result.outcomes["ok"] == 2 and result.outcomes["uncontrolled"] == 1
    assert result.example["kind"] == "uncontrolled"
    tally.add(TrialResult(3, (lost([0]), Anomaly("uncontrolled", {"error": "x"})), schedule={"replay": "s1.AA"}))
    assert not result.passed and result.example["kind"] == "lost_update" and result.example["replay"] == "s1.AA"


def test_a_check_outside_the_lock_is_the_stale_read_of_the_write_that_passed_the_limit():
    # each `+= 1` reads afresh under the lock; the check before it is what went stale. An early
    # stale check did no harm (0 -> 2 is right); the last one passed the cap
    trace = entries((0, READ, 0, 0, 6), (1, READ, 0, 0, 6), (1, READ, 0, 0, 8), (1, WRITE, 0, 1, 8),
                    (0, READ, 0, 1, 8), (0, WRITE, 0, 2, 8),
                    (0, READ, 0, 9, 6), (1, READ, 0, 9, 6), (1, READ, 0, 9, 8), (1, WRITE, 0, 10, 8),
                    (0, READ, 0, 10, 8), (0, WRITE, 0, 11, 8))
    rows = explain(trace, 0, lost([0]), who, where, "i", lambda a: None)
    assert [(r["step"], r["location"], r["mark"]) for r in rows] == [
        (7, "f.py:6", "stale-read"), (9, "f.py:8", None), (10, "f.py:8", "overwritten"), (11, "f.py:8", None),
        (12, "f.py:8", "conflict")]


def test_of_several_stale_writes_the_one_that_lost_the_expected_value_is_shown():
    # a running maximum: w[0] overwrites 5 with 7 from a stale read (no harm: 7 is larger), then
    # reads 7, w[1] writes the true maximum 9, and w[0] overwrites it with 8: that one lost it
    trace = entries((0, READ, 0, 0, 1), (1, READ, 0, 0, 1), (1, WRITE, 0, 5, 2), (0, WRITE, 0, 7, 2),
                    (0, READ, 0, 7, 1), (1, READ, 0, 7, 1), (1, WRITE, 0, 9, 2), (0, WRITE, 0, 8, 2))
    anomaly = Anomaly("lost_update", {"indices": [0], "expected": [9], "observed": [8]})
    rows = explain(trace, 0, anomaly, who, where, "i", lambda a: None)
    marked = [(r["step"], r["value"], r["mark"]) for r in rows if r["mark"]]
    assert marked == [(5, 7, "stale-read"), (7, 9, "overwritten"), (8, 8, "conflict")]
    # without the expected value: the conflict that made the final value
    anomaly = Anomaly("lost_update", {"indices": [0], "differences": {}})
    rows = explain(trace, 0, anomaly, who, where, "i", lambda a: None)
    assert [(r["step"], r["mark"]) for r in rows if r["mark"]] == [(5, "stale-read"), (7, "overwritten"),
                                                                   (8, "conflict")]


def test_a_torn_snapshot_nothing_fell_inside_shows_the_writes_around_it():
    # w[0] moves 5 from a[0] to a[1] in two locked halves; w[1]'s locked snapshot falls between
    trace = entries((0, WRITE, 0, 95, 1), (1, READ, 0, 95, 3), (1, READ, 1, 100, 3), (0, WRITE, 1, 105, 2))
    anomaly = Anomaly("torn_read", {"worker": 1, "snapshot": [95, 100], "check": "sum"})
    rows = explain(trace, 0, anomaly, who, where, "i", lambda a: None)
    assert [(r["step"], r["mark"], (r["note"] or "")[:10]) for r in rows] == [
        (1, None, "before the"), (2, "snapshot", ""), (3, "snapshot", ""), (4, None, "after the ")]


def test_a_torn_slice_read_is_one_step_and_shows_the_writes_around_it():
    # the auditor's arr[:] is one step at index 0; the teller's halves fall before and after it
    trace = entries((1, READ, 0, 100, 3), (0, WRITE, 1, 95, 1), (1, READ, 0, 100, 3), (0, WRITE, 2, 105, 2))
    anomaly = Anomaly("torn_read", {"worker": 1, "snapshot": [100, 95, 100], "check": "sum", "pass": 2})
    rows = explain(trace, 0, anomaly, who, where, "i", lambda a: None)
    assert [(r["step"], r["mark"], r["note"]) for r in rows] == [
        (2, None, "before the snapshot read #3"), (3, "snapshot", None),
        (4, None, "after the snapshot: the rest of an update it saw half of")]
