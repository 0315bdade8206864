"""Command line for sweeps.

    python -m model.sweep start --source sample:GOOG --rnn-unit 8:128 --layer-num 1:3 \\
        --time-step 10:60:5 --learning-rate 1e-4:1e-2:log --trials 40 --workers 2 [--storage URL] [--timeout MIN]
    python -m model.sweep worker --name NAME --storage URL      # join a study (any machine)
    python -m model.sweep run NAME [--workers N]                  # run this machine's workers for a study
    python -m model.sweep resume NAME --trials 10 [--workers N]   # 10 more trials
    python -m model.sweep status NAME | best NAME | list | stop NAME
    python -m model.sweep start ... --objective folds:3           # score trials on 3 walk-forward folds
    python -m model.sweep recheck NAME --top 5                    # top trials on the holdout: DM, SPA, MCS

Every knob flag takes a value (fixed), LOW:HIGH, LOW:HIGH:STEP, LOW:HIGH:log or a,b choices.
Trials are scored on the validation period; the test period stays unseen by the search.
"""

from __future__ import annotations

import argparse
import json
import logging
import time

from model.engine.config import KNOBS
from model.errors import SweepError, reports_errors

log = logging.getLogger("model.sweep")

# Short aliases for the flags people type most.
ALIASES = {"learning_rate": ["--lr"]}


def _storage_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--storage",
        help="Optuna storage: a PostgreSQL URL (postgresql+psycopg://...) or journal:PATH "
        "(default: $LENS_DB when it is a server database, else sweeps.journal next to the run store)",
    )
    p.add_argument("--db", help="run store URL (default $LENS_DB or sqlite:///runs/lens.db)")
    _verbose_arg(p, default=argparse.SUPPRESS)  # after the command too: ``status NAME -v``


def _verbose_arg(p: argparse.ArgumentParser, *, default) -> None:
    p.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=default,
        help="say more: INFO lines on the console, DEBUG in the log file (<runs>/logs/)",
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m model.sweep",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    _verbose_arg(p, default=False)
    sub = p.add_subparsers(dest="command", required=True)
    _start_parser(sub)
    _worker_parser(sub)
    _run_parsers(sub)
    _query_parsers(sub)
    return p.parse_args(argv)


def _start_parser(sub) -> None:
    start = sub.add_parser("start", help="create a study and run its workers on this machine")
    start.add_argument("--name", help="study name (default sweep-DATE-TIME)")
    start.add_argument("--source", default="sample:GOOG", help="sample:TICKER, yfinance:TICKER or csv:FILE")
    start.add_argument("--start", help="yfinance start date (YYYY-MM-DD)")
    start.add_argument("--end", help="yfinance end date (YYYY-MM-DD)")
    start.add_argument(
        "--trials", type=int, default=None, help="trial budget (default 20 unless --timeout is given)"
    )
    start.add_argument("--timeout", type=float, metavar="MIN", help="start no trial after this many minutes")
    start.add_argument("--workers", type=int, help="worker processes on this machine (default: one per core)")
    start.add_argument("--pruner", default="median", choices=["median", "halving", "hyperband", "none"])
    start.add_argument("--sampler-seed", type=int, help="seed the sampler (repeatable with one worker)")
    start.add_argument(
        "--objective",
        default="holdout",
        metavar="holdout|folds[:K]",
        help="holdout: a trial's best validation loss on one split (default); folds:K: its mean "
        "validation loss over K walk-forward folds ending before the holdout (the last test share)",
    )
    start.add_argument("--detach", action="store_true", help="run the workers in the background and return")
    _storage_args(start)
    knobs = start.add_argument_group(
        "search space (fixed value, LOW:HIGH, LOW:HIGH:STEP, LOW:HIGH:log or a,b)"
    )
    for spec in KNOBS.values():
        knobs.add_argument(
            spec.cli_flag, *ALIASES.get(spec.name, []), dest=spec.name, metavar="SPEC", help=spec.label
        )


