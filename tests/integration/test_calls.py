"""Call workers on real processes: the seeds' own functions, unchanged, on an instrumented
array. Safe code must stay clean; the races in the seeds' code must be found (timing
injection and a trial budget that make a miss astronomically unlikely); setup errors, output
capture and time_scale work as the contract says. Plus prepare_call in-process."""

from __future__ import annotations

import multiprocessing
import os
import sys
import textwrap
import time
from pathlib import Path

import pytest

from harness.api import run_scenario
from harness.calls import CallSetupError, prepare_call
from harness.load import load_scenario, load_text
from harness.messages import FrozenMap, ProcessSpec
from harness.ops.call import CallParams
from harness.settings import RunOptions, resolve
from harness.timing import NO_DELAY

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
METHODS = tuple(m for m in ("fork", "spawn", "forkserver") if m in multiprocessing.get_all_start_methods())


def run(scenario, *, method="fork", seed=1, **options):
    settings = resolve([scenario], RunOptions(seed=seed, start_methods=(method,), **options)).jobs[0].settings
    return run_scenario(scenario, settings)


def bundled(name: str):
    return load_scenario(SCENARIOS / name)


def inline(tmp_path: Path, text: str, **modules: str):
    """A scenario in tmp_path with its own modules next to it (imported from the scenario's folder)."""
    for name, source in modules.items():
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
    return load_text(textwrap.dedent(text), str(tmp_path / "scenario.yaml"))


# -- the seeds' own code ---------------------------------------------------------------

@pytest.mark.parametrize("method", METHODS)
def test_seed000_locked_increment_passes(method):
    result = run(bundled("seed000_article_increment.yaml"), method=method, trials=8)
    assert result.error is None
    assert result.passed, result
    assert result.outcomes["ok"] == 8


@pytest.mark.parametrize("method", METHODS)
def test_seed000_without_the_lock_loses_updates(method):
    # 2 processes x 50 loops x 5 elements of unlocked `+= 1`, the read-to-write window delayed
    # with probability 0.75 per step: a trial without a lost update is already rare, and the
    # run has 200 of them (it stops at the first detection)
    result = run(bundled("seed000_article_nolock_canary.yaml"), method=method)
    assert result.error is None
    assert result.passed, result
    assert result.outcomes["lost_update"] >= 1
    assert result.outcomes["crash"] == result.outcomes["hang"] == 0
    example = result.example
    assert example["kind"] == "lost_update"
    assert example["expected"] == [100] * 5
    assert all(v <= 100 for v in example["observed"]) and sum(example["observed"]) < 500


@pytest.mark.parametrize("method", METHODS)
def test_seed003_reader_sees_a_half_updated_array(method):
    result = run(bundled("seed003_article_writer_reader_canary.yaml"), method=method)
    assert result.error is None
    assert result.passed, result
    example = result.example
    assert example["kind"] == "torn_read" and example["group"] == "reader"
    assert len(set(example["snapshot"])) > 1
    source = (SCENARIOS / "seed003_article.py").read_text().splitlines()
    line = next(n for n, text in enumerate(source, 1) if "Reader sees array" in text)
    assert example["where"].endswith(f"seed003_article.py:{line}")
    assert "The claim is false" in result.description


@pytest.mark.parametrize("method", METHODS)
def test_seed000_compute_part_disjoint_lock_false_passes(method):
    scenario = bundled("seed000_article_compute_part.yaml")
    assert scenario.array.lock is False
    result = run(scenario, method=method, trials=30)
    assert result.passed, result
    assert result.outcomes["ok"] == 30


@pytest.mark.parametrize("name", ["seed003_article_writer_reader_monotonic.yaml", "seed003_article_update_speed.yaml",
                                  "seed003_article_two_cars.yaml", "seed003_article_monitor.yaml",
                                  "seed003_article_robot_swarm.yaml"])
def test_other_seed003_functions_run_clean(name):
    result = run(bundled(name), trials=10)
    assert result.passed, result


# -- setup errors -----------------------------------------------------------------------

SIMPLE = """
array: {typecode: i, size: 3}
workers:
  - {name: w, op: call, call: "%s", args: [$array]}
run: {trials: 3}
"""


@pytest.mark.parametrize("method", METHODS)
def test_a_call_target_that_does_not_import_is_an_error_verdict(tmp_path, method):
    scenario = inline(tmp_path, SIMPLE % "no_such_module_xyz:f")
    result = run(scenario, method=method)
    assert not result.passed
    assert result.trials_run == 0
    assert "no_such_module_xyz:f" in result.error
    assert "cannot import module 'no_such_module_xyz'" in result.error
    assert "ModuleNotFoundError" in result.error
    assert "\n" not in result.error


