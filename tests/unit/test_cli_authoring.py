"""The authoring commands (schema, new, validate, explain) and bad command lines; nothing runs."""

from __future__ import annotations

import json
import textwrap

import jsonschema
import pytest

from harness.cli import main
from harness.load import load_scenario
from harness.schema import scenario_schema
from harness.templates import TEMPLATES

COUNTERS = textwrap.dedent("""\
    def increment(arr, loops):
        for _ in range(loops):
            for i in range(len(arr)):
                with arr.get_lock():
                    arr[i] += 1
""")


pytestmark = pytest.mark.usefixtures("elsewhere")  # tests/conftest.py


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


# -- schema ------------------------------------------------------------------------------------------

def test_schema_prints_a_valid_json_schema(capsys):
    code, out, err = run_cli(capsys, "schema")
    assert code == 0 and err == ""
    schema = json.loads(out)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema == scenario_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert set(schema["required"]) == {"array", "workers"}


# -- new ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("template", TEMPLATES)
def test_new_writes_a_scenario_that_validates(tmp_path, capsys, template):
    path = tmp_path / f"my-{template}.yaml"
    code, out, err = run_cli(capsys, "new", str(path), "--template", template)
    assert code == 0, err
    assert f"wrote {path}" in out
    text = path.read_text()
    assert text.startswith("# yaml-language-server: $schema=")
    assert "{name}" not in text and "{file}" not in text
    if template == "call":  # the module it calls is written beside it, ready to run
        assert f"and {tmp_path / 'counters.py'}, the function it calls: edit it" in out
        assert "def increment(arr, loops):" in (tmp_path / "counters.py").read_text()
    else:
        assert not (tmp_path / "counters.py").exists()
    code, out, err = run_cli(capsys, "validate", str(path))
    assert (code, err) == (0, "")
    assert f"{path}: ok: my-{template}," in out
    assert out.rstrip().endswith("1 valid")
    assert load_scenario(path).name == f"my-{template}"


def test_new_call_never_overwrites_a_module_of_the_users(tmp_path, capsys):
    mine = tmp_path / "counters.py"
    mine.write_text(COUNTERS + "# mine\n")
    path = tmp_path / "c.yaml"
    code, out, _ = run_cli(capsys, "new", str(path), "--template", "call")
    assert code == 0 and f"kept the existing {mine}, which it calls" in out
    code, out, _ = run_cli(capsys, "new", str(path), "--template", "call", "--force")
    assert code == 0 and mine.read_text().endswith("# mine\n")


def test_new_call_into_a_folder_it_cannot_write_writes_nothing(tmp_path, capsys, monkeypatch):
    path = tmp_path / "c.yaml"
    writable = {str(tmp_path / "c.yaml")}  # the scenario could be written, its module not
    from harness import output

    real = output.check_writable

    def check(target, what="the report"):
        if what == "the module" and str(target) not in writable:
            raise output.UsageError(f"{target}: cannot write {what}: folder not writable")
        return real(target, what)

    monkeypatch.setattr(output, "check_writable", check)
    code, _, err = run_cli(capsys, "new", str(path), "--template", "call")
    assert code == 2 and err.strip() == f"{tmp_path / 'counters.py'}: cannot write the module: folder not writable"
    assert not path.exists()


def test_new_default_template_is_safe_locked(tmp_path, capsys):
    path = tmp_path / "first.yml"
    code, out, _ = run_cli(capsys, "new", str(path))
    assert code == 0 and "template safe-locked" in out
    s = load_scenario(path)
    assert s.name == "first" and s.expect.anomaly == "none"


def test_new_names_the_scenario_after_an_awkward_file_name(tmp_path, capsys):
    path = tmp_path / "two words & more.yaml"
    assert run_cli(capsys, "new", str(path))[0] == 0
    assert load_scenario(path).name == "two-words-more"


