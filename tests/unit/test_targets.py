"""Call targets looked up before a run: found by their files and read with ast, never
imported. A function the source plainly lacks is a problem at the ``call:`` value; wherever
the source cannot say for sure, the target is taken to exist."""

from __future__ import annotations

import textwrap

import pytest

from harness.load import load_text
from harness.ops.call_targets import call_target_problems, check_call_targets
from harness.errors import ScenarioError

SCENARIO = """\
array: {typecode: i, size: 2}
workers:
  - {name: a, op: call, call: "%s"}
"""


def problems(tmp_path, call: str, **modules: str) -> list[str]:
    for rel, source in modules.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))
    scenario = load_text(SCENARIO % call, str(tmp_path / "s.yaml"))
    return [str(p) for p in call_target_problems([scenario])]


# (call, modules, what the single problem says, or None for no problem)
CASES = {
    "defined-function": ("m1:f", {"m1.py": "def f(arr): pass\n"}, None),
    "async-function": ("m2:f", {"m2.py": "async def f(arr): pass\n"}, None),
    "class": ("m3:F", {"m3.py": "class F: pass\n"}, None),
    "assigned": ("m4:f", {"m4.py": "f = print\n"}, None),
    "imported-alias": ("m5:f", {"m5.py": "from os import getpid as f\n"}, None),
    "inside-if": ("m6:f", {"m6.py": "import sys\nif sys.platform:\n    def f(arr): pass\n"}, None),
    "inside-try": ("m7:f", {"m7.py": "try:\n    from fast import f\nexcept ImportError:\n    f = None\n"}, None),
    "tuple-unpacking": ("m8:g", {"m8.py": "f, g = print, print\n"}, None),
    "walrus": ("m9:f", {"m9.py": "if (f := print):\n    pass\n"}, None),
    "star-import-unknowable": ("m10:f", {"m10.py": "from os import *\n"}, None),
    "module-getattr-unknowable": ("m11:f", {"m11.py": "def __getattr__(name): return print\n"}, None),
    "globals-unknowable": ("m12:f", {"m12.py": "globals()['f'] = print\n"}, None),
    "assigned-module-getattr-unknowable": ("m14:f", {"m14.py": "import lazy_loader\n__getattr__, __dir__, __all__ = "
                                                              "lazy_loader.attach(__name__)\n"}, None),
    "imported-module-getattr-unknowable": ("m15:f", {"m15.py": "from ._lazy import __getattr__\n"}, None),
    "global-in-a-function-unknowable": ("m16:work", {"m16.py": "def _make():\n    global work\n"
                                                              "    def work(a): pass\n_make()\n"}, None),
    "locals-unknowable": ("m17:work", {"m17.py": "locals()['work'] = print\n"}, None),
    "package-beats-module-of-the-same-name": ("dual:work", {"dual.py": "def old(a): pass\n",
                                                            "dual/__init__.py": "def work(a): pass\n"}, None),
    "sys-modules-unknowable": ("m19:f", {"m19.py": "import sys\nsys.modules[__name__].f = print\n"}, None),
    "module-dict-unknowable": ("m23:f", {"m23.py": "import sys\nm = sys.modules[__name__]\nm.__dict__.update(f=print)\n"},
                               None),
    "globals-by-another-name-unknowable": ("m24:f", {"m24.py": "g = globals\ng()['f'] = print\n"}, None),
    "bytecode-only-module": ("m25:f", {"m25.pyc": ""}, None),
    "class-body-names-do-not-count": ("m18:f", {"m18.py": "class C:\n    f = 1\n"}, "defines no 'f'"),
    "syntax-error-left-to-the-run": ("m13:f", {"m13.py": "def f(:\n"}, None),
    "package-submodule": ("pkg.sub:f", {"pkg/__init__.py": "", "pkg/sub.py": "def f(a): pass\n"}, None),
    "package-init": ("pkg2:f", {"pkg2/__init__.py": "def f(a): pass\n"}, None),
    "stdlib-module": ("json:dumps", {}, None),
    "missing-function-close-match": ("m20:incremnt", {"m20.py": "def increment(a): pass\ndef other(a): pass\n"},
                                     "m20.py defines no 'incremnt'; did you mean m20:increment?"),
    "missing-function-lists-what-is-there": ("m21:zzz", {"m21.py": "def alpha(a): pass\ndef _hidden(): pass\n"},
                                             "m21.py defines no 'zzz'; it defines alpha"),
    "only-nested-definition": ("m22:f", {"m22.py": "def outer():\n    def f(): pass\n"}, "defines no 'f'"),
    "missing-in-submodule": ("pkg3.sub:g", {"pkg3/__init__.py": "", "pkg3/sub.py": "def f(a): pass\n"},
                             "sub.py defines no 'g'"),
    "missing-module": ("nowhere_to_be_found:f", {}, "but no module 'nowhere_to_be_found' beside the scenario file"),
}


@pytest.mark.parametrize("call, modules, expected", CASES.values(), ids=CASES.keys())
def test_call_target(tmp_path, monkeypatch, call, modules, expected):
    monkeypatch.chdir(tmp_path)
    found = problems(tmp_path, call, **modules)
    if expected is None:
        assert found == []
    else:
        assert len(found) == 1 and found[0].startswith(f"{tmp_path / 's.yaml'}:3:31: workers[0].call: found "
                                                       f"{call!r}, but "), found
        assert expected in found[0]


def test_check_raises_every_problem_at_once(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mod.py").write_text("def f(a): pass\n")
    text = ("array: {typecode: i, size: 2}\nworkers:\n"
            "  - {name: a, op: call, call: \"mod:g\"}\n  - {name: b, op: call, call: \"gone:f\"}\n")
    with pytest.raises(ScenarioError) as got:
        check_call_targets([load_text(text, str(tmp_path / "s.yaml"))])
    assert [p.line for p in got.value.problems] == [3, 4]
