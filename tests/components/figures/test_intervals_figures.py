"""Interval-method figure records, from a constructed intervals table."""

import numpy as np
import pandas as pd

from components.figures import intervals as figures
from model.forecast.intervals import INTERVAL_COLUMNS


def table(n=80):
    rng = np.random.default_rng(2)
    rows = []
    for origin in range(n):
        for method, width in (("split", 0.5), ("aci", 1.5)):
            for level in ("80", "95"):
                for h in (1, 2):
                    actual = 100 + rng.normal()
                    rows.append(
                        dict(
                            forecaster="model", method=method, level=level, horizon=h, origin=origin,
                            date=pd.Timestamp("2024-01-01") + pd.offsets.BDay(origin + h), actual=actual,
                            point=100.0, lower=100 - width, upper=100 + width, threshold=width, known=50,
                            volatility=float(origin % 4), move="up" if origin % 2 else "down",
                            pit=float(rng.uniform()),
                        )
                    )  # fmt: skip
    return pd.DataFrame(rows)[list(INTERVAL_COLUMNS)]


def test_method_coverage_record_has_a_column_per_method_and_a_row_per_horizon():
    record = figures.method_coverage_record(table(), "80")
    assert list(record.columns) == ["split", "aci"] and list(record.index) == [1, 2]
    assert (record["aci"] > record["split"]).all()  # the wider band covers more
    fig = figures.method_coverage_figure(record, "80", "test period")
    assert [t.name for t in fig.data] == ["Split conformal", "Adaptive conformal (ACI)"]


def test_regime_and_pit_records():
    regimes = figures.regime_record(table(), "95")
    assert set(regimes["method"]) == {"split", "aci"} and regimes["coverage"].between(0, 100).all()
    pit = figures.pit_record(table(), horizon=2)
    assert pit.count == 80 and np.isclose(pit.share.sum(), 1.0)
    assert figures.pit_figure(pit).layout.title.text.endswith("(horizon 2)")
    scores = figures.scores_table(table())
    assert list(scores.index) == ["LSTM model, Split conformal", "LSTM model, Adaptive conformal (ACI)"]
