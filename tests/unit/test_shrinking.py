"""The scenario candidates --shrink tries, on hand-built YAML data (no processes)."""

from __future__ import annotations

from harness.shrinking import _numbers, _window, candidates, shrinkable
from harness.results import ScenarioResult

DATA = {"name": "s", "array": {"typecode": "i", "size": 5},
        "workers": [{"name": "adder", "count": 3, "loops": 50, "op": "add"},
                    {"name": "reader", "op": "snapshot", "range": [2, 5]}],
        "expect": {"anomaly": "lost_update"}}


def test_the_biggest_cuts_come_first_and_each_keeps_the_rest():
    found = list(candidates(DATA, {"indices": [3]}))
    assert [len(c["workers"]) for c in found[:2]] == [1, 1]  # a group fewer
    assert found[0]["workers"][0]["name"] == "reader" and found[1]["workers"][0]["name"] == "adder"
    counts = [c["workers"][0]["count"] for c in found[2:4]]
    assert counts == [1, 2]
    loops = [c["workers"][0]["loops"] for c in found[4:6]]
    assert loops == [1, 25]
    assert DATA["workers"][0]["count"] == 3  # the original is never changed


def test_a_window_keeps_the_index_that_raced_and_cuts_ranges_to_it():
    small = _window(DATA, 3, 4)
    assert small["array"]["size"] == 1
    assert [(g["name"], g.get("range")) for g in small["workers"]] == [("adder", None), ("reader", [0, 1])]
    outside = _window(DATA, 0, 1)  # the reader's range [2, 5) is left with nothing: it goes
    assert [g["name"] for g in outside["workers"]] == ["adder"]
    found = list(candidates(DATA, {"indices": [3]}))
    assert [c["array"]["size"] for c in found if c["array"].get("size") != 5] == [1, 2]


def test_init_lists_are_cut_and_explicit_finals_or_call_workers_keep_their_array():
    with_init = {**DATA, "array": {"typecode": "i", "init": [1, 2, 3, 4, 5]}}
    assert _window(with_init, 1, 3)["array"]["init"] == [2, 3]
    call = {**DATA, "workers": [{"name": "f", "op": "call", "call": "m:f", "count": 2}]}
    assert all(_numbers(c)["elements"] == 5 for c in candidates(call, {}))


def test_args_each_follows_the_count():
    group = {"name": "f", "op": "call", "call": "m:f", "count": 3, "args_each": [[1], [2], [3]]}
    found = list(candidates({"array": {"size": 2}, "workers": [group]}, {}))
    assert [(c["workers"][0]["count"], c["workers"][0]["args_each"]) for c in found[:2]] == [(1, [[1]]), (2, [[1], [2]])]


def test_numbers_and_what_can_be_shrunk():
    assert _numbers(DATA) == {"workers": 4, "elements": 5, "loops": 50}
    r = ScenarioResult("s", "s.yaml", "fork", "lost_update", 1, 5)
    assert not shrinkable(r)
    r.example = {"kind": "lost_update", "trial": 1}
    assert shrinkable(r)
    r.example = {"kind": "crash", "trial": 1}
    assert not shrinkable(r)


def test_a_scenario_with_an_explicit_final_keeps_its_workers_loops_and_array():
    final = {**DATA, "expect": {"anomaly": "lost_update", "final": [100] * 5}}
    assert list(candidates(final, {"indices": [0]})) == []  # fewer of anything fails against it without a race