def _worker_parser(sub) -> None:
    worker = sub.add_parser("worker", help="join a study as one worker process (any machine)")
    # --name as on start; --study is the older spelling, still accepted.
    worker.add_argument("--name", "--study", dest="name", required=True, help="the study to join")
    worker.add_argument("--threads", type=int, help="TensorFlow threads (default: all cores)")
    worker.add_argument("--index", type=int, default=0, help=argparse.SUPPRESS)
    worker.add_argument(
        "--max-trials",
        type=int,
        help="trials before the worker exits to be replaced by a fresh "
        "process (exit code 75; default: no limit)",
    )
    _storage_args(worker)


def _run_parsers(sub) -> None:
    run = sub.add_parser("run", help="run this machine's workers for a study until its budget is used")
    run.add_argument("name")
    run.add_argument("--workers", type=int)
    _storage_args(run)

    resume = sub.add_parser("resume", help="clear a study's stop flag, add budget and run workers")
    resume.add_argument("name")
    resume.add_argument(
        "--trials",
        type=int,
        metavar="N",
        help="run N more trials (on top of those already done, whatever the old budget)",
    )
    resume.add_argument("--timeout", type=float, metavar="MIN", help="minutes from now")
    resume.add_argument("--workers", type=int)
    resume.add_argument("--detach", action="store_true")
    _storage_args(resume)


def _query_parsers(sub) -> None:
    for command, text in (
        ("status", "leaderboard"),
        ("best", "best trial and its settings"),
        ("stop", "stop a study"),
    ):
        q = sub.add_parser(command, help=text)
        q.add_argument("name")
        _storage_args(q)
    check = sub.add_parser("recheck", help="re-score the top trials on the holdout only: DM p, SPA, MCS")
    check.add_argument("name")
    check.add_argument("--top", type=int, default=5, help="how many of the best trials (default 5)")
    check.add_argument(
        "--folds", type=int, default=3, help="walk-forward folds inside the holdout (default 3)"
    )
    check.add_argument("--seed", type=int, default=0, help="the bootstrap's seed (SPA, MCS)")
    _storage_args(check)
    listing = sub.add_parser("list", help="all studies")
    _storage_args(listing)


def space_from_arguments(args: argparse.Namespace):
    from model.engine.config import LstmConfig
    from model.sweep.space import SearchSpace, parse_spec

    params = tuple(parse_spec(name, getattr(args, name)) for name in KNOBS if getattr(args, name) is not None)
    return SearchSpace(LstmConfig(), params).check()


def _print_status(name: str, storage: str | None) -> None:
    from model.sweep.board import format_board, leaderboard, state_counts
    from model.sweep.study import open_study, settings_of, stop_requested

    study = open_study(name, storage)
    settings = settings_of(study)
    trials = study.get_trials(deepcopy=False)
    names = [p.name for p in settings.space.searched]
    counts = ", ".join(f"{n} {s}" for s, n in state_counts(trials).items()) or "no trials"
    budget = f"budget {settings.trials} trials" if settings.trials else "no trial limit"
    flag = " · stopped" if stop_requested(study) else ""
    print(
        f"Study {name}: {counts} ({budget}{flag}); scored on {settings.objective if settings.objective != 'holdout' else 'the validation period'}"
    )
    print(format_board(leaderboard(trials, names)))


@reports_errors
def main(argv: list[str] | None = None) -> int:
    return _dispatch(parse_args(argv))


# Processes that run trials or supervise them log as the sweep; the others as a command line.
SWEEP_ROLES = {"worker": "sweep", "run": "sweep", "start": "sweep", "resume": "sweep"}


def _dispatch(args: argparse.Namespace) -> int:
    from model import logs
    from model.runs.database import runs_directory
    from model.sweep import journal
    from model.sweep import study as studies

    logs.configure(
        SWEEP_ROLES.get(args.command, "cli"), files_root=runs_directory(args.db), verbose=args.verbose
    )
    log.info("python -m model.sweep %s", args.command)

    # One storage URL for the whole command (the default journal sits next to --db's run store).
    args.storage = studies.resolve_storage_url(args.storage, args.db)

    with journal.reading(args.storage):  # a damaged journal: one message, not a traceback
        return _command(args)


def _worker(args: argparse.Namespace) -> int:
    from model.sweep import workers

    workers.ignore_interrupts()
    done, recycled = workers.run_worker(
        args.name,
        args.storage,
        db=args.db,
        threads=args.threads,
        index=args.index,
        max_trials=args.max_trials,
    )
    print(f"worker {workers.worker_tag()}: {done} trials" + (" (recycled)" if recycled else ""))
    return workers.RECYCLED_EXIT if recycled else 0


