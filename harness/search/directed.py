"""Race-directed search (after RaceFuzzer, Sen, PLDI 2008): predict the races of a recorded
trial, then run trials that realize each one, in both orders.

Promise: :func:`predict` finds, in one execution, the pairs of accesses that can race: an
index both cover (a slice covers its span), different actors, at least one a write, no lock held by both (the explicit locks
each actor held then), and neither ordered before the other by the trial's synchronization
(program order, a lock's release before its next acquire, a thread's end before a join of
it). Pairs are grouped by their statements, and the ones that can lose an update (a read
whose actor later writes that index, beside another actor's write) come first. Each becomes
two :class:`Target` s for the ``directed`` in-trial strategy: the later access forced just
before the earlier one, and the two forced back to back as recorded (a stale read). A
prediction is only a lead: a verdict needs a trial that realizes it and a detector that sees
the damage.
"""

from __future__ import annotations


from ..records import record
from ..scheduler.ops import ACQUIRE, END, JOIN, READ, RELEASE, TRY_ACQUIRE, WRITE
from . import certificate
from .events import Event
from .plan import Execution, TrialPlan

MAX_PER_INDEX = 128  # accesses of one index that race prediction compares pairwise
PAUSE_PER_MILLE = 500  # a paused instance in two: across trials the pause meets the race at different rounds


@record(frozen=True, order=True)
class Target:
    """Pause an actor about to make ``first`` until another is about to make ``second`` on
    the same index; order 0 runs first then second, 1 second then first."""

    first: tuple[int, int]  # (kind, statement)
    second: tuple[int, int]
    order: int
    index: int = -1  # the index the pair was seen racing on (-1: any)


def _sync_clocks(events: list[Event]) -> list[dict]:
    """Vector clocks under synchronization only: program order, a release before the next
    acquire of its lock, an end before a join of that actor."""
    out: list[dict] = []
    mine: dict[int, dict] = {}
    released: dict[int, dict] = {}
    ended: dict[int, dict] = {}
    for e in events:
        clock = dict(mine.get(e.actor, {}))
        incoming = []
        if e.kind in (ACQUIRE, TRY_ACQUIRE) and e.ok:
            incoming.append(released.get(e.arg, {}))
        if e.kind == JOIN:
            incoming.append(ended.get(e.arg, {}))
        for other in incoming:
            for actor, n in other.items():
                clock[actor] = max(clock.get(actor, 0), n)
        clock[e.actor] = clock.get(e.actor, 0) + 1
        if e.kind == RELEASE:
            released[e.arg] = clock
        if e.kind == END:
            ended[e.actor] = clock
        mine[e.actor] = clock
        out.append(clock)
    return out


def _locksets(events: list[Event]) -> list[frozenset]:
    held: dict[int, dict[int, int]] = {}
    out = []
    for e in events:
        mine = held.setdefault(e.actor, {})
        if e.kind == ACQUIRE or (e.kind == TRY_ACQUIRE and e.ok):
            mine[e.arg] = mine.get(e.arg, 0) + 1
        elif e.kind == RELEASE and mine.get(e.arg):
            mine[e.arg] -= 1
            if not mine[e.arg]:
                del mine[e.arg]
        out.append(frozenset(mine))
    return out


