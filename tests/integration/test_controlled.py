"""The controlled scheduler on real processes, under every start method: a schedule forced by
a hand-made replay token gives exactly the lost update it forces, with the trace of the
accesses that did it; a failure's token replays it exactly; opposite lock orders deadlock,
named; blocking the scheduler cannot see makes a trial uncontrolled, not a hang or a verdict;
threads of a call worker are scheduled like processes."""

from __future__ import annotations

import multiprocessing

import pytest

from harness.api import RunReport, run_scenario
from harness.controlled import shape_of
from harness.load import load_text
from harness.plan import make_plan
from harness.report.console import failure_text
from harness.report.html import to_html
from harness.scheduler import token
from harness.settings import RunOptions, resolve
from test_calls import inline
from test_user_endings import SCENARIOS

METHODS = tuple(m for m in ("fork", "spawn", "forkserver") if m in multiprocessing.get_all_start_methods())


def run(scenario, *, method="fork", seed=1, **options):
    options.setdefault("inject", "controlled")
    settings = resolve([scenario], RunOptions(seed=seed, start_methods=(method,), **options)).jobs[0].settings
    return run_scenario(scenario, settings)


TWO_ADDERS = """
array: {typecode: i, size: 1}
workers:
  - {name: adder, op: add, count: 2}
"""


def forced(scenario, switches, seed=5, trial=9) -> str:
    return token.encode(switches, shape_of(make_plan(scenario)), seed, trial)


@pytest.mark.parametrize("method", METHODS)
def test_a_forced_schedule_loses_exactly_the_update_it_forces_and_shows_how(method):
    scenario = load_text(TWO_ADDERS, "two.yaml")
    # adder[0] starts (1) and reads a[0] (2); adder[1] starts (3), reads (4), writes 1 (5) and
    # ends (6); adder[0] writes its stale 0 + 1 (7) and ends (8)
    replay = forced(scenario, [(1, 0), (3, 1), (7, 0)])
    result = run(scenario, method=method, replay=replay)
    assert result.error is None
    assert result.outcomes["lost_update"] == 1 and result.first_detection == 9
    example = result.example
    assert (example["expected"], example["observed"], example["replay"]) == ([2], [1], replay)
    rows = [(t["step"], t["process"], t["op"], t["index"], t["value"], t["mark"]) for t in example["trace"]]
    assert rows == [(2, "adder[0]", "read", 0, 0, "stale-read"), (4, "adder[1]", "read", 0, 0, None),
                    (5, "adder[1]", "write", 0, 1, "overwritten"), (7, "adder[0]", "write", 0, 1, "conflict")]
    assert example["trace"][-1]["note"] == "acted on a stale read (#2)"
    assert result.rerun.endswith(f"--replay {replay}")
    text = failure_text(result)
    assert "#7  adder[0]  write a[0] = 1  pass 1   <- acted on a stale read (#2)" in text
    page = to_html(RunReport(5, [result]), command="harness run two.yaml")
    assert 'class="lanes"' in page and "m-stale-read" in page and f"--replay {replay}" in page


def test_the_same_schedule_the_other_way_round_loses_nothing():
    scenario = load_text(TWO_ADDERS, "two.yaml")
    result = run(scenario, replay=forced(scenario, [(1, 0), (5, 1)]))  # adder[0] whole, then adder[1]
    assert result.passed and result.outcomes["ok"] == 1


@pytest.mark.parametrize("method", METHODS)
def test_a_failures_token_replays_the_identical_array_every_time(method):
    canary = SCENARIOS / "seed000_unlocked_add_canary.yaml"
    scenario = load_text(canary.read_text(), str(canary))
    first = run(scenario, method="fork", seed=3)
    assert first.detected and first.example["replay"].startswith("s1.")
    again = run(scenario, method=method, replay=first.example["replay"], trials=3, stop_on_detection=False)
    assert again.outcomes["lost_update"] == 3 and again.trials_run == 3
    assert again.example["observed"] == first.example["observed"]
    assert again.example["trace"] == first.example["trace"]


OPPOSITE_ORDERS = """
def array_then_dollar(arr, lock):
    with arr.get_lock():
        with lock:
            arr[0] += 1

def dollar_then_array(arr, lock):
    with lock:
        with arr.get_lock():
            arr[1] += 1
"""

DEADLOCK = """
array: {typecode: i, size: 2}
workers:
  - {name: ab, op: call, call: "orders_%s:array_then_dollar", args: [$array, $lock]}
  - {name: ba, op: call, call: "orders_%s:dollar_then_array", args: [$array, $lock]}
run: {timeout_s: 20}
"""


