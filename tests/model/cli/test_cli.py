"""The command line runs the same engine end to end on the bundled sample."""

import json

import pandas as pd

from model.engine.saving import load_run
from model.train import main
from tests.model.factories import TINY_IBM_ARGS


def test_cli_trains_prints_metrics_and_writes_outputs(tmp_path, capsys):
    out = tmp_path / "out"
    code = main([*TINY_IBM_ARGS, "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "persistence" in captured.out and "RMSE" in captured.out
    assert "epoch 1/1" in captured.err  # the progress bar
    predictions = pd.read_csv(out / "predictions.csv")
    assert {"date", "actual", "predicted", "baseline", "split"} <= set(predictions.columns)
    assert (predictions["split"] == "test").any()
    assert load_run(out / "run").config.rnn_unit == 4


def test_cli_reports_bad_input_without_a_traceback(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("hello,world\n1,2\n")
    assert main(["--csv", str(bad)]) == 2
    assert "error:" in capsys.readouterr().err
    assert main(["--source", "sample:NOPE"]) == 2
    assert main(["--time-step", "1"]) == 2


def test_cli_refuses_an_unusable_out_before_training(tmp_path, capsys):
    taken = tmp_path / "taken.txt"
    taken.write_text("keep me")
    assert main(["--source", "sample:IBM", "--epochs", "1", "--out", str(taken)]) == 2
    captured = capsys.readouterr()
    assert "existing file" in captured.err and "epoch" not in captured.err  # refused before any training
    assert taken.read_text() == "keep me"
    used = tmp_path / "used"
    (used / "run").mkdir(parents=True)
    assert main(["--source", "sample:IBM", "--epochs", "1", "--out", str(used)]) == 2
    assert "already holds run" in capsys.readouterr().err


def test_every_knob_has_a_flag_and_the_flags_build_the_config():
    from model.engine.config import KNOBS, config_from_arguments
    from model.train import parse_args

    args = parse_args(
        [
            "--rnn-unit",
            "7",
            "--share-cell",
            "--features",
            "close,volume",
            "--learning-rate",
            "0.01",
            "--target-as",
            "price",
        ]
    )
    config = config_from_arguments(args)
    assert (config.rnn_unit, config.share_cell, config.features) == (7, True, ("close", "volume"))
    assert (config.learning_rate, config.target_as) == (0.01, "price")
    assert all(hasattr(args, name) for name in KNOBS)


def test_cli_records_its_run_which_model_runs_lists_shows_and_deletes(tmp_path, capsys):
    from model.runs.__main__ import main as runs_main
    from model.runs.store import open_store

    db = f"sqlite:///{tmp_path / 'lens.db'}"
    code = main([*TINY_IBM_ARGS, "--db", db])
    out = capsys.readouterr().out
    assert code == 0
    run = open_store(db).list_runs()[0]
    assert (run.origin, run.status, run.epochs_run) == ("cli", "finished", 1)
    assert f"Run {run.id} in" in out and "IBM" in run.data_description

    assert runs_main(["--db", db, "list"]) == 0
    listing = capsys.readouterr().out
    assert "finished" in listing and "IBM daily" in listing
    assert runs_main(["--db", db, "show", str(run.id)]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["origin"] == "cli"
    assert shown["provenance"]["path"] in ("fused", "plain") and shown["provenance"]["tensorflow"]
    assert shown["how_trained"][0].startswith(f"Kernel: {shown['provenance']['kernel']} on the ")
    assert runs_main(["--db", db, "delete", str(run.id)]) == 0
    assert runs_main(["--db", db, "show", str(run.id)]) == 2
    assert "no run" in capsys.readouterr().err
    assert not run.files_dir.exists()


def test_cli_forecasts_days_ahead_with_bounds_and_writes_forecast_csv(tmp_path, capsys):
    out = tmp_path / "out"
    code = main([*TINY_IBM_ARGS, "--horizon", "10", "--forecast", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "Forecast 10 business days past" in captured.out and "direct" in captured.out
    assert "coverage_80" in captured.out and "coverage_95" in captured.out
    forecast = pd.read_csv(out / "forecast.csv", parse_dates=["date"])
    assert list(forecast.columns) == [
        "horizon",
        "date",
        "point",
        "lower_80",
        "upper_80",
        "lower_95",
        "upper_95",
    ]
    assert len(forecast) == 10 and forecast["date"].dt.weekday.lt(5).all()
    assert (forecast["lower_95"] <= forecast["lower_80"]).all() and (
        forecast["lower_80"] <= forecast["point"]
    ).all()
    assert (forecast["point"] <= forecast["upper_80"]).all() and (
        forecast["upper_80"] <= forecast["upper_95"]
    ).all()
    for line in forecast["date"].dt.strftime("%Y-%m-%d"):
        assert line in captured.out
