"""Detectors at the edges: the bytes fast path, the odd value at every index, the list limits."""

from __future__ import annotations

import pytest

from harness.cvalues import as_bytes
from harness.detect import DETECTORS, detect_all
from harness.detect.lost_update import MAX_LISTED, MAX_SHOWN, LostUpdate
from harness.detect.torn_read import TornReadDetector
from harness.load import load_text
from harness.messages import TornRead, TrialReport
from harness.plan import make_plan


class Final:
    """What the executor hands over: the array's bytes, and its values only when asked."""

    def __init__(self, typecode: str, values: list, *, listable: bool = True):
        self.raw_bytes = as_bytes(typecode, values)
        self._values = values
        self._listable = listable

    def __iter__(self):
        assert self._listable, "the bytes should have settled it without listing the values"
        return iter(self._values)


def adds(typecode: str, size: int):
    """A plan whose expected final array is one value per index: 2 at every index."""
    return make_plan(load_text(f"array: {{typecode: {typecode}, size: {size}}}\n"
                               "workers: [{name: a, op: add, count: 2}]\n", "d.yaml"))


def test_matching_bytes_settle_it_without_listing_the_values():
    assert LostUpdate().detect(adds("i", 3), Final("i", [2, 2, 2], listable=False), []) is None


@pytest.mark.parametrize("size", [1, 2, 3, 5])
def test_a_lost_update_at_every_index_is_reported_there(size):
    plan = adds("i", size)
    for k in range(size):
        observed = [2] * size
        observed[k] = 1
        for final in (observed, Final("i", observed)):
            a = LostUpdate().detect(plan, final, [])
            assert a.kind == "lost_update"
            assert a.detail == {"indices": [k], "expected": [2] * size, "observed": observed}, (size, k)


def test_different_bytes_of_equal_values_are_no_lost_update():
    plan = make_plan(load_text("array: {typecode: d, size: 2}\nworkers: [{name: s, op: set, value: 0.0}]\n",
                               "z.yaml"))
    assert LostUpdate().detect(plan, Final("d", [0.0, -0.0]), []) is None  # -0.0 == 0.0


def test_expected_and_observed_are_listed_whole_up_to_the_limit():
    plan = adds("B", MAX_LISTED)
    observed = [2] * MAX_LISTED
    observed[-1] = 0
    a = LostUpdate().detect(plan, observed, [])
    assert a.detail == {"indices": [MAX_LISTED - 1], "expected": [2] * MAX_LISTED, "observed": observed}


def test_one_more_than_the_limit_is_cut_and_the_differences_listed():
    plan = adds("B", MAX_LISTED + 1)
    observed = [0] * (MAX_LISTED + 1)
    a = LostUpdate().detect(plan, observed, [])
    assert a.detail["indices"] == list(range(MAX_SHOWN))
    assert len(a.detail["expected"]) == len(a.detail["observed"]) == MAX_LISTED
    assert a.detail["truncated"] is True
    assert a.detail["differences"] == {str(i): [2, 0] for i in range(MAX_SHOWN)}


def test_torn_read_reports_the_workers_own_sum_of_a_long_snapshot():
    plan = make_plan(load_text("array: {typecode: i, size: 100}\nworkers:\n  - {name: t, op: transfer}\n"
                               "  - {name: r, op: snapshot, check: sum}\n", "s.yaml"))
    torn = TornRead(1, "r", 2, "sum", (0,) * 64, length=100, total=-1)
    a = TornReadDetector().detect(plan, [0] * 100, [TrialReport(1, 0), TrialReport(1, 1, torn=torn, torn_count=1)])
    assert a.detail["snapshot_sum"] == -1 and a.detail["expected_sum"] == 0
    assert a.detail["snapshot_length"] == 100


def test_torn_read_without_a_total_sums_the_snapshot():
    plan = make_plan(load_text("array: {typecode: i, size: 2}\nworkers:\n  - {name: t, op: transfer}\n"
                               "  - {name: r, op: snapshot, check: sum}\n", "s.yaml"))
    torn = TornRead(1, "r", 2, "sum", (1, -2))
    a = TornReadDetector().detect(plan, [0, 0], [TrialReport(1, 1, torn=torn, torn_count=1)])
    assert a.detail["snapshot_sum"] == -1 and a.detail["snapshot_length"] == 2


def test_detect_all_asks_every_detector_in_order():
    plan = adds("i", 2)
    torn = TornRead(0, "a", 1, "uniform", (1, 2))
    assert [a.kind for a in detect_all(plan, [0, 0], [TrialReport(1, 0, torn=torn, torn_count=1)])] == [
        "lost_update", "torn_read"]
    assert [d.kind for d in DETECTORS] == ["lost_update", "torn_read"]
    assert [d.needs_final for d in DETECTORS] == [True, False]


def _reader_plan(check: str, op: str = "snapshot"):
    extra = ", call: 'm:f'" if op == "call" else ""
    return make_plan(load_text("array: {typecode: i, size: 6}\nworkers:\n  - {name: w, op: stamp}\n"
                               f"  - {{name: r, op: {op}, check: {check}, range: [2, 6]{extra}}}\n", "s.yaml"))


def test_a_torn_uniform_snapshot_names_the_indices_off_its_most_common_value():
    plan = _reader_plan("uniform")
    for snapshot, torn_at in [((1, 2, 2, 2), [2]), ((2, 2, 1, 2), [4]), ((3, 3, 1, 2), [4, 5]),
                              ((1, 2, 2, 1), [3, 4])]:  # a tie: the value read first is the common one
        torn = TornRead(1, "r", 1, "uniform", snapshot)
        a = TornReadDetector().detect(plan, [0] * 6, [TrialReport(1, 1, torn=torn, torn_count=1)])
        assert a.detail["indices"] == torn_at, snapshot


def test_a_torn_monotonic_snapshot_names_the_indices_that_went_back():
    plan = _reader_plan("monotonic")
    torn = TornRead(1, "r", 2, "monotonic", (2, 1, 2, 0), previous=(1, 2, 2, 1))
    a = TornReadDetector().detect(plan, [0] * 6, [TrialReport(1, 1, torn=torn, torn_count=1)])
    assert a.detail["indices"] == [3, 5] and a.detail["previous"] == [1, 2, 2, 1]


def test_a_torn_sum_names_no_index_even_with_a_previous_snapshot():
    plan = _reader_plan("sum")
    torn = TornRead(1, "r", 2, "sum", (2, 1, 2, 0), previous=(1, 2, 2, 1))
    a = TornReadDetector().detect(plan, [0] * 6, [TrialReport(1, 1, torn=torn, torn_count=1)])
    assert "indices" not in a.detail and a.detail["previous"] == [1, 2, 2, 1]


def test_user_code_s_torn_read_says_what_its_number_counts_and_names_no_index():
    plan = _reader_plan("uniform", op="call")
    torn = TornRead(1, "r", 3, "uniform", (1, 2), where="m.py:7", unit="read")
    a = TornReadDetector().detect(plan, [0] * 6, [TrialReport(1, 1, torn=torn, torn_count=1)])
    assert a.detail["unit"] == "read" and a.detail["where"] == "m.py:7" and "indices" not in a.detail
