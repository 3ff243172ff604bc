"""The command line: a thin shell over :mod:`harness.api` (docs/scenario-format.md section 3).

Promise: exit 0 when every verdict passed (or the command succeeded), 1 when a verdict
failed, 2 for any invalid file or option (one ``PATH:LINE:COL: message`` line per problem,
before anything runs, never a traceback), 3 for a bug in the harness itself (the only
case that prints a traceback, to be reported), 130 when interrupted (the reports are still
written, with ``"interrupted": true``). Reports are written atomically.
"""

from __future__ import annotations

import os
import shlex
import signal
import sys
import threading

# Only the standard library at the top: a worker process started by spawn or forkserver
# re-imports the main module, which for the `harness` console script is this one, and must
# then import nothing but the worker side of the harness. Everything else is imported where
# it is used.

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
COLOR_CHOICES = ("auto", "always", "never")

EXAMPLES = """\
examples:
  harness new race.yaml --template call   a scenario calling your function (counters.py beside it)
  harness explain race.yaml               what it will run and expect, and which pairs can race
  harness run race.yaml                   run it (a folder: every *.yaml and *.yml below it)
  harness run scenarios/ --start-method all --junit-xml junit.xml
  harness run -k "lock and not canary"    only the scenarios whose name or file matches
  harness run --lf                        only what failed last time
  harness merge report-*.json --junit-xml junit.xml   the shards of a run (--shard K/N) as one

exit codes:
  0    every verdict passed (or the command did what it was asked)
  1    a verdict failed: a safe scenario raced, a canary never showed its race, a worker
       crashed or hung
  2    an invalid scenario file, option or setting: nothing ran
  3    a bug in the harness (it prints a traceback: please report it)
  130  interrupted (Ctrl-C or SIGTERM): the reports hold the trials that finished

settings: [tool.harness] in pyproject.toml (paths, trials, start_methods, timeout_s, seed,
inject), found from the current directory up. Precedence: the command line, then a
scenario's own run:, then [tool.harness], then the defaults.
"""

RUN_EXAMPLES = """\
examples:
  harness run                              the paths of [tool.harness] in pyproject.toml
  harness run race.yaml --trials 2000 --start-method all
  harness run scenarios/ -k "lock and not canary"   name or file contains lock, not canary
  harness run --lf                         what failed last time (.harness_cache/), else all
  harness run race.yaml --seed 7 --start-method fork --trial 12   a failure's rerun line
  harness run scenarios/ --seed 7 --shard 2/4 --json report-2.json   one machine's part of four;
                                           harness merge report-*.json combines the parts
"""