@pytest.mark.parametrize("method", METHODS)
def test_opposite_lock_orders_deadlock_naming_both(tmp_path, method):
    scenario = inline(tmp_path, DEADLOCK % (method, method), **{f"orders_{method}": OPPOSITE_ORDERS})
    # ab starts (1) and takes the array lock (2); ba starts (3) and takes $lock (4): then ab
    # waits for $lock and ba for the array lock
    result = run(scenario, method=method, replay=forced(scenario, [(1, 0), (3, 1)]))
    assert result.error is None
    assert result.outcomes["deadlock"] == 1 and not result.passed
    example = result.example
    assert example["kind"] == "deadlock"
    assert {(b["process"], b["waits_for"], b["held_by"]) for b in example["blocked"]} == {
        ("ab[0]", "$lock", "ba[0]"), ("ba[0]", "the array lock", "ab[0]")}
    assert "ab[0] waits for $lock, held by ba[0]" in failure_text(result)


def test_a_random_search_finds_the_deadlock_too(tmp_path):
    scenario = inline(tmp_path, DEADLOCK % ("search", "search"), orders_search=OPPOSITE_ORDERS)
    # a schedule depends only on the seed: seed 1's first deadlock is in trial 4 (of 200, 64 deadlock)
    result = run(scenario, trials=20, strategy="random")
    assert result.outcomes["deadlock"] >= 1 and result.outcomes["hang"] == 0


INVISIBLE = """
import multiprocessing

def waits_unseen(arr):
    arr[0] += 1
    multiprocessing.Event().wait(2.5)  # the scheduler cannot see this wait
    arr[0] += 1
"""


def test_blocking_the_scheduler_cannot_see_runs_free_and_is_marked(tmp_path):
    scenario = inline(tmp_path, """
        array: {typecode: i, size: 2}
        workers:
          - {name: waiter, op: call, call: "invisible:waits_unseen", args: [$array]}
          - {name: adder, op: add, loops: 3, range: [1, 2]}
        expect: {final: [2, 3]}
        run: {timeout_s: 30}
        """, invisible=INVISIBLE)
    result = run(scenario, trials=1, replay=None)
    assert result.passed, failure_text(result)  # no verdict from it, and no hang
    assert result.outcomes["uncontrolled"] == 1 and result.outcomes["hang"] == 0
    assert result.example["kind"] == "uncontrolled"
    assert "cannot see" in result.example["error"] and "waits_unseen" in result.example["error"]


@pytest.mark.parametrize("method", METHODS)
def test_threads_of_a_call_worker_are_scheduled_like_processes(method):
    canary = SCENARIOS / "user_threads_race_canary.yaml"
    result = run(load_text(canary.read_text(), str(canary)), method=method, seed=2)
    assert result.passed and result.outcomes["lost_update"] == 1
    assert any(t["thread"] for t in result.example["trace"])  # the conflict is between its threads


@pytest.mark.parametrize("method", METHODS)
def test_a_threaded_worker_that_joins_nothing_stays_clean(method):
    safe = SCENARIOS / "user_threads_unjoined.yaml"
    result = run(load_text(safe.read_text(), str(safe)), method=method, trials=20)
    assert result.passed, failure_text(result)


def test_a_token_for_another_scenario_is_refused():
    scenario = load_text(TWO_ADDERS, "two.yaml")
    other = load_text(TWO_ADDERS.replace("size: 1", "size: 2"), "other.yaml")
    result = run(scenario, replay=forced(other, [(1, 0)]))
    assert "the replay token was made for another scenario" in result.error


DAEMONS = """
import threading, time

def late_write(arr, slot):
    # a real process has exited, and its daemon with it, long before the write
    def later():
        time.sleep(0.05)
        arr[0] = 999
    threading.Thread(target=later, daemon=True).start()
    arr[slot] = 7

def heartbeat(arr, slot):
    def beat():
        while True:
            arr[0] += 1
            time.sleep(0.0001)
    threading.Thread(target=beat, daemon=True).start()
    for _ in range(20):
        arr[slot] += 1
"""


