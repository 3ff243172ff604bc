"""A worker started by spawn or forkserver imports only the worker side of the harness.

spawn (and the forkserver's server) re-imports the parent's main module in the new process:
for the `harness` console script that is `harness.cli`, which must then pull in nothing of the
parent's stages (the loader, YAML, the reporters). A call worker records what it finds in
sys.modules; the same check runs for `python -m harness` and for pytest's plugin.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytest_plugins = ["pytester"]

WORKER_SIDE = {"harness", "harness.calls", "harness.checks", "harness.control", "harness.frames",
               "harness.instrumented", "harness.messages", "harness.points", "harness.records", "harness.snapshots",
               "harness.timing", "harness.timing.contention", "harness.timing.random_delay", "harness.worker",
               *(f"harness.ops{m}" for m in ("", ".add", ".base", ".call", ".checked", ".keys", ".overwrite", ".set",
                                             ".snapshot", ".stamp", ".transfer", ".values")),
               # the default policy, mixed: the controlled scheduler's side of the board
               "harness.timing.mixed", "harness.timing.controlled",
               *(f"harness.scheduler{m}" for m in ("", ".board", ".ops", ".threads", ".words", ".strategies",
                                                   ".strategies.directed", ".strategies.fair", ".strategies.pct",
                                                   ".strategies.random_walk", ".strategies.stay"))}
PROBE = """\
import sys


def record(path):
    with open(path, "w") as f:
        f.write("\\n".join(sorted(m for m in sys.modules if m == "harness" or m.startswith("harness."))))
"""
SCENARIO = """\
name: worker-imports
array: {{typecode: i, size: 2}}
workers:
  - {{name: probe, op: call, call: "probe:record", args: ["{out}"]}}
expect: {{final: [0, 0]}}
run: {{trials: 1}}
"""


def project(folder) -> tuple[str, str]:
    (folder / "probe.py").write_text(PROBE)
    out = folder / "modules.txt"
    (folder / "probe.yaml").write_text(SCENARIO.format(out=out))
    return str(folder / "probe.yaml"), str(out)


def recorded(out: str) -> set[str]:
    with open(out) as f:
        return set(f.read().split())


CONSOLE_SCRIPT = os.path.join(os.path.dirname(sys.executable), "harness")


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
@pytest.mark.parametrize("how", ["console script", "python -m harness"])
def test_a_worker_started_by_the_command_line_imports_only_the_worker_side(tmp_path, how, method):
    if how == "console script" and not os.path.exists(CONSOLE_SCRIPT):
        pytest.skip("the harness console script is not installed beside this python")
    scenario, out = project(tmp_path)
    command = [CONSOLE_SCRIPT] if how == "console script" else [sys.executable, "-m", "harness"]
    done = subprocess.run([*command, "run", scenario, "--start-method", method], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    modules = recorded(out)
    assert "harness.worker" in modules  # the probe ran in a worker
    main_module = {"harness.cli"} if how == "console script" else set()  # the script's own import
    assert modules - WORKER_SIDE - main_module == set()


def test_a_worker_started_under_pytest_imports_only_the_worker_side(pytester):
    scenario, out = project(pytester.path)
    (pytester.path / "scenarios").mkdir()
    os.replace(scenario, pytester.path / "scenarios" / "probe.yaml")
    pytester.makeini("[pytest]\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--harness-start-method", "spawn", timeout=120)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    modules = recorded(out)
    assert "harness.worker" in modules and modules - WORKER_SIDE == set()


def test_the_plugin_imports_no_loader_until_it_collects_a_scenario(pytester):
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(test_plain="""
        import sys

        def test_no_scenario_here():
            assert "harness.pytest_plugin" in sys.modules
            assert "harness.load" not in sys.modules and "yaml" not in sys.modules
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=120)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()


def test_a_second_run_of_an_unchanged_file_imports_no_yaml_and_no_checks(tmp_path):
    """The parsed-scenario cache (.harness_cache/scenarios) is what makes the common path cheap."""
    (tmp_path / "s.yaml").write_text("array: {typecode: i, size: 2}\nworkers: [{name: a, op: add}]\n"
                                     "run: {trials: 1}\n")
    script = ("import sys\nfrom harness.cli import main\nstatus = main(['run', 's.yaml', '--start-method', 'fork'])\n"
              "print(status, sorted(m for m in sys.modules if m.split('.')[0] in ('yaml', 'jsonschema') or m in "
              "('harness.yamlpos', 'harness.schema_check')))\n")
    runs = [subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120)
            for _ in range(2)]
    first, second = (done.stdout.splitlines()[-1] for done in runs)
    assert first.startswith("0 ['harness.schema_check', 'harness.yamlpos', 'yaml'"), runs[0].stderr  # a miss
    assert second == "0 []", runs[1].stderr