def build_parser():
    """The argparse parser of every command, its help and its one-line errors."""
    import argparse

    from . import __version__
    from .templates import DEFAULT, TEMPLATES

    class Parser(argparse.ArgumentParser):
        def error(self, message):  # one line, exit 2, like every other bad input
            raise _usage(f"{self.prog}: error: {message}")

        def _get_formatter(self):
            # argparse asks shutil for the width on every add_argument, and shutil's import
            # is a tenth of `harness validate`; os says the same, and only help needs it
            return self.formatter_class(prog=self.prog, width=_terminal_width() - 2)

    raw = argparse.RawDescriptionHelpFormatter
    parser = Parser(prog="harness", description="Concurrency correctness harness for Python processes that "
                    "share arrays.", epilog=EXAMPLES, formatter_class=raw)
    parser.add_argument("--version", action="version",
                        version=f"harness {__version__} (array-race-harness; Python {sys.version.split()[0]})")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    _add_run_arguments(sub.add_parser("run", help="run scenarios", epilog=RUN_EXAMPLES, formatter_class=raw,
                                      description="Run scenarios: every trial under every start method, "
                                                  "then the verdicts."))
    _add_merge_arguments(sub.add_parser("merge", help="combine the JSON reports of a run's shards",
                                        formatter_class=raw, epilog=MERGE_EXAMPLES,
                                        description="Combine the JSON reports of the parts of one run "
                                                    "(harness run --shard K/N --json FILE): trials and outcomes "
                                                    "added up, certificates recomputed from the whole, verdicts "
                                                    "as harness run gives them."))
    val = sub.add_parser("validate", help="check scenario files, run nothing",
                         description="Check scenario files and the functions they call; run nothing. Warns "
                                     "(exit 0) where the analysis disagrees with what a scenario expects.")
    val.add_argument("paths", nargs="*", metavar="PATH",
                     help="scenario files or folders (default: paths of [tool.harness] in pyproject.toml)")
    _add_mutate_arguments(sub.add_parser("mutate", help="do safe scenarios have teeth? run their mutants",
                                         description="For each safe scenario: derive mutants that should race "
                                                     "(weaker locks, overlapping ranges, locks removed from the "
                                                     "called function), run them, and report which survived.",
                                         formatter_class=raw, epilog=MUTATE_EXAMPLES))
    exp = sub.add_parser("explain", help="what a scenario will do and expect")
    exp.add_argument("file", metavar="FILE")
    sub.add_parser("schema", help="print the JSON Schema of the scenario format")
    templates = "\n".join(f"  {name:<20}{text}" for name, text in TEMPLATES.items())
    new = sub.add_parser("new", help="write a commented starting scenario", formatter_class=raw,
                         epilog=f"templates:\n{templates}")
    new.add_argument("file", metavar="FILE")
    new.add_argument("--template", choices=TEMPLATES, default=DEFAULT, metavar="NAME",
                     help=f"one of the templates below (default: {DEFAULT})")
    new.add_argument("--force", action="store_true",
                     help="overwrite an existing scenario file (never the module the call template writes)")
    return parser


def _terminal_width() -> int:
    """The terminal's width as shutil.get_terminal_size finds it: $COLUMNS, then stdout's terminal, else 80."""
    try:
        return int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        pass
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns
    except (AttributeError, ValueError, OSError):
        return 80


def _add_run_arguments(run) -> None:
    from .schema import INJECT_HELP, INJECT_POLICIES, STRATEGIES
    from .settings import METHOD_CHOICES, depth_int as _depth, positive_int, seed_int, shard_pair

    run.add_argument("paths", nargs="*", metavar="PATH",
                     help="scenario files or folders (default: paths of [tool.harness] in pyproject.toml)")
    run.add_argument("-k", dest="keyword", metavar="EXPR",
                     help="only scenarios whose name or file contains these words: 'lock', "
                          "'lock and not canary', 'add or set' (case-insensitive, as pytest's -k)")
    run.add_argument("--lf", "--last-failed", dest="last_failed", action="store_true",
                     help="only the scenarios and start methods that failed in the last run; all of them "
                          "when none did")
    run.add_argument("--cache-clear", action="store_true",
                     help="empty .harness_cache first (parsed scenarios, --last-failed's record), as pytest's")
    run.add_argument("--trials", type=positive_int, help="trials per scenario and start method")
    run.add_argument("--seed", type=seed_int, help="run seed (default: random, printed)")
    run.add_argument("--start-method", action="append", choices=METHOD_CHOICES, dest="start_methods",
                     help="fork, spawn, forkserver or all (repeatable)")
    run.add_argument("--inject", choices=INJECT_POLICIES, help=INJECT_HELP)
    run.add_argument("--no-inject", dest="inject", action="store_const", const="none",
                     help="the same as --inject none")
    run.add_argument("--strategy", choices=STRATEGIES,
                     help="under --inject controlled or mixed, the search: directed (default; a random trial, "
                          "then the races predicted from its trace, each aimed at), exhaustive (every "
                          "interleaving up to reordering of independent steps, until none is left or the "
                          "trials run out: a pass is verified, else INCONCLUSIVE), random, or pct")
    run.add_argument("--depth", type=_depth, help="PCT's bug depth (default 3)")
    run.add_argument("--replay", metavar="TOKEN",
                     help="rerun exactly the interleaving of a failed controlled trial (its replay token), "
                          "in fresh processes; one scenario file")
    run.add_argument("--trial", type=positive_int,
                     help="replay this trial's seeded delays (a failure's rerun), up to --trials times "
                          "(default 20), stopping when it fails again")
    run.add_argument("--shard", type=shard_pair, metavar="K/N",
                     help="run part K of N: the trials K, K+N, K+2N, ... of each scenario's budget (the budget "
                          "is the total over all parts), or the K-th part of an exhaustive search's tree; give "
                          "every part the same --seed, then combine their --json reports with harness merge")
    run.add_argument("--all-trials", action="store_true",
                     help="canaries run every trial instead of stopping at the first detection "
                          "(and --trial replays all its --trials times); a scenario whose first 10 trials "
                          "each crashed the same way runs the rest too")
    run.add_argument("--shrink", action="store_true",
                     help="shrink each race found (a safe scenario's failure, a canary's detection) to the "
                          "fewest workers, loops, elements and context switches that still show it; write "
                          "NAME.min.yaml beside the scenario, with its replay command")
    run.add_argument("--json", metavar="FILE", help="write the JSON report here")
    run.add_argument("--junit-xml", metavar="FILE", help="write JUnit XML here")
    run.add_argument("--html", metavar="FILE", help="write the HTML report here (one self-contained page)")
    run.add_argument("-q", "--quiet", action="store_true", help="print only failures and the total")
    run.add_argument("--no-progress", action="store_true", help="no progress bars, even on a terminal")
    run.add_argument("--color", choices=COLOR_CHOICES, default="auto",
                     help="colour the verdicts: auto (on a terminal, unless NO_COLOR is set), always, never")


