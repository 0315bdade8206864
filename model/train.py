"""``python -m model.train``: the training command line, model/cli/train.py (its ``--help`` says how)."""

from model.cli.train import check_output_directory, config_for, load_prices, main, parse_args

__all__ = ["check_output_directory", "config_for", "load_prices", "main", "parse_args"]

if __name__ == "__main__":
    raise SystemExit(main())
