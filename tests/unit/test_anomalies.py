"""Outcome kinds and anomaly details (harness/anomalies.py): a misspelt kind or detail key fails
where it is written, and a detail reads and compares as the mapping the reports show."""

from __future__ import annotations

import pytest

from harness.anomalies import BROKEN, KINDS, MARKS, RACES, Anomaly, Detail, Kind, TrialResult


def test_kinds_are_their_strings():
    assert KINDS == ("ok", "lost_update", "torn_read", "crash", "hang", "deadlock", "uncontrolled")
    assert str(Kind.LOST_UPDATE) == "lost_update" and Kind.TORN_READ == "torn_read"
    assert RACES == ("lost_update", "torn_read") and BROKEN == ("crash", "hang", "deadlock")
    assert MARKS == ("uncontrolled",)


def test_an_anomaly_types_its_kind_and_its_detail():
    a = Anomaly("lost_update", {"indices": [1], "expected": [2], "observed": [1]})
    assert a.kind is Kind.LOST_UPDATE
    assert isinstance(a.detail, Detail)
    assert a.detail == {"indices": [1], "expected": [2], "observed": [1]}
    assert (a.detail["indices"], len(a.detail), list(a.detail)) == ([1], 3, ["indices", "expected", "observed"])


def test_a_detail_given_as_a_detail_is_kept_as_it_is():
    detail = Detail(Kind.HANG, {"timeout_s": 3})
    assert Anomaly(Kind.HANG, detail).detail is detail


@pytest.mark.parametrize("kind", list(Kind)[1:])
def test_a_misspelt_detail_key_is_a_type_error_naming_it_and_the_keys_there_are(kind):
    with pytest.raises(TypeError) as info:
        Anomaly(kind, {"worker": 1, "zeta": 2, "alpha": 3} if kind is not Kind.HANG else {"zeta": 2, "alpha": 3})
    keys = {Kind.LOST_UPDATE: "indices, expected, observed, truncated, differences",
            Kind.TORN_READ: "worker, group, check, pass, snapshot, snapshot_length, torn_snapshots, previous, "
                            "expected_sum, snapshot_sum, where, unit, indices",
            Kind.CRASH: "worker, group, error, exitcode, lock_held, overrun_bytes",
            Kind.HANG: "timeout_s, stuck, stacks", Kind.DEADLOCK: "error, blocked",
            Kind.UNCONTROLLED: "error, stack"}[kind]
    unknown = "'alpha', 'zeta'" if kind in (Kind.CRASH, Kind.TORN_READ, Kind.HANG) else "'alpha', 'worker', 'zeta'"
    assert str(info.value) == f"{kind.value} detail has no field {unknown}; it has: {keys}"


def test_a_detail_compares_with_mappings_only():
    detail = Detail(Kind.CRASH, {"worker": 1})
    assert detail == {"worker": 1} and detail == Detail(Kind.CRASH, {"worker": 1})
    assert detail != {"worker": 2}
    assert detail != [("worker", 1)]  # a list of pairs is not the mapping it would make
    assert repr(detail) == "Detail({'worker': 1})"
    with pytest.raises(TypeError):
        hash(detail)


def test_a_trial_lists_each_kind_once_in_order_or_ok():
    crash = Anomaly(Kind.CRASH, {"worker": 0})
    torn = Anomaly(Kind.TORN_READ, {"worker": 1})
    assert TrialResult(1).kinds == ("ok",)
    assert TrialResult(2, (torn, crash, torn)).kinds == ("torn_read", "crash")
