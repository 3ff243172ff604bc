"""harness merge: the parts of a sharded run as one run, on hand-built JSON reports (no
processes); and the command line's refusals of a bad --shard, each one line with exit 2."""

from __future__ import annotations

import json

import pytest

from harness.cli import main
from harness.merge import MergeError, merge, read_reports
from harness.search import certificate

pytestmark = pytest.mark.usefixtures("elsewhere")  # tests/conftest.py

OUTCOMES = {"ok": 0, "lost_update": 0, "torn_read": 0, "crash": 0, "hang": 0, "deadlock": 0, "uncontrolled": 0}


def entry(shard=(1, 2), trials=10, cert=None, expected="none", seed=7, **extra) -> dict:
    outcomes = dict(OUTCOMES, ok=trials - sum(extra.get("outcomes", {}).values()))
    outcomes.update(extra.pop("outcomes", {}))
    part = f" --shard {shard[0]}/{shard[1]}" if shard else ""
    out = {"name": "s", "file": "s.yaml", "start_method": "fork", "expected_anomaly": expected, "seed": seed,
           "trials_run": trials, "trials_planned": 20, "outcomes": outcomes, "first_detection": None,
           "rerun": f"harness run s.yaml --seed {seed} --start-method fork --trials 20{part}",
           "duration_s": 0.5, **extra}
    if shard:
        out["shard"] = list(shard)
    if cert is not None:
        out["certificate"] = cert
    return out


def doc(*entries, seed=7) -> tuple[str, dict]:
    return ("r.json", {"version": 1, "seed": seed, "passed": True, "scenarios": list(entries)})


def merged(*entries):
    seed, results = merge([doc(e) for e in entries])
    assert len(results) == 1
    return results[0]


def exhaustive_part(k, n, interleavings, complete=True, trials=None):
    return entry((k, n), trials or interleavings + 1,
                 certificate.exhaustive(trials or interleavings + 1, interleavings, complete, shard=(k, n), shared=1))


def test_sampled_parts_add_their_trials_and_the_bound_is_the_wholes():
    r = merged(entry((1, 2), 100, certificate.sampled("timing", 100)),
               entry((2, 2), 100, certificate.sampled("timing", 100)))
    assert (r.trials_run, r.outcomes["ok"], r.verdict) == (200, 200, "passed")
    assert r.certificate == certificate.sampled("timing", 200)
    assert "--shard" not in r.rerun and r.duration_s == 1.0


def test_the_directed_recording_trial_counts_once_and_realized_pairs_add_up():
    parts = [entry((k, 3), 10, certificate.sampled("directed", 10, predicted=4, realized=k - 1,
                                                   shard=[k, 3], repeated=int(k > 1))) for k in (1, 2, 3)]
    cert = merged(*parts).certificate
    assert (cert["trials"], cert["predicted"], cert["realized"]) == (28, 4, 3)
    assert cert["bound"] == certificate.miss_bound(28)


def test_pct_is_recomputed_from_the_summed_trials():
    parts = [entry((k, 2), 50, certificate.pct(50, 3, 2, 40 + k)) for k in (1, 2)]
    assert merged(*parts).certificate == certificate.pct(100, 3, 2, 42)


def test_an_exhaustive_search_is_verified_when_every_part_finished():
    r = merged(exhaustive_part(1, 2, 35), exhaustive_part(2, 2, 35))
    cert = r.certificate
    assert (cert["interleavings"], cert["complete"], cert["shards"], cert["shared"]) == (70, True, 2, 2)
    assert r.verdict == "passed" and cert["text"].endswith(", by 2 shards")


def test_a_missing_part_leaves_an_exhaustive_search_inconclusive_naming_it():
    r = merged(exhaustive_part(1, 3, 10), exhaustive_part(3, 3, 12))
    assert r.verdict == "inconclusive" and not r.passed
    assert r.certificate["missing"] == [2] and "shard(s) 2 missing" in r.certificate["text"]


def test_a_part_that_ran_out_of_budget_leaves_it_inconclusive_too():
    r = merged(exhaustive_part(1, 2, 10), exhaustive_part(2, 2, 8, complete=False, trials=10))
    assert r.verdict == "inconclusive" and "shard(s) 2 did not finish their part" in r.certificate["text"]