@pytest.mark.parametrize("call,words", [
    ("broken_mod:f", ["cannot import module 'broken_mod'", "ZeroDivisionError"]),
    ("fine_mod:missing", ["module 'fine_mod'", "has no attribute 'missing'"]),
    ("fine_mod:NOT_CALLABLE", ["fine_mod.NOT_CALLABLE is a int, not a function"]),
])
def test_other_setup_errors_are_one_clear_line(tmp_path, call, words):
    scenario = inline(tmp_path, SIMPLE % call, broken_mod="x = 1 / 0\n",
                      fine_mod="NOT_CALLABLE = 3\ndef f(arr):\n    pass\n")
    result = run(scenario)
    assert not result.passed and result.trials_run == 0
    assert repr(call) in result.error
    for w in words:
        assert w in result.error
    assert "\n" not in result.error


# -- output, time_scale, placeholders ------------------------------------------------

def test_prints_are_captured_and_kept_for_a_failed_trial(tmp_path, capfd):
    scenario = inline(tmp_path, """
        array: {typecode: i, size: 3}
        workers:
          - {name: talker, count: 2, op: call, call: "talker_mod:talk", args: [$array, $worker]}
        expect: {final: [0, 0, 0]}
        run: {trials: 3}
        """, talker_mod="""
        import sys
        print("IMPORT-TIME-NOISE")

        def talk(arr, worker):
            print(f"hello from worker {worker}")
            print(f"and its stderr {worker}", file=sys.stderr)
            arr[worker] = 7  # not what expect.final says: every trial fails
        """)
    result = run(scenario)
    assert not result.passed
    assert result.outcomes["lost_update"] == 3
    texts = {o["worker"]: o["text"] for o in result.output}
    assert texts == {w: f"hello from worker {w}\nand its stderr {w}\n" for w in (0, 1)}
    console = capfd.readouterr()
    for stream in (console.out, console.err):
        assert "hello from worker" not in stream
        assert "IMPORT-TIME-NOISE" not in stream


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_time_scale_makes_long_sleeps_short(tmp_path, method):
    # 10 x 0.5 s per call, twice over (module attribute and `from time import sleep`):
    # 10 s of sleeping per trial unscaled; timeout_s 3 turns a failure into a quick hang
    scenario = inline(tmp_path, """
        array: {typecode: i, size: 2}
        workers:
          - {name: sleeper, op: call, call: "sleepy_mod:nap", args: [$array], time_scale: 0.001}
          - {name: other, op: call, call: "sleepy_mod:nap_from", args: [$array], time_scale: 0.001}
        expect: {final: [10, 10]}
        run: {trials: 5, timeout_s: 3}
        """, sleepy_mod="""
        import time
        from time import sleep

        def nap(arr):
            for _ in range(10):
                time.sleep(0.5)
                arr[0] += 1

        def nap_from(arr):
            for _ in range(10):
                sleep(0.5)
                arr[1] += 1
        """)
    result = run(scenario, method=method)
    # no wall-clock bound (a loaded machine would make it flaky): unscaled, each trial
    # would sleep 5 s and be a hang at timeout_s 3, so five clean trials prove the scaling
    assert result.passed, result
    assert result.outcomes["ok"] == 5 and result.outcomes["hang"] == 0, result.outcomes


@pytest.mark.parametrize("method", METHODS)
def test_user_code_may_take_the_arrays_buffer(tmp_path, method):
    # what numpy.frombuffer(arr.get_obj()) does, in ctypes terms: a view over the shared
    # memory that the user's code writes through, as it can on the real object
    scenario = inline(tmp_path, """
        array: {typecode: i, size: 6, lock: true}
        workers:
          - {name: viewer, op: call, call: "buf_mod:bump", args: [$array, $start, $stop], count: 2,
             partition: true}
        expect: {final: [1, 1, 1, 1, 1, 1]}
        run: {trials: 4}
        """, buf_mod="""
        import ctypes

        def bump(arr, start, stop):
            with arr.get_lock():
                view = (ctypes.c_int * len(arr)).from_buffer(arr.get_obj())
                assert ctypes.sizeof(arr.get_obj()) == 4 * len(arr) == memoryview(arr.get_obj()).nbytes
                for i in range(start, stop):
                    view[i] += 1
        """)
    result = run(scenario, method=method)
    assert result.passed, result
    assert result.outcomes["ok"] == 4