def _start(args: argparse.Namespace) -> int:
    from model.data.sources import load_source, parse_source, yfinance_source
    from model.sweep import study as studies

    space = space_from_arguments(args)
    if args.start or args.end:
        parsed = parse_source(args.source)
        if parsed.kind != "yfinance":
            raise SweepError("--start and --end are for a yfinance:TICKER source.")
        args.source = yfinance_source(parsed.target, args.start, args.end)
    load_source(args.source)  # a bad source is refused here, not in every worker
    trials = args.trials if args.trials is not None or args.timeout is not None else 20
    study = studies.create_study(
        args.name,
        space,
        args.source,
        trials=trials,
        minutes=args.timeout,
        pruner=args.pruner,
        storage=args.storage,
        run_db=args.db,
        sampler_seed=args.sampler_seed,
        objective=args.objective,
    )
    print(f"Study {study.study_name}: {space.describe()}")
    return _run(study.study_name, args)


def _resume(args: argparse.Namespace) -> int:
    from model.sweep import study as studies

    studies.resume_study(args.name, args.storage, more_trials=args.trials, minutes=args.timeout)
    return _run(args.name, args)


def _status(args: argparse.Namespace) -> int:
    _print_status(args.name, args.storage)
    return 0


def _best(args: argparse.Namespace) -> int:
    from model.sweep import study as studies
    from model.sweep.board import best_trial
    from model.sweep.sources import train_command

    study = studies.open_study(args.name, args.storage)
    best = best_trial(study.get_trials(deepcopy=False))
    if best is None:
        print(f"Study {args.name} has no complete trial yet.")
        return 1
    config = studies.settings_of(study).space.config_from_params(best.params)
    print(
        f"Best trial {best.number}: validation loss {best.value:.6f} after {best.epochs} epochs, run {best.run_id}"
    )
    print(json.dumps(best.params, indent=2))
    knob_flags = [
        part
        for k in config.differences()
        for part in (KNOBS[k].cli_flag, KNOBS[k].format(getattr(config, k)))
    ]
    print(train_command(studies.settings_of(study).source, knob_flags))
    return 0


def _recheck(args: argparse.Namespace) -> int:
    from model.sweep.evidence import recheck, recheck_report, save_recheck

    if args.top < 1 or args.folds < 1:
        raise SweepError("--top and --folds must be at least 1.")
    result = recheck(args.name, args.storage, db=args.db, top=args.top, folds=args.folds, seed=args.seed)
    save_recheck(result, args.db)  # the Tune page shows it
    print(recheck_report(result))
    return 0


def _stop(args: argparse.Namespace) -> int:
    from model.sweep import study as studies

    studies.request_stop(args.name, args.storage)
    print(f"Study {args.name}: stop requested; workers end after their current epoch.")
    return 0


def _list(args: argparse.Namespace) -> int:
    from model.sweep import study as studies

    rows = studies.list_studies(args.storage)
    if not rows:
        print("No studies yet.")
    for s in rows:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(s.created)) if s.created else "?"
        best_text = f"{s.best_value:.5f}" if s.best_value is not None else "-"
        state = "stopped" if s.stopped else ("running" if s.running else "idle")
        print(
            f"{s.name:30} {when}  {s.trials:4} trials ({s.complete} complete, budget {s.budget})  best {best_text}  {state}"
        )
    return 0


def _command(args: argparse.Namespace) -> int:
    commands = {
        "worker": _worker,
        "start": _start,
        "resume": _resume,
        "run": lambda a: _run(a.name, a),
        "status": _status,
        "best": _best,
        "recheck": _recheck,
        "stop": _stop,
        "list": _list,
    }
    return commands[args.command](args)


def _run(name: str, args: argparse.Namespace) -> int:
    from model.sweep import workers

    if getattr(args, "detach", False):
        pid = workers.launch(name, args.storage, workers=args.workers, db=args.db)
        print(
            f"Study {name}: workers running in the background (supervisor pid {pid}); "
            f"'python -m model.sweep status {name}' shows progress."
        )
        return 0
    code = workers.supervise(name, args.storage, workers=args.workers, db=args.db)
    _print_status(name, args.storage)
    return code