def test_a_canary_keeps_the_earliest_detection_and_the_best_example():
    found = entry((2, 2), 3, expected="lost_update", outcomes={"lost_update": 1}, first_detection=4,
                  example={"trial": 4, "kind": "lost_update", "replay": "s1.x"})
    missed = entry((1, 2), 10, expected="lost_update")
    later = entry((1, 2), 5, expected="lost_update", outcomes={"lost_update": 1}, first_detection=9,
                  example={"trial": 9, "kind": "lost_update"})
    r = merged(missed, found)
    assert (r.verdict, r.first_detection, r.example["trial"], r.trials_run) == ("passed", 4, 4, 13)
    assert merged(later, found).first_detection == 4 and r.certificate is None


def test_one_failing_part_fails_the_whole_without_a_certificate():
    bad = entry((2, 2), 10, outcomes={"lost_update": 2}, first_detection=6,
                example={"trial": 6, "kind": "lost_update"})
    r = merged(entry((1, 2), 10, certificate.sampled("timing", 10)), bad)
    assert r.verdict == "failed" and r.certificate is None and r.outcomes["lost_update"] == 2


def test_index_counts_and_final_arrays_add_up():
    counts = {"size": 4, "cell": 1, "lost_update": [1, 0, 0, 0], "torn_read": [0, 0, 0, 0]}
    finals = {"shown": [{"observed": [1], "trials": 2, "first_trial": 3}], "other_trials": 1}
    parts = [entry((k, 2), 5, outcomes={"lost_update": 2}, index_counts=counts, observed_finals=finals)
             for k in (1, 2)]
    r = merged(*parts)
    assert r.index_counts["lost_update"] == [2, 0, 0, 0]
    assert r.observed_finals == [{"observed": [1], "trials": 4, "first_trial": 3}] and r.observed_finals_other == 2


def test_a_whole_run_merged_alone_is_itself():
    cert = certificate.exhaustive(4, 4, True)
    r = merged(entry(None, 4, cert))
    assert r.certificate == cert and r.verdict == "passed"


@pytest.mark.parametrize("second, words", [
    (entry((2, 2), seed=8), "ran with seed 8, but with seed 7"),
    (entry((2, 3)), "shards of one run share N"),
    (entry((1, 2)), "shard 1/2 is in r.json too: each part once"),
])
def test_parts_of_different_runs_are_refused(second, words):
    with pytest.raises(MergeError, match=words):
        merge([doc(entry((1, 2))), doc(second)])


def write(tmp_path, name, *entries) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(doc(*entries)[1]))
    return str(path)


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_merge_prints_as_run_does_and_writes_the_combined_reports(tmp_path, capsys):
    one = write(tmp_path, "1.json", exhaustive_part(1, 2, 35))
    two = write(tmp_path, "2.json", exhaustive_part(2, 2, 35))
    out_json, out_xml = tmp_path / "all.json", tmp_path / "all.xml"
    code, out, err = run_cli(capsys, "merge", one, two, "--json", str(out_json), "--junit-xml", str(out_xml))
    assert code == 0 and err == ""
    assert "PASS  s [fork] safe: 72/20 trials" in out and "verified: all 70 distinct interleavings" in out
    assert json.loads(out_json.read_text())["scenarios"][0]["certificate"]["interleavings"] == 70
    assert "<testsuite" in out_xml.read_text()
    code, out, _ = run_cli(capsys, "merge", one)  # a part alone proves nothing
    assert code == 1 and "INCONCLUSIVE" in out and "shard(s) 2 missing" in out


def test_merge_errors_are_one_line_and_exit_2(tmp_path, capsys):
    good = write(tmp_path, "1.json", entry((1, 2)))
    (tmp_path / "not.json").write_text("array: {}")
    (tmp_path / "other.json").write_text('{"version": 1, "scenarios": [{"name": "x"}]}')
    for argv, words in ((["missing.json"], "cannot read it"), ([str(tmp_path / "not.json")], "not JSON"),
                        ([str(tmp_path / "other.json")], "not a harness JSON report"),
                        ([good, write(tmp_path, "2.json", entry((2, 4)))], "share N"),
                        ([good, "--json", good], "would overwrite the report")):
        code, out, err = run_cli(capsys, "merge", *argv)
        assert code == 2 and len(err.splitlines()) == 1 and words in err, (argv, err)