MUTATE_EXAMPLES = """\
examples:
  harness mutate scenarios/                 every safe scenario's mutants, killed or not
  harness mutate race.yaml --json mutants.json --start-method all

exit codes: 0 every mutant killed (or listed in expect.survives), 1 a mutant survived that the
scenario does not list, or a scenario fails as it is, 2 an invalid file or option, 130 interrupted.
"""


def _add_mutate_arguments(mutate) -> None:
    from .settings import METHOD_CHOICES, positive_int, seed_int

    mutate.add_argument("paths", nargs="*", metavar="PATH",
                        help="scenario files or folders (default: paths of [tool.harness] in pyproject.toml)")
    mutate.add_argument("-k", dest="keyword", metavar="EXPR", help="only scenarios whose name or file matches")
    mutate.add_argument("--trials", type=positive_int,
                        help="trials per mutant (default: 5 times the scenario's, at least 500)")
    mutate.add_argument("--seed", type=seed_int, help="run seed (default: random, printed)")
    mutate.add_argument("--start-method", action="append", choices=METHOD_CHOICES, dest="start_methods",
                        help="fork, spawn, forkserver or all (repeatable)")
    mutate.add_argument("--json", metavar="FILE", help="write the mutation report here as JSON")
    mutate.set_defaults(junit_xml=None, html=None)


MERGE_EXAMPLES = """\
examples:
  harness merge report-1.json report-2.json report-3.json report-4.json
  harness merge report-*.json --json report.json --junit-xml junit.xml

An exhaustive search is verified only when every shard 1..N is there and finished its part;
else it is inconclusive, naming the missing shards. Exit codes: as harness run's (0 every
verdict passed, 1 one failed or is inconclusive, 2 a report that is missing, not a harness
report, or a part of another run).
"""


def _add_merge_arguments(merge) -> None:
    merge.add_argument("reports", nargs="+", metavar="REPORT.json", help="JSON reports of harness run --shard K/N")
    merge.add_argument("--json", metavar="FILE", help="write the combined JSON report here")
    merge.add_argument("--junit-xml", metavar="FILE", help="write the combined JUnit XML here")
    merge.add_argument("--html", metavar="FILE", help="write the combined HTML report here")
    merge.add_argument("-q", "--quiet", action="store_true", help="print only failures and the total")
    merge.add_argument("--color", choices=COLOR_CHOICES, default="auto", help="colour the verdicts: auto, always, never")


def _same_regular_file(a: str, b: str) -> bool:
    if os.path.exists(a) and os.path.exists(b):
        return os.path.isfile(a) and os.path.samefile(a, b)  # /dev/null twice is fine
    return os.path.realpath(a) == os.path.realpath(b)


