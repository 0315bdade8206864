"""``python -m model.sweep``: the sweeps' command line, model/cli/sweep.py (start, worker, run, resume,
status, best, list, stop, recheck)."""

from model.cli.sweep import main, parse_args, space_from_arguments

__all__ = ["main", "parse_args", "space_from_arguments"]

if __name__ == "__main__":
    raise SystemExit(main())