def test_placeholders_reach_the_function(tmp_path):
    scenario = inline(tmp_path, """
        array: {typecode: i, size: 8}
        workers:
          - name: g
            count: 2
            partition: true
            op: call
            call: "args_mod:record"
            args: [$array, $start, [$stop, $index], {w: $worker}]
            kwargs: {loops: $loops, value: $value, plain: [1, "a$b"]}
            loops: 3
            value: 9
        expect: {final: [0, 4, 0, 3, 1, 8, 1, 3]}
        run: {trials: 2}
        """, args_mod="""
        def record(arr, start, stop_index, mapping, loops, value, plain):
            stop, index = stop_index
            assert isinstance(stop_index, list) and isinstance(mapping, dict), (stop_index, mapping)
            assert plain == [1, "a$b"], plain
            assert value == 9 and loops == 3
            arr[start] = index
            arr[start + 1] = stop
            arr[start + 2] = mapping["w"]
            arr[start + 3] = start + loops - index * 4
        """)
    # process 0: [0, 4): arr = [0, 4, 0, 3]; process 1: [4, 8): arr = [1, 8, 1, 3]
    result = run(scenario)
    assert result.passed, result


def test_a_crash_in_user_code_is_a_crash_with_its_traceback(tmp_path):
    scenario = inline(tmp_path, SIMPLE % "crash_mod:boom", crash_mod="""
        def boom(arr):
            arr[0] = 1
            raise ValueError("user code failed")
        """)
    result = run(scenario)
    assert not result.passed
    assert result.outcomes["crash"] >= 1
    assert "ValueError: user code failed" in result.example["error"]
    assert "crash_mod.py" in result.example["error"]


# -- prepare_call in-process --------------------------------------------------------------

def spec(tmp_path, call, **kw):
    params = dict(call=call, args=("$array",))
    params.update(kw)
    return ProcessSpec(worker=0, group="g", index=0, op="call", start=0, stop=3, base_dir=str(tmp_path),
                       params=CallParams(**params))


def test_prepare_call_in_process(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "path", list(sys.path))
    (tmp_path / "inproc_mod.py").write_text(textwrap.dedent("""
        import time
        from time import sleep as snooze
        seen = []

        def f(arr, *rest, **kw):
            seen.append((rest, kw, time.sleep, snooze))
            arr[0] += 1
            time.sleep(0.2)
            snooze(0.2)
        """))
    arr = multiprocessing.Array("i", 3)
    real_sleep = time.sleep
    s = spec(tmp_path, "inproc_mod:f", args=("$array", ("$start", "$stop"), FrozenMap((("k", "$index"),)), (("k", "$index"),)),
             kwargs=(("v", "$value"), ("nested", (1, (2, 3)))), value=2.5, time_scale=0.01)
    runner = prepare_call(s, arr)
    assert sys.path[:2] == [str(tmp_path), os.getcwd()]
    for _ in range(2):
        with runner.scope:  # a trial's scope: sleeps scaled until its threads have ended
            runner(NO_DELAY, None)
    module = sys.modules.pop("inproc_mod")
    assert arr[:] == [2, 0, 0]
    rest, kw, during, snooze_during = module.seen[0]
    assert rest == ([0, 3], {"k": 0}, [["k", 0]])  # a mapping stays a dict, a list of pairs a list
    assert kw == {"v": 2.5, "nested": [1, [2, 3]]}
    assert during is not real_sleep and snooze_during is not real_sleep
    assert time.sleep is real_sleep and module.snooze is real_sleep  # restored after the call
    assert module.seen[0][0][0] is not module.seen[1][0][0]  # arguments are rebuilt every trial


def test_prepare_call_errors_in_process(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "path", list(sys.path))
    arr = multiprocessing.Array("i", 3)
    (tmp_path / "syntax_mod.py").write_text("def f(:\n")
    with pytest.raises(CallSetupError, match=r"call 'syntax_mod:f': cannot import module 'syntax_mod' \(SyntaxError"):
        prepare_call(spec(tmp_path, "syntax_mod:f"), arr)
    (tmp_path / "exit_mod.py").write_text("import sys\nsys.exit(3)\n")
    with pytest.raises(CallSetupError, match="SystemExit: 3"):
        prepare_call(spec(tmp_path, "exit_mod:f"), arr)
    with pytest.raises(CallSetupError, match=r"module 'os' \(.*\) has no attribute 'nope'"):
        prepare_call(spec(tmp_path, "os:nope"), arr)
    for name in ("syntax_mod", "exit_mod"):
        assert name not in sys.modules
