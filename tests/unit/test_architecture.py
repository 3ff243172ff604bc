"""The layering stated in docs/architecture.md, checked against every import in harness/,
and the rule that no function grows past 60 lines. Reads source files only."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HARNESS = ROOT / "harness"
MAX_FUNCTION_LINES = 60


def table() -> dict[str, tuple[int, str]]:
    text = (ROOT / "docs" / "architecture.md").read_text()
    rows = re.findall(r"^\| (harness[\w.]*) \| (\d) \w+ \| (worker|parent) \|$", text, re.MULTILINE)
    return {name: (int(layer), side) for name, layer, side in rows}


def modules() -> dict[str, Path]:
    out = {}
    for path in HARNESS.rglob("*.py"):
        rel = path.relative_to(ROOT).with_suffix("")
        if "templates" in rel.parts[1:-1]:  # files that `harness new` copies: not the harness's code
            continue
        name = ".".join(rel.parts)
        out[name[: -len(".__init__")] if name.endswith(".__init__") else name] = path
    return out


def imports(name: str, path: Path) -> list[tuple[str, bool]]:
    """(imported harness module, at the top level?) for every import in the file."""
    tree = ast.parse(path.read_text())
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    top = {id(node) for node in tree.body}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            targets = [f"{base}.{a.name}" for a in node.names] + [base]
        elif isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        else:
            continue
        for t in targets:
            out.append((t, id(node) in top))
    return out


def resolve(target: str, known: dict) -> str | None:
    """The harness module an import names (an attribute import names its module)."""
    while target and target not in known:
        target = target.rsplit(".", 1)[0] if "." in target else ""
    return target or None


def test_every_module_has_a_layer_and_every_listed_one_exists():
    listed, present = table(), modules()
    assert sorted(set(present) - set(listed)) == [], "add these to docs/architecture.md's table"
    assert sorted(set(listed) - set(present)) == [], "docs/architecture.md lists modules that are gone"


def test_nothing_imports_a_higher_layer():
    listed, present = table(), modules()
    wrong = []
    for name, path in present.items():
        for target, _ in imports(name, path):
            module = resolve(target, listed)
            if module and module != name and listed[module][0] > listed[name][0]:
                wrong.append(f"{name} (layer {listed[name][0]}) imports {module} (layer {listed[module][0]})")
    assert wrong == []


def test_the_worker_side_imports_only_the_worker_side_at_its_top():
    listed, present = table(), modules()
    wrong = []
    for name, path in present.items():
        if listed[name][1] != "worker":
            continue
        for target, at_top in imports(name, path):
            module = resolve(target, listed)
            if at_top and module and listed[module][1] != "worker":
                wrong.append(f"{name} imports {module} at its top")
    assert wrong == []


def test_no_function_is_longer_than_sixty_lines():
    long = []
    for name, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append(f"{name}.{node.name}: {lines} lines")
    assert long == []


def test_anomaly_kinds_and_detail_keys_are_typed():
    import pytest

    from harness.anomalies import Anomaly, Kind

    a = Anomaly("crash", {"worker": 1, "error": "boom"})
    assert a.kind is Kind.CRASH and a.kind == "crash" and dict(a.detail) == {"worker": 1, "error": "boom"}
    with pytest.raises(ValueError):
        Anomaly("crashed", {})  # a misspelt kind
    with pytest.raises(TypeError, match="crash detail has no field 'eror'"):
        Anomaly("crash", {"eror": "boom"})  # a misspelt key, where it is written


def test_every_package_of_the_harness_is_in_the_wheel():
    # [tool.setuptools] packages is an explicit list: a package missing from it is missing from
    # a non-editable install (tox's envs, pip install .) while editable installs still work
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    listed = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"]
    found = [".".join(p.parent.relative_to(ROOT).parts) for p in HARNESS.rglob("__init__.py")
             if "templates" not in p.parts]
    assert sorted(listed) == sorted(found)
