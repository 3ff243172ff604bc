"""The smallest counterexample: a failing schedule with as few context switches as will do.

Promise: :func:`shrink_schedule` takes the switches of a failing trial (each change of the
running actor: the step it ran first, the actor), how many steps the trial had, and a
``replay`` function (switches to follow -> (failed?, the switches that actually ran)); it
returns a schedule that still fails and from which no single run of one actor can be folded
into that actor's next run (delta debugging, Zeller and Hildebrandt, TSE 2002, over the
runs). Folding a run postpones its steps: each actor still does its steps in its own order,
so the schedule stays one the code can follow; where it cannot, the replay runs on by the
stay rule and the switches it really made are kept, so what is returned was seen to fail.
"""

from __future__ import annotations


def context_switches(switches) -> int:
    """Changes of the running actor (the first choice of a trial is not one)."""
    return max(0, len(switches) - 1)


def runs_of(switches, steps: int) -> list[tuple[int, int]]:
    """(actor, how many steps it runs) for each stretch between switches."""
    out = []
    for k, (step, actor) in enumerate(switches):
        end = switches[k + 1][0] if k + 1 < len(switches) else steps + 1
        out.append((actor, end - step))
    return out


def switches_of(runs) -> tuple[tuple[int, int], ...]:
    out, step = [], 1
    for actor, count in runs:
        if count <= 0:
            continue
        if out and out[-1][1] == actor:
            step += count
            continue
        out.append((step, actor))
        step += count
    return tuple(out)


def fold(runs, k: int) -> list[tuple[int, int]]:
    """Run k's steps postponed into its actor's next run (or, for its last, brought
    forward into its previous one)."""
    actor, count = runs[k]
    rest = runs[:k] + runs[k + 1:]
    later = [i for i in range(k, len(rest)) if rest[i][0] == actor]
    earlier = [i for i in range(k) if rest[i][0] == actor]
    if later:
        i = later[0]
    elif earlier:
        i = earlier[-1]
    else:
        return runs  # its only run: nothing to fold into
    rest[i] = (actor, rest[i][1] + count)
    return rest


def shrink_schedule(switches, steps: int, replay, budget: int = 500):
    """(smallest failing switches, replays used)."""
    best = tuple(switches)
    used = 0
    improved = True
    while improved and used < budget:
        improved = False
        runs = runs_of(best, steps)
        for k in range(len(runs)):
            candidate = switches_of(fold(runs, k))
            if len(candidate) >= len(best):
                continue
            failed, ran = replay(candidate)
            used += 1
            if failed and len(ran) < len(best):
                best, improved = tuple(ran), True
                break
            if used >= budget:
                break
    return best, used
