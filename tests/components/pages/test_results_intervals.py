"""Results' interval-method views (components.pages.results_intervals) on a stored forecast."""

from __future__ import annotations

import pytest

from components.pages import results_intervals
from model.engine.config import LstmConfig
from tests.components.conftest import (
    assert_clean,
    chart_titles,
    goto,
    metric,
    new_app,
    open_tab,
    plotly_specs,
    stored_run,
)

pytestmark = pytest.mark.slow


def test_results_compares_the_interval_methods_of_a_stored_forecast():
    config = LstmConfig(rnn_unit=4, layer_num=1, time_step=5, epochs=1, horizon=4, interval_method="aci")
    record = stored_run(config=config)
    assert record.status == "finished", record.error
    at = open_tab(goto(new_app(run=str(record.id)), "results"), "Forecast")
    assert_clean(at)
    titles = chart_titles(at)
    assert "80% coverage by method (test period)" in titles, titles
    assert "80% coverage by regime known at the origin" in titles
    assert "80% coverage over time, horizon 1 (trailing 60 origins)" in titles
    assert "PIT histogram of the model (horizon 1)" in titles
    by_method = next(
        s for s in plotly_specs(at) if s["layout"]["title"]["text"].startswith("80% coverage by method")
    )
    assert [t["name"] for t in by_method["data"]] == [
        "Split conformal",
        "Adaptive conformal (ACI)",
        "Aggregated ACI (no step size)",
    ]
    regimes = next(s for s in plotly_specs(at) if "by regime" in s["layout"]["title"]["text"])
    assert list(regimes["data"][0]["x"]) == [
        "low vol",
        "mid vol",
        "high vol",
        "up days",
        "down days",
    ]
    assert any("Adaptive conformal (ACI)" in m.value for m in at.markdown)  # the run's own method explained
    assert metric(at, "Worst gap, Split conformal").endswith("pts")
    scores = [df.value for df in at.dataframe if "CRPS" in df.value.columns][0]
    assert len(scores) == 6 and (scores[["Pinball", "CRPS"]] > 0).all().all()
    # Another level and horizon redraw the views.
    at.radio(key=results_intervals.LEVEL_KEY).set_value("95").run()
    at.select_slider(key=results_intervals.HORIZON_KEY).set_value(3).run()
    assert_clean(at)
    titles = chart_titles(at)
    assert "95% coverage over time, horizon 3 (trailing 60 origins)" in titles, titles
    assert "PIT histogram of the model (horizon 3)" in titles
