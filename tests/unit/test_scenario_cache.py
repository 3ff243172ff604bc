"""The parsed-scenario cache: a hit builds the same Scenario without YAML or the checks; an
edit, a corrupt entry, another loader or an unwritable folder is a miss, never a changed result."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from harness import load, scenario_cache
from harness.errors import ScenarioError
from harness.load import load_all, load_scenario
from harness.ops.call_targets import call_target_problems
from harness.plan import make_plan
from harness.positions import Positions

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = sorted((ROOT / "scenarios").glob("*.yaml"))
SCENARIO = """\
name: cached
array: {typecode: i, size: 4}
workers:
  - {name: adder, op: add, count: 2, loops: 3, lock: element}
  - {name: caller, op: call, call: "counters:bump", args: [$array, 2.0, {k: [1, x]}], range: [0, 2]}
expect: {anomaly: none, survives: ["lock:adder:none"]}
run: {trials: 7, seed: 3}
"""


@pytest.fixture
def project(tmp_path):
    (tmp_path / "counters.py").write_text("def bump(arr, n, extra):\n    pass\n")
    (tmp_path / "s.yaml").write_text(SCENARIO)
    return tmp_path


def entries(root) -> list[Path]:
    return sorted((Path(root) / scenario_cache.CACHE_DIR / scenario_cache.SCENARIOS).glob("*.json"))


def test_a_hit_builds_the_same_scenario_and_plan_without_parsing(project, monkeypatch):
    path = str(project / "s.yaml")
    fresh = load_scenario(path, str(project))  # a miss: parsed, checked and stored
    assert len(entries(project)) == 1
    assert (project / ".harness_cache" / ".gitignore").read_text().endswith("*\n")
    monkeypatch.setattr(load, "_checked", lambda text, name: pytest.fail("a miss"))
    cached = load_scenario(path, str(project))
    assert cached == fresh and make_plan(cached) == make_plan(fresh)
    assert cached.expect.survives_at == fresh.expect.survives_at == ((6, 36),)
    assert cached.workers[1].params.call_at == fresh.workers[1].params.call_at == (5, 36)


def test_every_bundled_scenario_loads_the_same_from_the_cache(tmp_path, monkeypatch):
    fresh = load_all(BUNDLED, str(tmp_path))
    assert len(entries(tmp_path)) == len(BUNDLED)
    monkeypatch.setattr(load, "_checked", lambda text, name: pytest.fail(f"{name}: a miss"))
    cached = load_all(BUNDLED, str(tmp_path))
    assert cached == fresh
    assert [make_plan(s) for s in cached] == [make_plan(s) for s in fresh]


def test_without_a_root_nothing_is_cached(project):
    load_scenario(project / "s.yaml")
    assert not (project / ".harness_cache").exists()


def test_an_edit_is_a_miss_even_with_the_same_size_and_mtime(project, monkeypatch):
    path = project / "s.yaml"
    load_scenario(path, str(project))
    before = os.stat(path)
    path.write_text(SCENARIO.replace("trials: 7", "trials: 8"))  # the same size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # and the same mtime: only the bytes differ
    assert load_scenario(path, str(project)).run.trials == 8
    assert len(entries(project)) == 1  # the entry was replaced
    monkeypatch.setattr(load, "_checked", lambda text, name: pytest.fail("a miss"))
    assert load_scenario(path, str(project)).run.trials == 8


def test_an_edit_that_makes_the_file_invalid_is_reported_as_without_a_cache(project):
    path = project / "s.yaml"
    load_scenario(path, str(project))
    path.write_text(SCENARIO.replace("trials: 7", "trials: -1"))
    with pytest.raises(ScenarioError) as cached:
        load_scenario(path, str(project))
    with pytest.raises(ScenarioError) as uncached:
        load_scenario(path)
    assert cached.value.lines() == uncached.value.lines()
    assert str(path) + ":7:" in cached.value.lines()[0]


def test_an_invalid_file_is_never_cached(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("array: {typecode: i, size: 4}\nworkers: [{name: a, op: ad}]\n")
    for _ in range(2):  # reported the second time too: nothing was stored
        with pytest.raises(ScenarioError, match=r"bad.yaml:2:\d+: workers\[0\].op: found the string 'ad'"):
            load_scenario(path, str(tmp_path))
    assert entries(tmp_path) == []


def test_another_loader_is_a_miss(project, monkeypatch):
    load_scenario(project / "s.yaml", str(project))
    monkeypatch.setattr(scenario_cache, "_code_stamp", lambda: "an edited harness")
    calls = []
    checked = load._checked
    monkeypatch.setattr(load, "_checked", lambda text, name: calls.append(name) or checked(text, name))
    load_scenario(project / "s.yaml", str(project))
    assert calls == [str(project / "s.yaml")]


def test_the_code_stamp_follows_the_harness_files():
    stamp = scenario_cache._code_stamp()
    assert len(stamp) == 8 and stamp == scenario_cache._code_stamp()


@pytest.mark.parametrize("damage", [
    lambda text: "",
    lambda text: "not json\n{}",
    lambda text: text[: len(text) // 2],  # a torn write
    lambda text: text.replace('"trials":7', '"trials":9'),  # the body edited: its CRC no longer matches
    lambda text: '{"key": 1, "body": 2}\n' + text.split("\n", 1)[1],
    lambda text: "[]\n" + text.split("\n", 1)[1],
])
def test_a_corrupt_entry_is_a_miss_and_is_rewritten(project, damage):
    path = project / "s.yaml"
    fresh = load_scenario(path, str(project))
    [entry] = entries(project)
    damaged = damage(entry.read_text())
    assert damaged != entry.read_text()
    entry.write_text(damaged)
    assert load_scenario(path, str(project)) == fresh
    assert scenario_cache.lookup(str(project), scenario_cache.key_of(str(path), path.read_bytes(),
                                 path.stat().st_size, path.stat().st_mtime_ns)) is not None


def test_an_unwritable_cache_folder_changes_nothing(project):
    (project / ".harness_cache").write_text("a file where the cache folder goes")
    fresh = load_scenario(project / "s.yaml", str(project))
    assert fresh == load_scenario(project / "s.yaml")
    assert (project / ".harness_cache").is_file()


def test_an_unreadable_entry_is_a_miss(project):
    load_scenario(project / "s.yaml", str(project))
    [entry] = entries(project)
    entry.unlink()
    entry.mkdir()  # reading it fails, and so does replacing it
    assert load_scenario(project / "s.yaml", str(project)).name == "cached"


def test_later_problems_point_into_the_file_on_a_hit_too(project):
    """A call target that went away is reported at its `call:` line and column, cached or not."""
    path = str(project / "s.yaml")
    load_scenario(path, str(project))
    (project / "counters.py").unlink()
    problems = call_target_problems([load_scenario(path, str(project))])
    assert problems and problems == call_target_problems([load_scenario(path)])
    assert (problems[0].line, problems[0].column) == (5, 36)


def test_data_that_is_not_plain_json_is_not_stored(tmp_path):
    key = {"file": str(tmp_path / "x.yaml")}
    scenario_cache.store(str(tmp_path), key, {"x": float("nan")}, Positions())
    scenario_cache.store(str(tmp_path), key, {"x": object()}, Positions())
    assert not (tmp_path / ".harness_cache").exists()


def test_clear_removes_the_folder_and_says_when_it_cannot(tmp_path):
    assert scenario_cache.clear(str(tmp_path)) is None  # nothing to clear
    scenario_cache.make_folder(str(tmp_path))
    assert scenario_cache.clear(str(tmp_path)) is None and not (tmp_path / ".harness_cache").exists()
    (tmp_path / ".harness_cache").write_text("not a folder")
    warning = scenario_cache.clear(str(tmp_path))
    assert warning.startswith(f"harness: warning: cannot clear the cache {tmp_path / '.harness_cache'} (")


def test_a_moved_project_misses_and_keeps_working(project, tmp_path_factory):
    load_scenario(project / "s.yaml", str(project))
    moved = tmp_path_factory.mktemp("moved") / "p"
    shutil.copytree(project, moved)
    assert load_scenario(moved / "s.yaml", str(moved)).name == "cached"
    assert len(entries(moved)) == 2  # the copied entry names the old path: a miss, and a new entry
