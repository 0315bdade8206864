"""Command line for stored runs.

python -m model.runs list [--status finished] [--limit 20] [--folds]   (fold runs of walk-forward runs
    are listed only with --folds; their walk-forward run's line says how many folds it has)
python -m model.runs show ID      (JSON, with how the run was trained)
python -m model.runs delete ID   (a walk-forward run goes with its fold runs)
(every command takes --db URL; default $LENS_DB or sqlite:///runs/lens.db)
"""

from __future__ import annotations

import argparse
import json

from model.errors import reports_errors
from model.runs import fold_progress, fold_runs
from model.runs.provenance import describe_provenance
from model.runs.store import open_store, record_to_dict


def _fmt(value, spec: str = ".4f") -> str:
    return "-" if value is None else format(value, spec)


@reports_errors
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m model.runs", description="List, show and delete stored runs.")
    p.add_argument(
        "--db", help="SQLAlchemy URL of the run store (default $LENS_DB or sqlite:///runs/lens.db)"
    )
    sub = p.add_subparsers(dest="command", required=True)
    listing = sub.add_parser("list", help="runs, newest first")
    listing.add_argument("--status")
    listing.add_argument("--origin")
    listing.add_argument("--limit", type=int)
    listing.add_argument("--folds", action="store_true", help="also list the fold runs of walk-forward runs")
    sub.add_parser("show", help="one run as JSON").add_argument("id", type=int)
    sub.add_parser("delete", help="remove a run's rows and files").add_argument("id", type=int)
    args = p.parse_args(argv)
    store = open_store(args.db)
    if args.command == "list":
        index = fold_runs.fold_index(store)
        every = store.list_runs(
            status=args.status, origin=args.origin, limit=args.limit if args.folds else None
        )
        records, hidden = fold_runs.visible_runs(every, index, folds=args.folds)
        records = records[: args.limit] if args.limit is not None else records
        epochs = fold_progress.fold_epochs(every, index, store)  # a walk-forward run's: its folds' total
        print(
            f"{'id':>5}  {'created (UTC)':16}  {'status':11}  {'origin':6}  {'units':>5}  {'layers':>6}  "
            f"{'steps':>5}  {'epochs':>6}  {'test RMSE':>10}  {'skill':>7}  data"
        )
        for r in records:
            c = r.config
            print(
                f"{r.id:>5}  {r.created:%Y-%m-%d %H:%M}  {r.status:11}  {r.origin:6}  {c.get('rnn_unit'):>5}  "
                f"{c.get('layer_num'):>6}  {c.get('time_step'):>5}  {epochs.get(r.id, r.epochs_run):>6}  "
                f"{_fmt(r.metric('rmse')):>10}  {_fmt(r.metric('skill'), '.3f'):>7}  {r.data_description}"
                + (f"  [{index.parent_text(r.id)}]" if index.parent_text(r.id) else "")
            )
        if not records and not hidden:
            print(f"(no runs in {store.where})")
        if hidden:
            print(f"({hidden} fold runs of walk-forward runs hidden; --folds lists them)")
    elif args.command == "show":
        record = store.get_run(args.id)
        # Stays one JSON document: the provenance as stored, and in words.
        shown = {**record_to_dict(record), "how_trained": describe_provenance(record.provenance)}
        from model.orchestration.verdicts import run_verdict

        verdict = run_verdict(store, record)  # the one verdict, as the pages state it
        shown["verdict"] = None if verdict is None else verdict.to_dict()
        print(json.dumps(shown, indent=2, default=str))
    else:
        deleted = fold_runs.delete_run(store, args.id)
        folds = len(deleted) - 1
        print(f"Deleted run {args.id}" + (f" and its {folds} fold runs." if folds else "."))
    return 0
