"""The mixed policy: which trials the search hands to the controlled scheduler and which run
free with timing injection, what the session and the worker do with a timing trial, and the
certificate of both. No processes."""

from __future__ import annotations

import multiprocessing

from harness.messages import ProcessSpec, TimingSpec
from harness.search import make_search
from harness.search.mixed import EVERY, MixedSearch
from harness.search.plan import Execution
from harness.scheduler.ops import READ, WRITE
from harness.search.events import Event


def test_a_timing_trial_then_the_aimed_trials_then_one_controlled_in_every_few():
    search = MixedSearch(make_search("directed"))
    assert search.plan(1).strategy == "timing"  # cheap, and the easy races show at once
    assert search.plan(2).strategy == "random"  # the recording trial
    race = (Event(0, READ, 0, statement=1), Event(0, WRITE, 0, statement=2),
            Event(1, READ, 0, statement=1), Event(1, WRITE, 0, statement=2))
    search.observe(2, Execution(race, (), 2, False))
    targets = len(search.inner.targets)
    aimed = [search.plan(t).strategy for t in range(3, 3 + targets)]
    assert aimed == ["directed"] * targets
    after = [search.plan(t).strategy for t in range(3 + targets, 3 + targets + 2 * EVERY)]
    assert after == (["random"] + ["timing"] * (EVERY - 1)) * 2
    cert = search.certificate(2 + targets + 2 * EVERY)
    assert cert["kind"] == "mixed" and cert["timing_trials"] == 1 + 2 * (EVERY - 1)
    assert cert["controlled"]["kind"] == "directed" and cert["controlled"]["trials"] == 1 + targets + 2
    assert cert["text"].startswith(f"0 of {search.inner.predicted} predicted races realized; ")
    assert f"({1 + targets + 2} under the controlled scheduler, directed; {1 + 2 * (EVERY - 1)} with timing" in \
        cert["text"]


def test_a_sampling_search_under_mixed_is_controlled_after_the_first_trial():
    search = MixedSearch(make_search("pct"))
    plans = [search.plan(t).strategy for t in range(1, 2 + EVERY + 1)]
    assert plans == ["timing", "pct"] + ["timing"] * (EVERY - 1) + ["pct"]
    assert not search.finished


class Plans:
    kind = "directed"

    def __init__(self, *strategies):
        self.strategies = list(strategies)

    def plan(self, trial):
        from harness.search.plan import TrialPlan

        return TrialPlan(self.strategies.pop(0))

    def wants_events(self, trial):
        return False

    def observe(self, trial, execution):
        self.seen = trial


def test_a_timing_trial_is_marked_on_the_board_and_left_alone_by_the_session():
    from harness.scheduler import parent
    from harness.scheduler.board import Board
    from harness.session import Session

    ctx = multiprocessing.get_context("spawn")  # only its shared memory and semaphores: no process starts
    search = Plans("timing", "random")
    session = Session(ctx, 2, TimingSpec("mixed"), 1, 10, search=search)
    words, sems = session.shared()
    session.before(7, 1)
    assert Board(words, sems, 0, 2).timing_trial
    session.monitor(None)  # nothing to watch: it would fail on the None
    assert session.after() is None and not hasattr(search, "seen")
    session.before(7, 2)  # a controlled trial after it: the mark is gone
    assert not Board(words, sems, 0, 2).timing_trial and parent.steps(words) == 0


class FakeBoard:
    def __init__(self, timing_trial):
        self.timing_trial = timing_trial
        self.point = self.value = self.locked = self.unlocked = lambda *a: None


def test_the_worker_takes_the_random_policy_on_a_timing_trial_and_control_on_the_others():
    from harness.timing import make_policy
    from harness.timing.controlled import Controlled
    from harness.timing.random_delay import RandomDelay

    spec = ProcessSpec(worker=0, group="adder", index=0, op="add", start=0, stop=2, loops=1, hot=((0, 2),))
    assert isinstance(make_policy(TimingSpec("mixed"), 1, 3, spec, None, FakeBoard(True)), RandomDelay)
    assert isinstance(make_policy(TimingSpec("mixed"), 1, 3, spec, None, FakeBoard(False)), Controlled)


def test_the_mixed_policy_needs_the_board_and_its_reruns_say_how_to_replay():
    import pytest

    from harness.api import rerun_command
    from harness.results import ScenarioResult
    from harness.timing import make_policy

    spec = ProcessSpec(worker=0, group="adder", index=0, op="add", start=0, stop=2, loops=1, hot=((0, 2),))
    with pytest.raises(ValueError, match="needs the scheduler's board"):
        make_policy(TimingSpec("mixed"), 1, 3, spec, None, None)
    r = ScenarioResult("s", "s.yaml", "fork", "none", 7, 200, inject="mixed")
    assert rerun_command(r).endswith("--trials 200 --inject mixed --strategy directed")
    r.example = {"trial": 6, "kind": "lost_update"}  # a timing trial's failure: no token, its delays replay it
    assert rerun_command(r).endswith("--trial 6 --inject random")
    r.example["replay"] = "s1.abc"
    assert rerun_command(r).endswith("--replay s1.abc")
    # a controlled trial whose switches overflowed their log: no token, so the run up to it again
    r.example = {"trial": 9, "kind": "lost_update", "trace": []}
    assert rerun_command(r).endswith("--seed 7 --start-method fork --trials 9 --inject mixed --strategy directed")
    r.inject = "controlled"
    assert rerun_command(r).endswith("--trials 9 --inject controlled --strategy directed")


def test_a_mixed_run_begins_with_a_timing_trial_so_each_shard_records_its_own():
    assert MixedSearch(make_search("directed")).records_first is False
