"""``python -m model.explain tour RUN_ID --day YYYY-MM-DD`` (see ``model.cli.tour``)."""

from model.cli.tour import main

if __name__ == "__main__":
    raise SystemExit(main())