def test_new_refuses_to_overwrite_without_force(tmp_path, capsys):
    path = tmp_path / "s.yaml"
    path.write_text("keep me\n")
    code, out, err = run_cli(capsys, "new", str(path))
    assert code == 2
    assert err.splitlines() == [f"{path}: already exists; use --force to overwrite it"]
    assert path.read_text() == "keep me\n"
    code, _, _ = run_cli(capsys, "new", str(path), "--force", "--template", "lost-update-canary")
    assert code == 0
    assert load_scenario(path).expect.anomaly == "lost_update"


@pytest.mark.parametrize("name", ["scenario.txt", "scenario", "scenario.yaml.bak"])
def test_new_rejects_a_name_that_is_not_yaml(tmp_path, capsys, name):
    path = tmp_path / name
    code, _, err = run_cli(capsys, "new", str(path))
    assert code == 2
    assert err.splitlines() == [f"{path}: a scenario file name ends in .yaml or .yml"]
    assert not path.exists()


def test_new_into_a_missing_folder_is_a_usage_error(tmp_path, capsys):
    code, _, err = run_cli(capsys, "new", str(tmp_path / "nope" / "s.yaml"))
    assert code == 2 and len(err.splitlines()) == 1
    assert "cannot write the scenario: no such folder" in err


def test_new_with_an_unknown_template(tmp_path, capsys):
    code, _, err = run_cli(capsys, "new", str(tmp_path / "s.yaml"), "--template", "fancy")
    assert code == 2
    (line,) = err.splitlines()
    assert "invalid choice: 'fancy'" in line
    assert not (tmp_path / "s.yaml").exists()


def test_new_help_describes_every_template(capsys):
    with pytest.raises(SystemExit) as done:
        main(["new", "--help"])
    out = capsys.readouterr().out
    assert done.value.code == 0
    for name, words in TEMPLATES.items():
        assert f"  {name:<20}{words}" in out


# -- validate ----------------------------------------------------------------------------------------

CALLS_NOWHERE = "array: {typecode: i, size: 2}\nworkers:\n  - {name: a, op: call, call: \"nowhere_to_be_found:f\"}\n"


def test_validate_fails_where_run_would_refuse_a_call_target(tmp_path, capsys):
    path = tmp_path / "call.yaml"
    path.write_text(CALLS_NOWHERE)
    code, out, err = run_cli(capsys, "validate", str(path))
    assert (code, out) == (2, "")
    (line,) = err.splitlines()
    assert line.startswith(f"{path}:3:31: workers[0].call: found 'nowhere_to_be_found:f', but no module")


@pytest.mark.parametrize("text, words", [
    pytest.param("array: {typecode: i, size: 2}\nworkers: [{name: a, op: add, count: 2}]\n",
                 "expect.anomaly: none, but the race analysis says it can show lost_update", id="safe-but-racy"),
    pytest.param("array: {typecode: i, size: 2}\nworkers: [{name: a, op: add, count: 2, lock: pass}]\n"
                 "expect: {anomaly: lost_update}\n",
                 "expect.anomaly: lost_update, but the race analysis finds no way to get lost_update",
                 id="canary-that-cannot-fire"),
])
def test_validate_warns_where_explain_does(tmp_path, capsys, text, words):
    path = tmp_path / "w.yaml"
    path.write_text(text)
    code, out, err = run_cli(capsys, "validate", str(path))
    assert code == 0 and out.rstrip().endswith("1 valid")
    assert err.splitlines() == [f"{path}: warning: {words} (see harness explain {path})"]


def test_validate_a_folder_of_valid_files(tmp_path, capsys):
    for name in ("a.yaml", "b.yml"):
        (tmp_path / name).write_text("array: {typecode: i, size: 2}\nworkers: [{name: w, op: add}]\n")
    (tmp_path / "notes.txt").write_text("not a scenario")
    code, out, err = run_cli(capsys, "validate", str(tmp_path))
    assert (code, err) == (0, "")
    assert out.rstrip().endswith("2 valid")


# -- explain --------------------------------------------------------------------------------------------

