"""The sweep's command line: one --name for start and worker; `best` reproduces the study's data."""

import shlex

import optuna
import pytest

from model.data.sources import parse_source, yfinance_source
from model.errors import DataError
from model.sweep import study as studies
from model.sweep.__main__ import main, parse_args
from model.sweep.sources import train_flags
from model.train import parse_args as train_parse_args


def test_start_and_worker_take_the_same_name_flag_and_worker_keeps_the_old_one():
    assert parse_args(["start", "--name", "s1"]).name == "s1"
    assert parse_args(["worker", "--name", "s1"]).name == "s1"
    assert parse_args(["worker", "--study", "s1"]).name == "s1"  # the older spelling


@pytest.mark.parametrize(
    "source, flags",
    [
        ("sample:IBM", ["--source", "sample:IBM"]),
        ("csv:/data/my prices.csv", ["--csv", "/data/my prices.csv"]),
        ("yfinance:AAPL", ["--source", "yfinance:AAPL"]),
        (
            yfinance_source("AAPL", "2020-01-02", "2024-06-28"),
            ["--source", "yfinance:AAPL", "--start", "2020-01-02", "--end", "2024-06-28"],
        ),
        (yfinance_source("^GSPC", None, "2024-06-28"), ["--source", "yfinance:^GSPC", "--end", "2024-06-28"]),
        ("parquet:/runs/sweep-prices/s.parquet", ["--source", "parquet:/runs/sweep-prices/s.parquet"]),
    ],
)
def test_every_source_becomes_model_train_flags(source, flags):
    assert train_flags(source) == flags
    parsed = train_parse_args(flags)  # model.train accepts them
    assert (str(parsed.csv) if parsed.csv else parsed.source) == flags[1]


def test_an_unknown_source_is_refused():
    with pytest.raises(DataError, match="Unknown source"):
        parse_source("ftp:prices")


def _study_with_one_trial(tmp_path, source):
    from model.engine.config import LstmConfig
    from model.sweep.space import SearchSpace, parse_spec

    storage = f"journal:{tmp_path / 'sweeps.journal'}"
    space = SearchSpace(LstmConfig(), (parse_spec("rnn_unit", "4:8"),)).check()
    study = studies.create_study(
        "s1", space, source, trials=1, storage=storage, run_db=f"sqlite:///{tmp_path / 'lens.db'}"
    )
    study.add_trial(
        optuna.trial.create_trial(
            params={"rnn_unit": 6},
            distributions={"rnn_unit": optuna.distributions.IntDistribution(4, 8)},
            value=0.125,
            user_attrs={"run_id": 7},
        )
    )
    return storage


@pytest.mark.parametrize(
    "source, expected",
    [
        (
            yfinance_source("MSFT", "2019-01-02", "2023-12-29"),
            ["--source", "yfinance:MSFT", "--start", "2019-01-02", "--end", "2023-12-29"],
        ),
        ("csv:{tmp}/prices.csv", ["--csv", "{tmp}/prices.csv"]),
    ],
)
def test_best_prints_a_train_command_with_the_studys_source(tmp_path, capsys, source, expected):
    source = source.format(tmp=tmp_path)
    storage = _study_with_one_trial(tmp_path, source)
    assert main(["best", "s1", "--storage", storage]) == 0
    command = capsys.readouterr().out.strip().splitlines()[-1]
    words = shlex.split(command)
    assert words[:3] == ["python", "-m", "model.train"]
    assert words[3 : 3 + len(expected)] == [part.format(tmp=tmp_path) for part in expected]
    assert words[words.index("--rnn-unit") + 1] == "6"
    train_parse_args(words[3:])  # the line parses as model.train's arguments


def test_start_refuses_dates_for_a_source_without_them(tmp_path, capsys):
    code = main(
        [
            "start",
            "--name",
            "s2",
            "--source",
            "sample:IBM",
            "--start",
            "2020-01-01",
            "--rnn-unit",
            "4:8",
            "--storage",
            f"journal:{tmp_path / 'j'}",
            "--db",
            f"sqlite:///{tmp_path / 'lens.db'}",
        ]
    )
    assert code != 0 and "--start and --end are for a yfinance" in capsys.readouterr().err


def test_model_train_loads_a_studys_kept_price_table(tmp_path):
    from model.data import load_sample
    from model.train import load_prices

    prices = load_sample("IBM")
    source = studies.save_prices(prices, "s3", run_db=f"sqlite:///{tmp_path / 'lens.db'}")
    loaded = load_prices(train_parse_args(train_flags(source)))
    assert len(loaded.frame) == len(prices.frame)
    assert list(loaded.frame.columns) == list(prices.frame.columns)


def test_verbose_is_taken_before_or_after_the_command():
    assert parse_args(["-v", "list"]).verbose
    assert parse_args(["list", "-v"]).verbose
    assert parse_args(["status", "s1", "--verbose"]).verbose
    assert not parse_args(["list"]).verbose


def test_a_command_logs_to_the_runs_directory(tmp_path, capsys):
    import logging

    root = logging.getLogger()
    before = list(root.handlers)
    try:
        code = main(["list", "--db", f"sqlite:///{tmp_path / 'lens.db'}"])
    finally:
        for handler in [h for h in root.handlers if h not in before]:
            handler.close()
            root.removeHandler(handler)
    assert code == 0 and "No studies yet." in capsys.readouterr().out
    assert "python -m model.sweep list" in (tmp_path / "logs" / "cli.log").read_text()
