"""The command line: a thin shell over :mod:`harness.api` (SCENARIO_FORMAT.md section 3).

Promise: exit 0 when every verdict passed (or the command succeeded), 1 when a verdict
failed, 2 for any invalid file or option (one ``PATH:LINE:COL: message`` line per problem,
before anything runs, never a traceback) or a report that could not be written (one line
naming it and the OS error; the other report is still written), 3 for a bug in the harness
itself (the only case that prints a traceback, to be reported), 130 when interrupted, however
often SIGINT or SIGTERM arrive (once the run has begun, the reports are still written, with
``"interrupted": true``). Reports are written atomically.
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import sys
import threading

from .errors import HarnessError, InternalError, UsageError
from .output import GuardedStdout, check_writable, write_atomically
from .settings import expand_start_methods, positive_int, seed_int

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
START_METHOD_CHOICES = ("fork", "spawn", "forkserver", "all")


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, like every other bad input
        raise UsageError(f"{self.prog}: error: {message}")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="harness", description="Concurrency correctness harness for Python "
                     "processes that share arrays.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = sub.add_parser("run", help="run scenarios")
    run.add_argument("paths", nargs="+", metavar="PATH")
    run.add_argument("--trials", type=positive_int, help="trials per scenario and start method")
    run.add_argument("--seed", type=seed_int, help="run seed (default: random, printed)")
    run.add_argument("--start-method", action="append", choices=START_METHOD_CHOICES, dest="start_methods",
                     help="fork, spawn, forkserver or all (repeatable)")
    run.add_argument("--no-inject", action="store_true", help="turn timing injection off")
    run.add_argument("--trial", type=positive_int,
                     help="replay this trial's seeded delays (a failure's rerun), up to --trials times "
                          "(default 20), stopping when it fails again")
    run.add_argument("--all-trials", action="store_true",
                     help="canaries run every trial instead of stopping at the first detection "
                          "(and --trial replays all its --trials times)")
    run.add_argument("--json", metavar="FILE", help="write the JSON report here")
    run.add_argument("--junit-xml", metavar="FILE", help="write JUnit XML here")
    run.add_argument("--html", metavar="FILE", help="write the HTML report here (one self-contained page)")
    run.add_argument("-q", "--quiet", action="store_true", help="print only failures and the total")
    run.add_argument("--no-progress", action="store_true", help="no progress bar, even on a terminal")
    val = sub.add_parser("validate", help="check scenario files, run nothing")
    val.add_argument("paths", nargs="+", metavar="PATH")
    exp = sub.add_parser("explain", help="what a scenario will do and expect")
    exp.add_argument("file", metavar="FILE")
    sub.add_parser("schema", help="print the JSON Schema of the scenario format")
    new = sub.add_parser("new", help="write a commented starting scenario")
    new.add_argument("file", metavar="FILE")
    from .templates import DEFAULT, TEMPLATES

    new.add_argument("--template", choices=TEMPLATES, default=DEFAULT)
    new.add_argument("--force", action="store_true", help="overwrite an existing file")
    return parser


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
                raise UsageError(f"{path}: {flag} would overwrite the scenario file {s.path}")
    for n, (flag, path) in enumerate(outputs):
        for other_flag, other in outputs[n + 1:]:
            if _same_regular_file(path, other):
                raise UsageError(f"{other}: {flag} and {other_flag} name the same file")


def _start_methods(choices) -> tuple[str, ...] | None:
    try:
        return expand_start_methods(choices, "harness: error: --start-method")
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _cmd_run(args) -> int:
    from . import api
    from .load import load_all
    from .targets import check_call_targets
    from .progress import Progress
    from .report.console import failure_text, run_footer, summary_line
    from .settings import RunOptions

    check_writable(args.json)
    check_writable(args.junit_xml)
    check_writable(args.html)
    options = RunOptions(trials=args.trials, seed=args.seed, start_methods=_start_methods(args.start_methods),
                         inject=False if args.no_inject else None, trial=args.trial,
                         stop_on_detection=False if args.all_trials else None)
    scenarios = load_all(args.paths)
    check_call_targets(scenarios)
    _check_outputs_spare_inputs(args, scenarios)
    if not scenarios:
        raise UsageError(f"harness: error: no scenario files (*.yaml, *.yml) in {' '.join(args.paths)}")
    seed = options.seed if options.seed is not None else api.new_seed()
    print(f"harness: {len(scenarios)} scenario file(s), seed {seed}", flush=True)
    progress = Progress(enabled=not args.no_progress and not args.quiet)

    finished = []

    def on_result(result):
        finished.append(result)
        progress.done(result)
        if not (args.quiet and result.passed):
            print(summary_line(result), flush=True)
        if not result.passed:
            print(failure_text(result), flush=True)

    try:
        report = api.run_all(scenarios, options, on_trial=progress.trial, on_result=on_result, seed=seed)
        args.interrupts.raising = False  # from here on an interrupt is only noted: the reports come first
    except KeyboardInterrupt:  # it landed just outside run_all's own handling: every result it had is whole
        args.interrupts.raising = False
        report = api.RunReport(seed, finished, interrupted=True)
    progress.close()
    if report.interrupted:
        for r in report.results:
            if r.interrupted:
                print(summary_line(r), flush=True)
    problems = _write_reports(args, report)
    print(run_footer(report), flush=True)
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
    from .report.json_report import to_json
    from .report.junit import to_junit

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
            signal.signal(s, signal.SIG_IGN)

    def release(self, in_process: bool) -> None:
        """The caller's handlers back; or, when this process is about to exit, SIG_IGN: Python
        resets its own handlers to the default action (death by the signal) while it exits."""
        if in_process:
            for s, handler in self.previous.items():
                signal.signal(s, handler)
        else:
            self._ignore()


def _cmd_validate(args) -> int:
    from .load import load_all
    from .targets import call_target_problems

    scenarios = load_all(args.paths)
    if not scenarios:
        raise UsageError(f"harness: error: no scenario files (*.yaml, *.yml) in {' '.join(args.paths)}")
    for s in scenarios:
        n = sum(g.count for g in s.workers)
        kind = f"canary ({s.expect.anomaly})" if s.is_canary else "safe"
        print(f"{s.path}: ok: {s.name}, {kind}, {len(s.workers)} group(s), {n} process(es)")
    # the file is valid; its call target is the user's code, which may not be written yet
    # (or live elsewhere), so say what `run` would stop on without failing the file
    for problem in call_target_problems(scenarios):
        print(f"{problem} (warning: `harness run` stops here)", file=sys.stderr)
    print(f"{len(scenarios)} valid")
    return EXIT_OK


def _cmd_explain(args) -> int:
    from .explain import explain
    from .load import load_scenario
    from .plan import make_plan

    print(explain(make_plan(load_scenario(args.file))), end="")  # print: a closed stdout is None
    return EXIT_OK


def _cmd_schema(args) -> int:
    from .schema import schema_json

    print(schema_json(), end="")
    return EXIT_OK


def _cmd_new(args) -> int:
    from .templates import render

    if not args.file.endswith((".yaml", ".yml")):
        raise UsageError(f"{args.file}: a scenario file name ends in .yaml or .yml")
    if os.path.exists(args.file) and not args.force:
        raise UsageError(f"{args.file}: already exists; use --force to overwrite it")
    check_writable(args.file, "the scenario")
    write_atomically(args.file, render(args.template, args.file))
    print(f"wrote {args.file} (template {args.template}); next: harness explain {args.file}")
    return EXIT_OK


COMMANDS = {"run": _cmd_run, "validate": _cmd_validate, "explain": _cmd_explain,
            "schema": _cmd_schema, "new": _cmd_new}


def main(argv: list[str] | None = None) -> int:
    """The program. With ``argv`` (a caller in this process), the SIGINT and SIGTERM handlers
    are restored on return; without (this process's own command line), both are ignored from
    then on, so a late Ctrl-C cannot turn its exit into a traceback or a death by the signal."""
    # a closed pipe (`| head`) or a full disk on stdout must not end a run early, lose its
    # reports or change its exit status: output stops, the run goes on
    stdout = sys.stdout
    if stdout is not None:  # None: the process started with its stdout closed (`>&-`)
        sys.stdout = GuardedStdout(stdout)
    interrupts = _Interrupts()
    try:
        args = build_parser().parse_args(argv)
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
