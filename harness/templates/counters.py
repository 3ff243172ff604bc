"""The function that the scenario beside this file runs in each of its processes.

`harness new --template call` wrote it as a starting point: replace the body with your own
code (the harness hands it an instrumented stand-in for the shared multiprocessing.Array,
and every access is a point where it injects delays), then `harness run` the scenario.
"""


def increment(arr, loops):
    for _ in range(loops):
        for i in range(len(arr)):
            with arr.get_lock():  # remove this line and `harness run` shows the lost updates
                arr[i] += 1
