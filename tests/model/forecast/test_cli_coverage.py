"""The command line's --out writes coverage.csv, one row per (forecaster, method, level, horizon)."""

import pandas as pd
import pytest

from model.forecast import scores
from model.train import main
from tests.model.factories import TINY_IBM_ARGS


@pytest.mark.slow
def test_cli_writes_coverage_csv_marking_the_runs_method(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(
        [*TINY_IBM_ARGS, "--horizon", "4", "--forecast", "--interval-method", "aci", "--out", str(out)]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "Interval methods on the test period" in captured.out and "Diebold-Mariano" in captured.out
    table = scores.read_coverage_csv(out / "coverage.csv")
    assert list(table.columns) == ["forecaster", "method", "level", "horizon", "coverage", "default"]
    assert len(table) == 2 * 3 * 2 * 4  # forecasters x methods x levels x horizons
    assert set(table["method"]) == {"split", "aci", "agaci"} and set(table["level"]) == {"80", "95"}
    assert table["default"].tolist() == (table["method"] == "aci").tolist()
    assert table["coverage"].between(0, 1).all()
    # The default method's rows are the coverage the run reports for itself.
    forecast = pd.read_csv(out / "forecast.csv")
    assert len(forecast) == 4
    own = table[table["default"] & (table["forecaster"] == "model")].set_index(["horizon", "level"])[
        "coverage"
    ]
    for h in range(1, 5):
        assert f"{own[(h, '80')] * 100:.3f}" in captured.out  # the printed coverage_80, in %
