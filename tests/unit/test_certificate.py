"""Certificates: the numbers and the words of what a clean run guarantees."""

from __future__ import annotations

import pytest

from harness.search import certificate


def test_the_miss_bound_is_the_rule_of_three_and_exact():
    assert certificate.miss_bound(200) == pytest.approx(1 - 0.05 ** (1 / 200))
    assert certificate.miss_bound(200) == pytest.approx(3 / 200, rel=0.01)
    assert certificate.miss_bound(1) == pytest.approx(0.95) and certificate.miss_bound(0) == 1.0


def test_exhaustive_is_verified_only_when_complete():
    done = certificate.exhaustive(14, 12, True)
    assert done["text"] == "verified: all 12 distinct interleavings (up to reordering of independent steps), in 14 trials"
    cut = certificate.exhaustive(500, 480, False)
    assert cut["complete"] is False and cut["text"].startswith("inconclusive: 480 distinct interleavings explored in 500")
    assert "verified" not in cut["text"] and "raise --trials" in cut["text"]
    assert "make the scenario smaller" in cut["text"]  # raising the budget alone rarely reaches the end
    astray = certificate.exhaustive(30, 30, False, inexact=2)
    assert astray["inexact"] == 2 and "2 trial(s) did not follow their schedule" in astray["text"]
    one = certificate.exhaustive(1, 1, True)["text"]
    assert one == "verified: the only 1 distinct interleaving (up to reordering of independent steps), in 1 trial"


def test_an_interrupted_search_says_so_instead_of_blaming_the_budget():
    cut = certificate.exhaustive(212, 212, False, shard=(2, 3), shared=4, assumes=["x"])
    stopped = certificate.interrupted(cut)
    assert "the run was interrupted before all were" in stopped["text"] and "budget" not in stopped["text"]
    assert stopped["text"].startswith("shard 2/3: inconclusive: 212 distinct interleavings of its part explored")
    assert (stopped["shard"], stopped["shared"], stopped["assumes"]) == ([2, 3], 4, ["x"])
    done, astray = certificate.exhaustive(4, 4, True), certificate.exhaustive(9, 9, False, inexact=1)
    assert certificate.interrupted(done) == done and certificate.interrupted(astray) == astray
    sampled = certificate.sampled("random", 20)
    assert certificate.interrupted(sampled) == sampled


def test_pct_bound_follows_the_paper():
    c = certificate.pct(trials=100, depth=2, actors=2, steps=50)
    assert c["bound"] == pytest.approx(1 - (1 - 1 / 100) ** 100)
    assert "a bug of depth <= 2 would have been found with probability >= 63.4%" in c["text"]


def test_sampled_kinds_say_how_they_sampled():
    assert "200 clean trials of timing injection: a race showing in more than 1.49% of trials" in \
        certificate.sampled("timing", 200)["text"]
    directed = certificate.sampled("directed", 9, predicted=4, realized=3)
    assert directed["text"].startswith("3 of 4 predicted races realized; 9 clean trials of directed")
    assert directed["kind"] == "directed" and directed["predicted"] == 4


def test_the_free_kind_names_trials_without_injection():
    assert "5 clean trials of free running (no injection): a race" in certificate.sampled("free", 5)["text"]


def test_a_search_that_missed_writes_through_the_buffer_proves_nothing_and_says_where():
    cert = certificate.exhaustive(1, 1, True, unseen=(0, 2))
    assert cert["complete"] is False and cert["unseen"] == [0, 2] and "verified" not in cert["text"]
    assert cert["text"] == ("inconclusive: 1 distinct interleaving explored, but the array changed where no access "
                            "the scheduler saw wrote (index 0, 2): accesses through its buffer (numpy, memoryview) "
                            "are not seen, so coverage is not proven")
    lead = certificate.sampled("directed", 20, predicted=0, realized=0, unseen=[3])["text"]
    assert lead.startswith("no race predicted from the recorded trial (its array changed where no access the "
                           "scheduler saw wrote, index 3: accesses through the buffer")


def test_unseen_writes_keep_their_reason_in_a_shard_and_through_an_interruption():
    part = certificate.exhaustive(3, 2, True, shard=(2, 4), shared=1, assumes=["x"], unseen=(5,))
    assert part["complete"] is False and part["unseen"] == [5] and part["shard"] == [2, 4]
    assert part["text"].startswith("shard 2/4: inconclusive:") and "(index 5)" in part["text"]
    assert part["text"].endswith("; assuming x")
    assert certificate.interrupted(part) == part  # the reason is the buffer, not the interruption
