"""``python -m model.explain tour RUN_ID --day YYYY-MM-DD`` (see ``model.runs.tour_cli``)."""

from model.runs.tour_cli import main

if __name__ == "__main__":
    raise SystemExit(main())