def _check_outputs_spare_inputs(args, scenarios) -> None:
    """A report written over a scenario file (or over the other report) would destroy it."""
    outputs = [(flag, path) for flag, path in (("--json", args.json), ("--junit-xml", args.junit_xml),
                                               ("--html", args.html)) if path]
    for flag, path in outputs:
        for s in scenarios:
            if _same_regular_file(path, s.path):
                raise _usage(f"{path}: {flag} would overwrite the scenario file {s.path}")
    for n, (flag, path) in enumerate(outputs):
        for other_flag, other in outputs[n + 1:]:
            if _same_regular_file(path, other):
                raise _usage(f"{other}: {flag} and {other_flag} name the same file")


def _check_replay(args, scenarios) -> None:
    """A replay token is one scenario's trial."""
    if args.shard is not None and (args.replay is not None or args.trial is not None):
        flag = "--replay" if args.replay is not None else "--trial"
        raise _usage(f"harness: error: --shard splits a run into parts; {flag} reruns one trial, which is "
                     "in no part: give one of them")
    if args.replay is None:
        return
    if args.trial is not None:
        raise _usage("harness: error: --replay and --trial both name the trial to rerun; give one of them")
    if len(scenarios) != 1:
        raise _usage(f"harness: error: --replay reruns one scenario's trial, but {len(scenarios)} scenario files "
                     "were given; name the one the token came from")
    if args.inject not in (None, "controlled"):
        raise _usage(f"harness: error: --replay reruns a controlled trial; --inject {args.inject} contradicts it")


def _check_shard_seed(args, project, scenarios) -> None:
    """The parts of a run are parts of one exploration only under one seed: a random one per
    part would make them different runs, which harness merge refuses."""
    if args.shard is None or args.shard[1] == 1 or args.seed is not None or project.options.seed is not None:
        return
    if all(s.run.seed is not None for s in scenarios):
        return
    raise _usage(f"harness: error: --shard {args.shard[0]}/{args.shard[1]} needs the same --seed on every part "
                 "(or seed in [tool.harness]), so the parts share one exploration; e.g. --seed 1")


def _usage(message: str):
    from .errors import UsageError

    return UsageError(message)


def _start_methods(choices) -> tuple[str, ...] | None:
    from .settings import expand_start_methods

    try:
        return expand_start_methods(choices, "harness: error: --start-method")
    except ValueError as exc:
        raise _usage(str(exc)) from None


def _paths(given: list[str], project) -> list[str]:
    """The paths named, else those of [tool.harness]."""
    from .project import shown_path

    if given:
        return given
    if project.paths:
        return [shown_path(p) for p in project.paths]
    where = (f"no paths in [tool.harness] of {project.config_file}" if project.config_file
             else "no pyproject.toml with [tool.harness] paths here or above")
    raise _usage(f"harness: error: no PATH given, and {where}; e.g. harness run scenarios/, "
                 "or paths = [\"scenarios\"] under [tool.harness]")


def _load(paths: list[str], root: str):
    """Every scenario under ``paths`` (through the cache of the project's ``root``), and every
    call target they name found (exit 2 else)."""
    from .load import load_all
    from .ops.call_targets import check_call_targets

    scenarios = load_all(paths, root)
    check_call_targets(scenarios)
    if not scenarios:
        raise _usage(f"harness: error: no scenario files (*.yaml, *.yml) in {' '.join(paths)}")
    return scenarios


def _choose(args, scenarios) -> list:
    """The scenarios -k chooses (all without -k); choosing none is a usage error."""
    if args.keyword is None:
        return scenarios
    from .selection import keyword_matcher

    matches = keyword_matcher(args.keyword)
    chosen = [s for s in scenarios if matches(s)]
    if not chosen:
        raise _usage(f"harness: error: -k {args.keyword!r} matches none of the {len(scenarios)} scenario(s)")
    print(f"harness: -k {args.keyword!r} chose {len(chosen)} of {len(scenarios)} scenario(s)", flush=True)
    return chosen


