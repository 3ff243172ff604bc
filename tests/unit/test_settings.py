"""Run settings: the trial timeout a scenario runs with, when its file gives one and when not."""

from __future__ import annotations

from harness.explain import explain
from harness.load import load_text
from harness.plan import make_plan
from harness.scenario import DEFAULT_TIMEOUT_S
from harness.settings import RunOptions, resolve

HUGE = """\
array: {{typecode: i, size: 10000000}}
workers:
  - {{name: adder, count: 2, op: add, lock: element}}
{run}"""
# a reader's million element steps: a model that is quick to compute
READS = "array: {typecode: i, size: 1000}\nworkers:\n  - {name: reader, op: snapshot, loops: 1000}\n"
SMALL = "array: {typecode: i, size: 5}\nworkers:\n  - {name: adder, count: 2, op: add, loops: 50}\n"


def timeout_of(text: str) -> float:
    (settings,) = resolve(load_text(text, "s.yaml"), RunOptions(start_methods=("fork",)), 1)
    return settings.timeout_s


def test_the_default_timeout_grows_with_the_work_of_a_trial():
    # 2 x 10^7 element steps at about 3 us each (README, scaling.py) are a minute of work on
    # one core: the fixed 10 s default called such healthy workers hung
    assert timeout_of(HUGE.format(run="")) >= 2 * 10**7 * 3e-6 * 5
    assert timeout_of(SMALL) == DEFAULT_TIMEOUT_S


def test_a_timeout_the_file_gives_is_kept_whatever_the_work():
    assert timeout_of(HUGE.format(run="run: {timeout_s: 5}\n")) == 5


def test_explain_says_when_the_default_timeout_grew():
    text = explain(make_plan(load_text(READS, "s.yaml")))
    assert "trial timeout: 30 s (no run.timeout_s: the default 10 s, grown for 1,000,000 element steps)" in text
    assert "trial timeout" not in explain(make_plan(load_text(SMALL, "s.yaml")))
