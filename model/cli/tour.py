"""``python -m model.explain tour RUN_ID --day YYYY-MM-DD``: the Explainer's numbers of one stored
run's prediction as JSON (the record the Explainer page reads, ``model.explain.tour``).

It lives here, beside the store it reads, so the explain stage keeps importing nothing above it;
``model/explain/__main__.py`` only forwards to ``main``.
"""

from __future__ import annotations

import argparse
import json
import re

from model.errors import ConfigError, reports_errors

DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_day(text: str) -> str:
    text = str(text).strip()
    if not DAY.fullmatch(text):
        raise ConfigError(
            f"--day must be a date written YYYY-MM-DD (the day whose price is predicted), got {text!r}."
        )
    return text


@reports_errors
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m model.explain",
        description="The Explainer's numbers of one stored run's prediction, as JSON.",
    )
    p.add_argument(
        "--db", help="SQLAlchemy URL of the run store (default $LENS_DB or sqlite:///runs/lens.db)"
    )
    sub = p.add_subparsers(dest="command", required=True)
    tour = sub.add_parser("tour", help="every number of the prediction for one test day")
    tour.add_argument("run_id", type=int, metavar="RUN_ID")
    tour.add_argument(
        "--day", help="the day whose price is predicted (YYYY-MM-DD; default the last test day)"
    )
    tour.add_argument("--indent", type=int, default=None, help="indent the JSON by this many spaces")
    args = p.parse_args(argv)

    from model.explain.tour import tour_record
    from model.runs import run_files
    from model.runs.store import open_store

    day = None if args.day is None else parse_day(args.day)
    store = open_store(args.db)
    try:
        run, data, evaluation = run_files.load_trained(store, args.run_id)
        record = tour_record(run, data, evaluation, day, run_id=args.run_id)
    finally:
        store.close()
    print(json.dumps(record.as_json(), indent=args.indent))
    return 0