@pytest.mark.parametrize("method", METHODS)
def test_daemon_threads_end_with_their_process_and_a_sleep_lets_the_others_go_first(tmp_path, method):
    # under control a sleep is a point at which the sleeper waits for every other worker that
    # can run, and a process's daemon threads never run after its last other thread has ended.
    # Each trial starts fresh processes (they end with it, as real ones would): the schedules are
    # explored at length under fork; the other methods differ only in how a process starts
    trials = 30 if method == "fork" else 8
    scenario = inline(tmp_path, f"""
        array: {{typecode: i, size: 3}}
        workers:
          - {{name: w, count: 2, op: call, call: "daemons_{method}:late_write", args_each: [[$array, 1], [$array, 2]]}}
        expect: {{final: [0, 7, 7]}}
        run: {{trials: {trials}}}
        """, **{f"daemons_{method}": DAEMONS})
    result = run(scenario, method=method)
    assert result.passed, failure_text(result)


POLLING = """
import time

def produce(arr):
    arr[0] = 1
    time.sleep(0.005)  # asleep before its last write, as accept-16's producer was
    arr[1] = 1

def consume(arr):
    for i in range(2):
        while arr[i] == 0:  # polls until written, sleeping between looks
            time.sleep(0.001)
"""


@pytest.mark.parametrize("strategy", ["exhaustive", "pct"])
def test_a_consumer_polling_with_sleeps_never_keeps_a_sleeping_producer_from_waking(tmp_path, strategy):
    # with only sleepers able to run, the first to sleep wakes first: under the stay rule
    # (exhaustive search after its prefix) or a higher PCT priority, the consumer polled for
    # ever and every trial ended as a hang after its timeout. Polling without a bound has no
    # end of distinct interleavings, so the exhaustive search runs out of budget, honestly
    scenario = inline(tmp_path, f"""
        array: {{typecode: i, size: 2}}
        workers:
          - {{name: producer, op: call, call: "polling_{strategy}:produce", args: [$array]}}
          - {{name: consumer, op: call, call: "polling_{strategy}:consume", args: [$array]}}
        expect: {{final: [1, 1]}}
        run: {{timeout_s: 20}}
        """, **{f"polling_{strategy}": POLLING})
    result = run(scenario, trials=12, strategy=strategy)
    assert result.outcomes["ok"] == 12 and result.outcomes["hang"] == 0, failure_text(result)
    if strategy == "exhaustive":
        assert result.certificate["complete"] is False and not result.passed


def test_an_endless_daemon_heartbeat_does_not_keep_a_trial_from_ending(tmp_path):
    scenario = inline(tmp_path, """
        array: {typecode: i, size: 3}
        workers:
          - {name: w, count: 2, op: call, call: "beats:heartbeat", args_each: [[$array, 1], [$array, 2]]}
        expect: {final: [null, 20, 20]}
        run: {trials: 20}
        """, beats=DAEMONS)
    result = run(scenario)
    assert result.passed and result.outcomes["hang"] == 0, failure_text(result)


def test_a_later_trial_replays_in_fresh_processes_as_it_ran_in_reused_ones():
    # trial 2 runs on the processes that ran trial 1: nothing they saw (a spin count, a kept
    # decision) may steer its schedule, or its token would replay something else. The seed's
    # article without its lock, seed 14: trial 1 records, trial 2 is aimed and loses updates
    canary = SCENARIOS / "seed000_article_nolock_canary.yaml"
    scenario = load_text(canary.read_text(), str(canary))
    first = run(scenario, seed=14)
    assert first.example["trial"] == 2
    again = run(scenario, replay=first.example["replay"])
    assert again.example["observed"] == first.example["observed"]
    assert again.example["trace"] == first.example["trace"]


SMALL_LOCKED = """
array: {typecode: i, size: 2}
workers:
  - {name: adder, op: add, count: 2, loops: 2, lock: element}
"""

TRY_LOCK = """
def add_if_free(arr, lock):
    if lock.acquire(False):
        arr[0] += 1
        lock.release()
    else:
        with lock:
            arr[1] += 1
"""


@pytest.mark.parametrize("method", METHODS)
def test_an_exhaustive_search_runs_every_class_brute_force_counts_and_certifies_it(method):
    # two adders, each taking the lock around 2 loops x 2 elements: 4 critical sections each,
    # whose order is all that matters: C(8, 4) = 70 classes
    result = run(load_text(SMALL_LOCKED, "small.yaml"), method=method, strategy="exhaustive", trials=500)
    assert result.passed and result.verdict == "passed"
    cert = result.certificate
    assert (cert["kind"], cert["interleavings"], cert["complete"]) == ("exhaustive", 70, True)
    assert result.trials_run == cert["trials"] < 500  # it stopped when nothing was left