def racing_pairs(events: list[Event]) -> list[tuple[int, int]]:
    """Every (i, j), i < j, of accesses that can race (a slice on any index it covers; at
    most MAX_PER_INDEX accesses of one index, and as many indices of one slice, compared)."""
    clocks, locksets = _sync_clocks(events), _locksets(events)
    pairs = set()
    for members in _by_index(events).values():
        if len(members) > MAX_PER_INDEX:  # the first and the last accesses: a long trace stays cheap
            members = members[:MAX_PER_INDEX // 2] + members[-MAX_PER_INDEX // 2:]
        for x, i in enumerate(members):
            a = events[i]
            for j in members[x + 1:]:
                b = events[j]
                if a.actor == b.actor or WRITE not in (a.kind, b.kind) or locksets[i] & locksets[j]:
                    continue
                if clocks[i].get(a.actor, 0) <= clocks[j].get(a.actor, 0):
                    continue  # a happens before b through synchronization
                pairs.add((i, j))
    return sorted(pairs)


def _by_index(events: list[Event]) -> dict[int, list[int]]:
    """The accesses of each index, in order: an element access under its index, a slice
    under the indices it covers that another access names (an element's index, or where
    two slices begin to overlap), at most MAX_PER_INDEX of them."""
    from bisect import bisect_left

    by_index: dict[int, list[int]] = {}
    slices = []
    for k, e in enumerate(events):
        if e.kind in (READ, WRITE):
            if e.end - e.arg > 1:
                slices.append(k)
            else:
                by_index.setdefault(e.arg, []).append(k)
    for x, k in enumerate(slices):  # where two slices first overlap
        a = events[k]
        for other in slices[x + 1:]:
            b = events[other]
            if a.overlaps(b):
                by_index.setdefault(max(a.arg, b.arg), [])
    keys = sorted(by_index)
    for k in slices:
        a = events[k]
        inside = keys[bisect_left(keys, a.arg):bisect_left(keys, a.end)]
        if len(inside) > MAX_PER_INDEX:
            inside = inside[:MAX_PER_INDEX // 2] + inside[-MAX_PER_INDEX // 2:]
        for index in inside:
            by_index[index].append(k)
    return {index: sorted(members) for index, members in by_index.items()}


def _writes_later(events: list[Event], k: int) -> bool:
    e = events[k]
    return any(f.actor == e.actor and f.kind == WRITE and f.overlaps(e) for f in events[k + 1:])


def predict(events: list[Event]) -> list[Target]:
    """The targets to try, most likely to lose an update first, each statement pair once."""
    ranked: dict[tuple, int] = {}
    index: dict[tuple, int] = {}  # the first index each statement pair raced on
    for i, j in racing_pairs(events):
        a, b = events[i], events[j]
        first, second = (a.kind, a.statement), (b.kind, b.statement)
        stale = (a.kind == READ and b.kind == WRITE and _writes_later(events, i)) or \
                (b.kind == READ and a.kind == WRITE and _writes_later(events, j))
        rank = 0 if stale else 1 if a.kind == b.kind == WRITE else 2
        key = (first, second)
        ranked[key] = min(ranked.get(key, rank), rank)
        index.setdefault(key, max(a.arg, b.arg))  # where they first overlap
    out = []
    for (first, second), _ in sorted(ranked.items(), key=lambda item: (item[1], item[0])):
        out.append(Target(first, second, 0, index[(first, second)]))
        out.append(Target(first, second, 1, index[(first, second)]))
    return out


class DirectedSearch:
    """Trial 1 records (a random schedule); then each predicted target in turn, both orders,
    back to back (the race a user cares about is most often among the first few); when every
    target has had its trial, random schedules. Shard K of N (:mod:`harness.shard`) records
    trial 1 too (every shard predicts the same races from it), then aims at the predicted
    pairs numbered K-1 mod N, both orders of each: the shards' realized pairs are disjoint."""

    kind = "directed"
    finished = False  # after its targets, random trials: it never runs out
    records_first = True  # every shard runs trial 1: the trace the races are predicted from

    def __init__(self, depth: int = 3, shard: tuple[int, int] = (1, 1)):
        self.shard = shard
        self.recorded = 0  # the trial its races were predicted from (1 in every shard, unless mixed)
        self.pairs = 0  # statement pairs predicted (every shard's, not only its own)
        self.targets: list[Target] | None = None
        self.tried = 0
        self.realized: set[Target] = set()
        self.steps = 0
        self.depth = depth
        self._aimed: dict[int, Target] = {}
        self.unseen: tuple = ()  # indices the recording trial changed where its trace shows no write

    def plan(self, trial: int) -> TrialPlan | None:
        """The first trial records (a random schedule, which finds the easy races at once);
        then the predicted targets; then random trials."""
        if self.targets is None:
            return TrialPlan("random")
        if self.tried < len(self.targets):
            target = self.targets[self.tried]
            self.tried += 1
            self._aimed[trial] = target
            # pinned to one index, every instance pauses: the first meeting there is a race
            pause = 1000 if target.index >= 0 else PAUSE_PER_MILLE
            return TrialPlan("directed", aim=(target.first, target.second, target.order, pause, target.index))
        return TrialPlan("random")

    def wants_events(self, trial: int) -> bool:
        return self.targets is None  # the recording trial's: the races are predicted from it

    def observe(self, trial: int, execution: Execution) -> None:
        self.steps = max(self.steps, len(execution.events), execution.steps)
        if self.targets is None:
            self.pairs, self.targets = _shard_of(predict(list(execution.events)), self.shard)
            self.recorded = trial
            self.unseen = execution.unseen
        elif trial in self._aimed and execution.realized:
            self.realized.add(self._aimed[trial])

    @property
    def aiming(self) -> bool:
        """Is it still recording, or has it targets not yet tried?"""
        return self.targets is None or self.tried < len(self.targets)

    @property
    def predicted(self) -> int:
        return self.pairs

    def certificate(self, trials: int) -> dict:
        realized = len({(t.first, t.second) for t in self.realized})
        extra: dict = {"unseen": list(self.unseen)} if self.unseen else {}
        if self.shard[1] > 1:  # trial 1 is every shard's: the merge counts it once
            extra.update(shard=list(self.shard),
                         repeated=1 if self.shard[0] != 1 and trials and self.recorded == 1 else 0)
        return certificate.sampled("directed", trials, predicted=self.predicted, realized=realized, **extra)


def _shard_of(targets: list[Target], shard: tuple[int, int]) -> tuple[int, list[Target]]:
    """(how many pairs were predicted, this shard's targets): the pairs numbered K-1 mod N in
    the order of :func:`predict`, each with both its orders."""
    from ..shard import owns

    number: dict[tuple, int] = {}
    for t in targets:
        number.setdefault((t.first, t.second), len(number))
    return len(number), [t for t in targets if owns(shard, number[(t.first, t.second)])]