def test_read_reports_keeps_the_order_given(tmp_path):
    paths = [write(tmp_path, f"{k}.json", entry((k, 2))) for k in (2, 1)]
    assert [p for p, _ in read_reports(paths)] == paths


SCENARIO = "array: {typecode: i, size: 2}\nworkers:\n  - {name: adder, op: add, count: 2, lock: element}\n"


@pytest.mark.parametrize("argv, words", [
    (["--shard", "3/2"], "--shard: found '3/2', allowed: K/N with whole numbers 1 <= K <= N"),
    (["--shard", "0/2"], "allowed: K/N"),
    (["--shard", "two"], "allowed: K/N"),
    (["--shard", "1/2", "--seed", "1", "--trial", "3"], "--shard splits a run into parts; --trial reruns one trial"),
    (["--shard", "1/2"], "--shard 1/2 needs the same --seed on every part"),
])
def test_a_bad_shard_is_one_line_and_exit_2(tmp_path, capsys, argv, words):
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO)
    code, out, err = run_cli(capsys, "run", str(path), *argv)
    assert code == 2 and len(err.splitlines()) == 1 and words in err, err


def test_run_help_explains_shard(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    out = capsys.readouterr().out
    assert "--shard K/N" in out and "harness merge" in out


def test_mixed_parts_combine_their_controlled_certificates_and_timing_trials():
    def part(k, realized):
        directed = certificate.sampled("directed", 4, predicted=2, realized=realized, shard=[k, 2],
                                       repeated=int(k > 1))
        return entry((k, 2), 10, certificate.mixed(directed, 6))
    cert = merged(part(1, 1), part(2, 1)).certificate
    assert cert["kind"] == "mixed" and cert["timing_trials"] == 12 and cert["trials"] == 19
    assert cert["controlled"]["realized"] == 2 and cert["controlled"]["trials"] == 7  # trial 1 once


def test_parts_that_ran_different_searches_are_refused():
    with pytest.raises(MergeError, match=r"s.yaml: s \[fork\]: its parts ran different searches \(exhaustive, random\)"):
        merged(exhaustive_part(1, 2, 5, complete=False), entry((2, 2), 10, certificate.sampled("random", 10)))


def test_a_missing_part_of_a_sampled_run_is_said():
    cert = merged(entry((1, 3), 10, certificate.sampled("timing", 10)),
                  entry((3, 3), 10, certificate.sampled("timing", 10))).certificate
    assert cert["missing"] == [2] and cert["text"].endswith("(only 20 trials: shard(s) 2 missing)")


def test_parts_that_saw_writes_through_the_buffer_keep_saying_so_and_a_same_crash_stop_stays():
    def unseen_part(k, indices):
        cert = certificate.exhaustive(2, 1, False, shard=(k, 2), unseen=indices)
        return entry((k, 2), 2, cert)

    r = merged(unseen_part(1, (2,)), unseen_part(2, (0, 2)))
    assert r.verdict == "inconclusive" and r.certificate["unseen"] == [0, 2]
    assert "index 0, 2" in r.certificate["text"] and "budget" not in r.certificate["text"]
    directed = [certificate.sampled("directed", 5, predicted=0, realized=0, **({"unseen": [3]} if k == 1 else {}),
                                    shard=[k, 2], repeated=k - 1) for k in (1, 2)]
    r = merged(entry((1, 2), 5, directed[0]), entry((2, 2), 5, directed[1]))
    assert r.certificate["unseen"] == [3] and "index 3" in r.certificate["text"]
    crashed = {"outcomes": {"crash": 10}, "stopped": "same_crash"}
    assert merged(entry((1, 2), 10, **crashed), entry((2, 2), 10, outcomes={"crash": 10})).same_crash


def test_unseen_writes_and_a_missing_part_are_both_recorded():
    cert = certificate.exhaustive(2, 1, True, shard=(1, 3), unseen=(4,))
    r = merged(entry((1, 3), 2, cert))
    assert r.certificate["missing"] == [2, 3] and r.certificate["unseen"] == [4]
    assert "index 4" in r.certificate["text"] and r.verdict == "inconclusive"
