"""python -m model.train --folds K --forecast: the walk-forward run's forecast, calibrated on its folds."""

import re

import pytest

from model.runs.forecasts import load_forecast
from model.runs.store import open_store
from model.train import main


@pytest.mark.slow
@pytest.mark.process
def test_cli_walk_forward_prints_the_fold_calibrated_forecast(tmp_path, capsys):
    db = f"sqlite:///{tmp_path / 'lens.db'}"
    args = ["--source", "sample:IBM", "--rnn-unit", "4", "--layer-num", "1", "--time-step", "5"]
    args += ["--epochs", "1", "--features", "close,change", "--folds", "3", "--horizon", "4"]
    args += ["--forecast-strategy", "recursive"]
    code = main([*args, "--forecast", "--workers", "1", "--db", db])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    out = captured.out
    assert re.search(
        r"Forecast 4 business days past \d{4}-\d\d-\d\d \(recursive; conformal intervals from the "
        r"test periods of 3 walk-forward folds, [\d,]+-[\d,]+ residuals per horizon",
        out,
    ), out
    assert "Test folds, per horizon" in out
    store = open_store(db)
    parent = min(r.id for r in store.list_runs())  # the walk-forward run is stored before its folds
    forecast, failure = load_forecast(store, parent)
    assert failure is None and forecast.calibration == "folds"
    for date in forecast.table()["date"]:  # every forecast date is printed
        assert date in out
    store.close()


def test_help_prints_with_percent_signs_in_knob_help(capsys):
    # The horizon knob's help says "80% and 95%"; argparse formats help strings with %.
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    assert "(80% and 95%)" in " ".join(capsys.readouterr().out.split())