def explain_text(tmp_path, capsys, text: str, name: str = "e.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    code, out, err = run_cli(capsys, "explain", str(path))
    assert (code, err) == (0, "")
    return out


def test_explain_a_locked_add(tmp_path, capsys):
    out = explain_text(tmp_path, capsys, """\
array: {typecode: i, size: 3}
workers: [{name: adder, op: add, count: 2, loops: 5, lock: element}]
""")
    assert "expected final array, from the model" in out
    assert "  [10, 10, 10]" in out
    assert "checked indices: all 3" in out
    assert "races:" in out
    assert "adder x itself on [0, 3): no lost update: every read-modify-write step holds the array lock" in out
    assert "verdict: passes when every trial is ok" in out


def test_explain_a_lost_update_canary(tmp_path, capsys):
    out = explain_text(tmp_path, capsys, """\
array: {typecode: B, init: [250, 0]}
workers: [{name: adder, op: add, count: 2, loops: 5}]
expect: {anomaly: lost_update}
""")
    assert "  [4, 10]" in out  # wraps in an unsigned byte
    assert "adder x itself on [0, 2): CAN RACE (lost update)" in out
    assert "a canary: passes when lost_update shows in at least one trial" in out
    assert "WARNING" not in out


def test_explain_warns_about_a_canary_that_cannot_fire(tmp_path, capsys):
    out = explain_text(tmp_path, capsys, """\
array: {typecode: i, size: 2}
workers: [{name: adder, op: add, count: 2, lock: pass}]
expect: {anomaly: lost_update}
""")
    assert "WARNING: the analysis above finds no way to get lost_update" in out


def test_explain_competing_sets_and_a_reader(tmp_path, capsys):
    out = explain_text(tmp_path, capsys, """\
array: {typecode: i, size: 4}
workers:
  - {name: ones, op: set, value: 1}
  - {name: twos, op: set, value: 2}
  - {name: reader, op: snapshot, read: iterate}
""")
    assert "  [[1, 2], [1, 2], [1, 2], [1, 2]]" in out
    assert "several results accepted at 0-3: 1 or 2: several processes overwrite it" in out
    assert "ones x twos on [0, 4): no race that matters" in out
    assert "ones x reader on [0, 4): CAN RACE (torn read)" in out


def test_explain_a_call_worker_without_final(tmp_path, capsys):
    out = explain_text(tmp_path, capsys, """\
array: {typecode: i, size: 5}
workers:
  - {name: user, op: call, call: "counters:increment", args: [$array, $loops], range: [0, 3]}
""")
    assert "  [?, ?, ?, ?, ?] (?: not checked)" in out  # $array is the whole array
    assert "checked indices: none" in out
    assert "unchecked: 0-4: written by call worker 'user'" in out
    # one process, but user code may start threads that race with each other
    assert "user x itself on [0, 5): CAN RACE (any): a call worker runs user code, which may start threads" in out
    assert "WARNING" not in out  # a safe scenario is not warned for what the harness cannot see


def test_explain_uses_expect_final(tmp_path, capsys):
    out = explain_text(tmp_path, capsys, """\
array: {typecode: i, size: 3}
workers: [{name: user, op: call, call: "counters:increment", count: 2}]
expect: {final: [2, null, 2]}
""")
    assert "expected final array, from expect.final:" in out
    assert "  [2, ?, 2] (?: not checked)" in out
    assert "unchecked: 1: expect.final leaves it unchecked" in out
    assert "user x itself on [0, 3): CAN RACE (any)" in out


def test_explain_an_invalid_file_is_exit_2(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text("array: {typecode: i, size: 3}\nworkers: [{name: a, op: add, range: [0, 4]}]\n")
    code, out, err = run_cli(capsys, "explain", str(path))
    assert code == 2 and out == ""
    (line,) = err.splitlines()
    assert line.startswith(f"{path}:2:37: workers[0].range: found [0, 4]")


# -- bad command lines -------------------------------------------------------------------------------------

@pytest.mark.parametrize("argv, words", [
    pytest.param(["run", "x.yaml", "--trials", "0"], "argument --trials: found 0, allowed: 1 to 100000000",
                 id="trials-zero"),
    pytest.param(["run", "x.yaml", "--trials", "many"], "argument --trials: found 'many'", id="trials-word"),
    pytest.param(["run", "x.yaml", "--seed", "-1"], "argument --seed", id="seed-negative"),
    pytest.param(["run", "x.yaml", "--start-method", "bogus"], "argument --start-method: invalid choice: 'bogus'",
                 id="start-method-bogus"),
    pytest.param(["run"], "no PATH given, and no pyproject.toml with [tool.harness] paths", id="run-without-path"),
    pytest.param(["validate"], "no PATH given, and no pyproject.toml", id="validate-without-path"),
    pytest.param(["frobnicate"], "invalid choice: 'frobnicate'", id="unknown-command"),
    pytest.param(["validate", "x.yaml", "--bogus"], "unrecognized arguments: --bogus", id="unknown-option"),
    pytest.param(["explain"], "the following arguments are required: FILE", id="explain-without-file"),
    pytest.param(["explain", "a.yaml", "b.yaml"], "unrecognized arguments: b.yaml", id="explain-two-files"),
])
def test_bad_command_line_is_exit_2_and_one_line(capsys, argv, words):
    code, out, err = run_cli(capsys, *argv)
    assert code == 2
    assert out == ""
    (line,) = err.splitlines()
    assert line.startswith("harness")
    assert words in line


def test_bare_harness_prints_the_whole_help_and_exits_2(capsys):
    code, out, err = run_cli(capsys)
    assert (code, out) == (2, "")
    assert err.startswith("usage: harness [-h] [--version] COMMAND ...")
    for words in ("run       run scenarios", "examples:", "harness run --lf", "exit codes:",
                  "130  interrupted", "[tool.harness] in pyproject.toml"):
        assert words in err


def test_help_and_version_exit_0(capsys):
    from harness import __version__

    for argv, words in ((["--help"], "exit codes:"), (["run", "--help"], "harness run --lf"),
                        (["--version"], f"harness {__version__} (array-race-harness; Python ")):
        with pytest.raises(SystemExit) as done:
            main(argv)
        assert done.value.code == 0 and words in capsys.readouterr().out


@pytest.mark.parametrize("command", ["validate", "explain", "run"])
def test_missing_path_is_exit_2(tmp_path, capsys, command):
    missing = tmp_path / "nowhere.yaml"
    code, out, err = run_cli(capsys, command, str(missing))
    assert code == 2
    (line,) = err.splitlines()
    assert line.startswith(f"{missing}:1:1: ")
    assert "no such file" in line.lower()
    if command == "run":
        assert "seed" not in out  # nothing ran


def test_run_with_a_bad_report_folder_is_exit_2_before_running(tmp_path, capsys):
    scenario = tmp_path / "s.yaml"
    scenario.write_text("array: {typecode: i, size: 2}\nworkers: [{name: w, op: add}]\n")
    code, out, err = run_cli(capsys, "run", str(scenario), "--json", str(tmp_path / "no" / "r.json"))
    assert code == 2 and out == ""
    (line,) = err.splitlines()
    assert "cannot write the report" in line


def test_run_of_a_file_that_is_not_yaml_is_exit_2(tmp_path, capsys):
    other = tmp_path / "s.txt"
    other.write_text("array: {}\n")
    code, out, err = run_cli(capsys, "run", str(other))
    assert code == 2 and out == ""
    assert err.splitlines() == [f"{other}:1:1: not a scenario file: allowed: *.yaml or *.yml"]


def test_run_of_a_folder_without_scenarios_is_exit_2(tmp_path, capsys):
    code, out, err = run_cli(capsys, "run", str(tmp_path))
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and "no scenario files" in err


def test_help_fits_the_terminal_width(capsys, monkeypatch):
    from harness import cli

    def help_lines(columns: str) -> int:
        monkeypatch.setenv("COLUMNS", columns)
        with pytest.raises(SystemExit):
            main(["run", "--help"])
        return len(capsys.readouterr().out.splitlines())

    assert help_lines("50") > help_lines("200")  # the option texts wrap to the width
    monkeypatch.setenv("COLUMNS", "50")
    assert cli._terminal_width() == 50
    monkeypatch.setenv("COLUMNS", "wide")  # not a number: ask the terminal, else 80
    assert cli._terminal_width() >= 1