def _resolve(args, project, scenarios):
    """The whole run's settings (command line > scenario run: > [tool.harness]), then --lf."""
    from .records import replace

    from .cache import job_key, read_failed
    from .settings import RunOptions, resolve

    command_line = RunOptions(trials=args.trials, seed=args.seed, start_methods=_start_methods(args.start_methods),
                              inject=args.inject, trial=args.trial, strategy=args.strategy, depth=args.depth,
                              shard=args.shard,
                              replay=args.replay, stop_on_detection=False if args.all_trials else None)
    run = resolve(scenarios, command_line, (project.options,))
    failed, problem = read_failed(project.root)
    if not args.last_failed:
        return run, failed
    if problem:
        print(problem, file=sys.stderr)
    again = tuple(job for job in run.jobs if job_key(job) in failed)
    if not again:
        print(f"harness: --last-failed: no failure recorded for these {len(run.jobs)} run(s); running all of them",
              flush=True)
        return run, failed
    print(f"harness: --last-failed: {len(again)} of {len(run.jobs)} run(s) failed last time; running those",
          flush=True)
    return replace(run, jobs=again), failed


def _use_colour(choice: str) -> bool:
    """--color: auto is on for a terminal, unless NO_COLOR (https://no-color.org) or TERM=dumb."""
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return sys.stdout is not None and sys.stdout.isatty()


def _cmd_run(args) -> int:
    from . import api
    from .output import check_writable
    from .progress import Progress
    from .project import find_project
    from .report.console import failure_text, result_lines

    for path in (args.json, args.junit_xml, args.html):
        check_writable(path)
    project = find_project()
    if args.cache_clear:
        from .scenario_cache import clear

        problem = clear(project.root)
        if problem:
            print(problem, file=sys.stderr)
    scenarios = _load(_paths(args.paths, project), project.root)
    _check_outputs_spare_inputs(args, scenarios)
    chosen = _choose(args, scenarios)
    _check_replay(args, chosen)
    _check_shard_seed(args, project, chosen)
    run, failed_before = _resolve(args, project, chosen)
    colour = _use_colour(args.color)
    part = f", shard {args.shard[0]}/{args.shard[1]}" if args.shard else ""
    print(f"harness: {len({id(job.scenario) for job in run.jobs})} scenario file(s), seed {run.seed}{part}",
          flush=True)
    progress = Progress(enabled=not args.no_progress and not args.quiet, runs=len(run.jobs), trials=run.total_trials)
    finished = []

    def on_result(result):
        finished.append(result)
        progress.done(result)
        if not (args.quiet and result.passed):
            progress.print(result_lines(result, colour))
        if not result.passed:
            progress.print(failure_text(result, colour))

    try:
        report = api.run_all(run, on_trial=progress.trial, on_result=on_result)
        args.interrupts.raising = False  # from here on an interrupt is only noted: the reports come first
    except KeyboardInterrupt:  # it landed just outside run_all's own handling: every result it had is whole
        args.interrupts.raising = False
        report = api.RunReport(run.seed, finished, interrupted=True)
    progress.close()
    if args.shrink and not report.interrupted:
        _shrink_races(report, run, colour)
    return _finish_run(args, report, project, failed_before, colour)


def _shrink_races(report, run, colour) -> None:
    """--shrink: each scenario file's first race, shrunk, written beside it, and shown."""
    from . import api
    from .errors import HarnessError
    from .output import write_atomically
    from .report.console import shrunk_text
    from .shrinking import shrinkable

    jobs = {(j.scenario.path, j.scenario.name, j.settings.start_method): j for j in run.jobs}
    done = set()
    for result in report.results:
        job = jobs.get((result.file, result.name, result.start_method))
        if job is None or result.file in done or not shrinkable(result) or result.file.endswith((".min.yaml", ".min.yml")):
            continue
        done.add(result.file)
        print(f"harness: shrinking {result.name} [{result.start_method}]...", flush=True)
        try:
            shrunk = api.shrink(result, job)
            if shrunk is not None:
                write_atomically(shrunk.path, shrunk.text)
        except (HarnessError, OSError) as exc:
            print(f"harness: could not shrink {result.name}: {getattr(exc, 'strerror', None) or exc}", flush=True)
            continue
        result.shrunk = api.shrunk_entry(shrunk)
        print(shrunk_text(result, colour), flush=True)