def test_an_exhaustive_search_follows_try_locks_and_a_small_budget_is_inconclusive(tmp_path):
    scenario = inline(tmp_path, """
        array: {typecode: i, size: 2}
        workers:
          - {name: taker, op: call, count: 2, call: "trylock:add_if_free", args: [$array, $lock]}
        expect: {anomaly: none}
        """, trylock=TRY_LOCK)
    whole = run(scenario, strategy="exhaustive", trials=200)
    assert whole.passed and whole.certificate["complete"], whole.certificate
    cut = run(scenario, strategy="exhaustive", trials=2)
    assert cut.verdict == "inconclusive" and cut.certificate["complete"] is False and not cut.passed


def test_an_exhaustive_search_finds_the_unlocked_increment():
    result = run(load_text(TWO_ADDERS + "expect: {anomaly: lost_update}\n", "two.yaml"), strategy="exhaustive",
                 trials=50)
    assert result.passed and result.first_detection <= 4 and result.certificate is None


SLICES = """
def fill(arr, lo, hi, v):
    arr[lo:hi] = [v] * (hi - lo)


def poke(arr):
    arr[3] = 5


def snapshot(arr):
    return arr[:]
"""


@pytest.mark.parametrize("method", METHODS)
def test_an_exhaustive_search_orders_a_slice_against_every_index_it_covers(tmp_path, method):
    # a slice is one step on all its indices: the search had compared only its first index,
    # and "verified" one order of two overlapping slice writes, or of a slice read beside a
    # write past its start, when the other order was reachable
    overlapping = inline(tmp_path, """
        array: {typecode: i, size: 6}
        workers:
          - {name: a, op: call, call: "slices:fill", args: [$array, 0, 4, 1]}
          - {name: b, op: call, call: "slices:fill", args: [$array, 2, 6, 2]}
        expect: {anomaly: none, final: [1, 1, 2, 2, 2, 2]}
        """, slices=SLICES)
    result = run(overlapping, method=method, strategy="exhaustive", trials=20)
    assert not result.passed and result.outcomes["lost_update"] == 1 and result.trials_run == 2
    beside = inline(tmp_path, """
        array: {typecode: i, size: 6}
        workers:
          - {name: reader, op: call, call: "slices:snapshot", args: [$array], check: uniform}
          - {name: writer, op: call, call: "slices:poke", args: [$array]}
        expect: {anomaly: none, final: [0, 0, 0, 5, 0, 0]}
        """, slices=SLICES)
    result = run(beside, method=method, strategy="exhaustive", trials=20)
    assert not result.passed and result.outcomes["torn_read"] == 1 and result.trials_run == 2
    assert result.example["trace"][-1]["stop"] == 6  # the slice read, shown with its span


def test_an_exhaustive_search_sees_a_built_in_slice_snapshot_beside_element_writes():
    scenario = load_text("""
array: {typecode: i, size: 4}
workers:
  - {name: stamper, op: stamp}
  - {name: reader, op: snapshot, read: slice, check: uniform}
expect: {anomaly: none}
""", "slice.yaml")
    result = run(scenario, strategy="exhaustive", trials=50)
    # the snapshot before, between each two, or after the 4 element writes: 5 classes, 3 torn
    assert (result.trials_run, result.outcomes["torn_read"]) == (5, 3), result.outcomes


BUFFER = """
def through_the_buffer(arr):
    memoryview(arr.get_obj()).cast("B")[0] = 7  # what numpy.frombuffer does: no access the harness sees


def whole_number(arr):
    arr[1] = 3  # an int into a double array: traced as the 3.0 it becomes
    try:
        arr[0] = "three"  # refused: traced as the value that stands
    except TypeError:
        pass
"""


@pytest.mark.parametrize("method", METHODS)
def test_writes_through_the_buffer_leave_an_exhaustive_search_inconclusive_not_verified(tmp_path, method):
    scenario = inline(tmp_path, """
        array: {typecode: i, size: 2}
        workers:
          - {name: raw, op: call, call: "buffer:through_the_buffer", args: [$array]}
        expect: {anomaly: none, final: [7, 0]}
        """, buffer=BUFFER)
    result = run(scenario, method=method, strategy="exhaustive", trials=5)
    assert result.verdict == "inconclusive" and result.certificate["unseen"] == [0], result.certificate
    doubles = inline(tmp_path, """
        array: {typecode: d, init: [1, 0]}
        workers:
          - {name: plain, op: call, call: "buffer:whole_number", args: [$array]}
        expect: {anomaly: none, final: [1, 3]}
        """, buffer=BUFFER)
    result = run(doubles, method=method, strategy="exhaustive", trials=5)
    assert result.passed and result.certificate["complete"], result.certificate
