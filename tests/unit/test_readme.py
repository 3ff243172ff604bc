"""The README's commands and examples are the real ones."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", README, re.MULTILINE | re.DOTALL)


def test_the_ci_example_is_the_committed_workflow():
    workflow = (ROOT / ".github" / "workflows" / "harness.yml").read_text(encoding="utf-8")
    assert workflow in blocks("yaml")
    doc = yaml.safe_load(workflow)
    matrix = doc["jobs"]["scenarios"]["strategy"]["matrix"]
    assert matrix["start-method"] == ["fork", "spawn", "forkserver"]
    assert matrix["python-version"] == ["3.10", "3.11", "3.12", "3.13"]
    steps = doc["jobs"]["scenarios"]["steps"]
    upload = [s for s in steps if s.get("uses", "").startswith("actions/upload-artifact")]
    assert upload and upload[0]["if"] == "always()" and "junit-*.xml" in upload[0]["with"]["path"]


def test_the_quick_start_makes_a_venv_and_the_coverage_command_is_the_ci_script():
    shell = "\n".join(blocks("sh"))
    assert "python3 -m venv .venv && . .venv/bin/activate" in shell
    assert ".ci/coverage" in shell
    assert "bash .ci/coverage" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert ".ci/coverage" in (ROOT / "tox.ini").read_text(encoding="utf-8")
    assert not (ROOT / ".venv").is_file()  # a file named .venv made `python3 -m venv .venv` fail


def test_the_tool_harness_example_is_valid(tmp_path):
    from harness.project import find_project

    (toml,) = blocks("toml")
    (tmp_path / "pyproject.toml").write_text(toml)
    project = find_project(str(tmp_path))
    assert project.paths == (str(tmp_path / "scenarios"),) and project.options.trials == 500