def _finish_run(args, report, project, failed_before, colour) -> int:
    """After the trials: the interrupted ones' lines, the reports, the cache, the closing
    table and the exit status."""
    from .cache import record
    from .report.console import failure_text, failures_table, result_lines, run_footer

    if report.interrupted:
        for r in report.results:
            if r.interrupted:
                print(result_lines(r, colour), flush=True)
                if r.verdict == "failed":  # its trials had already failed it
                    print(failure_text(r, colour), flush=True)
    problems = _write_reports(args, report)
    problem = record(project.root, failed_before, report.results)
    if problem:
        print(problem, file=sys.stderr)
    table = failures_table(report.results, colour)
    if table:
        print(table, flush=True)
    print(run_footer(report, colour), flush=True)
    for problem in problems:
        print(problem, file=sys.stderr)
    if report.interrupted or args.interrupts.noted:
        print("harness: interrupted; reports hold the trials that finished", file=sys.stderr)
        return EXIT_INTERRUPTED
    if problems:
        return EXIT_USAGE
    return EXIT_OK if report.passed else EXIT_FAILED


def _write_reports(args, report) -> list[str]:
    """Write each report asked for; one that cannot be written (a full disk, a folder that
    went away) is a line naming the file and the OS error, and the other is still written."""
    from .errors import HarnessError
    from .output import write_atomically

    def to_json(rep):
        from .report.json_report import to_json

        return to_json(rep)

    def to_junit(rep):
        from .report.junit import to_junit  # xml.etree: only when asked for

        return to_junit(rep)

    def to_page(rep):
        from .report.html import to_html

        return to_html(rep, command=" ".join(["harness", *map(shlex.quote, args.argv)]))

    problems = []
    # the page last: the other reports are safe should drawing it fail
    for what, path, render in (("JSON", args.json, to_json), ("JUnit", args.junit_xml, to_junit),
                               ("HTML", args.html, to_page)):
        if not path:
            continue
        try:
            write_atomically(path, render(report))
        except OSError as exc:
            problems.append(f"harness: cannot write the {what} report {path}: {exc.strerror or exc}")
        except HarnessError as exc:  # a symlink planted since the check before the run
            problems.append(f"harness: cannot write the {what} report {path}: {exc}")
    return problems


