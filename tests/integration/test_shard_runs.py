"""Shards on real processes: two parts of an exhaustive search under fork, merged into one
certificate that counts what the unsharded search counts; a shard's trials are its own
numbers, down to the workers' seeded delays and the replay token."""

from __future__ import annotations

import json

import pytest

from harness.api import run_scenario
from harness.cli import main
from harness.load import load_text
from harness.settings import RunOptions, resolve

pytestmark = pytest.mark.usefixtures("elsewhere")  # tests/conftest.py

SMALL_LOCKED = """\
array: {typecode: i, size: 2}
workers:
  - {name: adder, op: add, count: 2, loops: 2, lock: element}
expect: {anomaly: none}
"""


def test_two_exhaustive_shards_merge_into_the_whole_certificate(tmp_path, capsys):
    (tmp_path / "small.yaml").write_text(SMALL_LOCKED)
    common = ["run", "small.yaml", "--inject", "controlled", "--strategy", "exhaustive", "--trials", "500",
              "--seed", "1", "--start-method", "fork", "--no-progress"]
    assert main(common + ["--json", "whole.json"]) == 0
    for k in (1, 2):
        assert main(common + ["--shard", f"{k}/2", "--json", f"part{k}.json"]) == 0
    capsys.readouterr()
    assert main(["merge", "part1.json", "part2.json", "--json", "merged.json"]) == 0
    out = capsys.readouterr().out
    whole, merged = (json.loads((tmp_path / f).read_text())["scenarios"][0] for f in ("whole.json", "merged.json"))
    parts = [json.loads((tmp_path / f"part{k}.json").read_text())["scenarios"][0] for k in (1, 2)]
    assert [p["shard"] for p in parts] == [[1, 2], [2, 2]] and all(p["certificate"]["complete"] for p in parts)
    assert all(0 < p["certificate"]["interleavings"] < 70 for p in parts)  # each did a part, not the whole
    assert whole["certificate"]["interleavings"] == merged["certificate"]["interleavings"] == 70
    assert merged["certificate"]["complete"] and merged["verdict"] == "passed"
    assert merged["trials_run"] == sum(p["trials_run"] for p in parts)
    assert "verified: all 70 distinct interleavings" in out and "by 2 shards" in out


def test_a_shard_runs_its_own_trial_numbers_and_its_failure_replays_alone():
    scenario = load_text("array: {typecode: i, size: 1}\nworkers:\n  - {name: adder, op: add, count: 2}\n"
                         "expect: {anomaly: lost_update}\n", "two.yaml")
    options = RunOptions(seed=3, start_methods=("fork",), inject="controlled", strategy="random", trials=40,
                         shard=(2, 2), stop_on_detection=False)
    result = run_scenario(scenario, resolve([scenario], options).jobs[0].settings)
    assert result.trials_run == 20 and result.first_detection % 2 == 0  # trials 2, 4, ..., 40
    assert result.example["trial"] % 2 == 0
    replay = RunOptions(start_methods=("fork",), replay=result.example["replay"])
    again = run_scenario(scenario, resolve([scenario], replay).jobs[0].settings)
    assert again.outcomes["lost_update"] == 1 and again.example["trial"] == result.example["trial"]
