"""``python -m model.runs``: the stored runs' command line, model/cli/runs.py (list, show, delete)."""

from model.cli.runs import main

if __name__ == "__main__":
    raise SystemExit(main())