class _Interrupts:
    """SIGINT and SIGTERM for the command line. The first one is noted and stops what runs
    (KeyboardInterrupt, while ``raising``); later ones are ignored, so pressing Ctrl-C again
    cannot cut short the workers' cleanup or the reports."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self):
        self.noted = False
        self.raising = True
        self.previous = {}
        if threading.current_thread() is threading.main_thread():  # where Python allows handlers
            self.previous = {s: signal.signal(s, self._arrived) for s in self.SIGNALS}

    def _arrived(self, signum, frame):
        self.noted = True
        self._ignore()
        if self.raising:
            raise KeyboardInterrupt

    def _ignore(self) -> None:
        for s in self.previous:
            _set_handler(s, signal.SIG_IGN)

    def release(self, in_process: bool) -> None:
        """The caller's handlers back; or, when this process is about to exit, SIG_IGN: Python
        resets its own handlers to the default action (death by the signal) while it exits."""
        if in_process:
            for s, handler in self.previous.items():
                _set_handler(s, handler)
        else:
            self._ignore()


def _set_handler(signum: int, handler) -> None:
    """signal.signal, once more when it raised: before changing a handler Python runs what
    arrived meanwhile, and a SIGINT that came while its handler was already SIG_IGN is reported
    as an OSError ("ignored due to race condition") instead; it was ignored, as asked."""
    try:
        signal.signal(signum, handler)
    except OSError:
        signal.signal(signum, handler)


def _cmd_merge(args) -> int:
    from . import api
    from .merge import read_reports, merge
    from .output import check_writable
    from .report.console import failure_text, failures_table, result_lines, run_footer

    for path in (args.json, args.junit_xml, args.html):
        check_writable(path)
        for report in args.reports if path else ():
            if _same_regular_file(path, report):
                raise _usage(f"{path}: the combined report would overwrite the report {report} it reads")
    seed, results = merge(read_reports(args.reports))
    colour = _use_colour(args.color)
    print(f"harness merge: {len(args.reports)} report(s), {len(results)} scenario run(s), seed {seed}", flush=True)
    for result in results:
        if not (args.quiet and result.passed):
            print(result_lines(result, colour))
        if not result.passed:
            print(failure_text(result, colour))
    report = api.RunReport(seed, results, duration_s=sum(r.duration_s for r in results))
    problems = _write_reports(args, report)
    table = failures_table(report.results, colour)
    if table:
        print(table)
    print(run_footer(report, colour), flush=True)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        return EXIT_USAGE
    return EXIT_OK if report.passed else EXIT_FAILED


def _cmd_validate(args) -> int:
    from .errors import ScenarioError
    from .load import load_all
    from .project import find_project
    from .ops.call_targets import call_target_problems

    project = find_project()
    paths = _paths(args.paths, project)
    scenarios = load_all(paths, project.root)
    if not scenarios:
        raise _usage(f"harness: error: no scenario files (*.yaml, *.yml) in {' '.join(paths)}")
    problems = call_target_problems(scenarios)
    if problems:  # what `harness run` would stop on, before anything runs
        raise ScenarioError(problems)
    for s in scenarios:
        n = sum(g.count for g in s.workers)
        kind = f"canary ({s.expect.anomaly})" if s.is_canary else "safe"
        print(f"{s.path}: ok: {s.name}, {kind}, {len(s.workers)} group(s), {n} process(es)")
    for warning in _analysis_warnings(scenarios):
        print(warning, file=sys.stderr)
    print(f"{len(scenarios)} valid")
    return EXIT_OK


def _analysis_warnings(scenarios) -> list[str]:
    """Where `harness explain` warns: a safe scenario whose workers can race as the plan
    sees them, a canary whose race the plan cannot find."""
    from .explain import expectation_warning
    from .plan import make_plan

    warnings = []
    for s in scenarios:
        warning = expectation_warning(make_plan(s))
        if warning:
            warnings.append(f"{s.path}: warning: expect.anomaly: {s.expect.anomaly}, but the race analysis "
                            f"{warning} (see harness explain {s.path})")
    return warnings


def _cmd_explain(args) -> int:
    from .explain import explain
    from .load import load_scenario
    from .plan import make_plan

    print(explain(make_plan(load_scenario(args.file))), end="")  # print: a closed stdout is None
    return EXIT_OK


def _cmd_mutate(args) -> int:
    from .mutate.derive import derive
    from .mutate.run import check_survives, mutate_all
    from .output import check_writable, write_atomically
    from .project import find_project
    from .report.mutation import mutation_footer, scenario_text, to_json
    from .settings import RunOptions, resolve

    check_writable(args.json)
    project = find_project()
    paths = _paths(args.paths, project)
    scenarios = _choose(args, _load(paths, project.root))
    _check_outputs_spare_inputs(args, scenarios)
    safe = [s for s in scenarios if not s.is_canary]
    if not safe:
        raise _usage(f"harness: error: no safe scenario (expect.anomaly: none) in {' '.join(paths)}; "
                     "mutate calibrates safe scenarios (a canary already proves its race)")
    derivations = {id(s): derive(s) for s in safe}
    check_survives(list(derivations.values()))
    run = resolve(safe, RunOptions(seed=args.seed, start_methods=_start_methods(args.start_methods)),
                  (project.options,))
    count = sum(len(d.mutants) for d in derivations.values())
    print(f"harness mutate: {len(safe)} safe scenario(s), {count} mutant(s), seed {run.seed}", flush=True)
    shown = []

    def on_scenario(done):
        shown.append(done)
        print(scenario_text(done), flush=True)

    report = mutate_all(run.jobs, derivations, run.seed, args.trials, on_scenario)
    args.interrupts.raising = False
    report.skipped = [s.path for s in scenarios if s.is_canary]
    for s in report.scenarios:
        if not any(s is done for done in shown):  # interrupted while it ran
            print(scenario_text(s), flush=True)
    print(mutation_footer(report), flush=True)
    if args.json:
        try:
            write_atomically(args.json, to_json(report))
        except OSError as exc:
            print(f"harness: cannot write the JSON report {args.json}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_USAGE
    if report.interrupted or args.interrupts.noted:
        return EXIT_INTERRUPTED
    return EXIT_OK if report.passed else EXIT_FAILED


def _cmd_schema(args) -> int:
    from .schema import schema_json

    print(schema_json(), end="")
    return EXIT_OK


def _cmd_new(args) -> int:
    from .output import check_writable, write_atomically
    from .templates import module_for, render

    if not args.file.endswith((".yaml", ".yml")):
        raise _usage(f"{args.file}: a scenario file name ends in .yaml or .yml")
    if os.path.exists(args.file) and not args.force:
        raise _usage(f"{args.file}: already exists; use --force to overwrite it")
    check_writable(args.file, "the scenario")
    module = module_for(args.template, args.file)  # (path, text) of the code it calls, if any
    if module is not None and not os.path.exists(module[0]):
        check_writable(module[0], "the module")
    write_atomically(args.file, render(args.template, args.file))
    wrote = f"wrote {args.file} (template {args.template})"
    if module is not None:
        if os.path.exists(module[0]):  # the user's own code: never overwritten
            wrote += f"; kept the existing {module[0]}, which it calls"
        else:
            write_atomically(module[0], module[1])
            wrote += f" and {module[0]}, the function it calls: edit it"
    print(f"{wrote}; next: harness explain {args.file}, then harness run {args.file}")
    return EXIT_OK


COMMANDS = {"run": _cmd_run, "merge": _cmd_merge, "validate": _cmd_validate, "explain": _cmd_explain, "mutate": _cmd_mutate,
            "schema": _cmd_schema, "new": _cmd_new}


def main(argv: list[str] | None = None) -> int:
    """The program. With ``argv`` (a caller in this process), the SIGINT and SIGTERM handlers
    are restored on return; without (this process's own command line), both are ignored from
    then on, so a late Ctrl-C cannot turn its exit into a traceback or a death by the signal,
    and the process ends as soon as its work is done (:func:`_exit_now`)."""
    status = _program(argv)
    if argv is None:
        _exit_now(status)
    return status


def _exit_now(status: int) -> None:
    """End this process the moment its work is done: what atexit holds runs (multiprocessing's
    own cleanup, a coverage tracer's save), the standard streams are flushed, and the
    interpreter's teardown (freeing every module and object one by one: a tenth of a short
    run) is skipped. Not while a thread of the user's code still runs: a normal exit waits
    for it."""
    if threading.active_count() > 1:
        return
    import atexit

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):  # a closed pipe: what it held is lost either way
            pass
    os._exit(status)


def _program(argv: list[str] | None) -> int:
    # a closed pipe (`| head`) or a full disk on stdout must not end a run early, lose its
    # reports or change its exit status: output stops, the run goes on
    from .errors import HarnessError, InternalError
    from .output import GuardedStdout

    stdout = sys.stdout
    if stdout is not None:  # None: the process started with its stdout closed (`>&-`)
        sys.stdout = GuardedStdout(stdout)
    interrupts = _Interrupts()
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.command is None:  # bare `harness`: a usage error, with the whole help to fix it
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        args.interrupts = interrupts
        args.argv = list(sys.argv[1:] if argv is None else argv)  # the command line, as the HTML report shows it
        return COMMANDS[args.command](args)
    except HarnessError as exc:
        for line in exc.lines():
            print(line, file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("harness: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - anything else is ours, and says so
        import traceback

        traceback.print_exc(file=sys.stderr)
        print(InternalError(f"{type(exc).__name__}: {exc}"), file=sys.stderr)
        return EXIT_INTERNAL
    finally:
        interrupts.raising = False
        if sys.stdout is not None:
            sys.stdout.flush()
        sys.stdout = stdout
        interrupts.release(in_process=argv is not None)
