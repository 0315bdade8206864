"""Results shows the stored forecast: fan chart, error against horizon, coverage table. Tiny networks."""

from __future__ import annotations

import pytest

from components.pages import results_forecast
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
    texts,
)

pytestmark = pytest.mark.slow


def test_results_shows_fan_errors_and_coverage_of_a_stored_forecast():
    record = stored_run(config=LstmConfig(rnn_unit=4, layer_num=1, time_step=5, epochs=1, horizon=6))
    assert record.status == "finished", record.error
    at = open_tab(goto(new_app(run=str(record.id)), "results"), "Forecast")
    assert_clean(at)
    titles = chart_titles(at)
    assert any(t.startswith("Forecast 6 business days past") and "(direct)" in t for t in titles), titles
    assert "Error against horizon (test period)" in titles
    assert "Coverage against nominal (test period)" in titles
    fan = next(s for s in plotly_specs(at) if s["layout"]["title"]["text"].startswith("Forecast 6"))
    names = [t.get("name") for t in fan["data"]]
    assert "LSTM model 80% interval" in names and "Persistence 95% interval" in names
    coverage = [df.value for df in at.dataframe if "Test origins" in df.value.columns][0]
    assert list(coverage.index) == list(range(1, 7))
    assert coverage["LSTM model, 80% interval"].between(0, 100).all()
    assert metric(at, "Coverage 80%").endswith("%")
    # Persistence's fan can be hidden.
    at.toggle(key=results_forecast.SHOW_PERSISTENCE).set_value(False).run()
    assert_clean(at)
    fan = next(s for s in plotly_specs(at) if s["layout"]["title"]["text"].startswith("Forecast 6"))
    assert not any(str(t.get("name", "")).startswith("Persistence") for t in fan["data"])


def test_recursive_with_features_it_cannot_forecast_says_why():
    config = LstmConfig(
        rnn_unit=4, layer_num=1, time_step=5, epochs=1, horizon=3, forecast_strategy="recursive"
    )
    record = stored_run(config=config)
    at = open_tab(goto(new_app(run=str(record.id)), "results"), "Forecast")
    assert_clean(at)
    assert any("needs every input feature's future" in w and "open" in w for w in texts(at, "warning"))
    assert any(t.startswith("Forecast 3 business days past") and "(direct)" in t for t in chart_titles(at))


def test_train_page_warns_about_forecast_limits_before_training():
    from tests.components.conftest import price_csv

    at = new_app().run()
    at.radio(key="data_source").set_value("CSV upload").run()
    at.file_uploader(key="csv_file").upload("p.csv", price_csv(160), "text/csv")
    at.run()
    goto(at, "train")
    at.number_input(key="time_step").set_value(5)
    at.number_input(key="horizon").set_value(30).run()
    assert_clean(at)
    warnings = texts(at, "warning")
    assert any(
        "95% interval needs at least 19 validation residuals" in w and "has 13 rows" in w for w in warnings
    ), warnings
    # 32 test rows measure every one of the 30 horizons; 80% needs only 4 residuals.
    assert not any("longer than the test period" in w or "80% interval" in w for w in warnings)


@pytest.mark.process
def test_results_shows_the_forecast_of_a_walk_forward_run():
    from components import run_client
    from model.data import load_sample
    from model.orchestration.walkforward import run_walk_forward

    config = LstmConfig(
        rnn_unit=4,
        layer_num=1,
        time_step=5,
        epochs=1,
        horizon=4,
        features=("close", "change"),
        forecast_strategy="recursive",
    )
    result = run_walk_forward(
        run_client.store(), config, load_sample("GOOG"), pool=run_client.pool(), folds=3
    )
    at = goto(new_app(run=str(result.run_id)), "results")
    assert_clean(at)
    assert "Skill per fold (above 0: beats persistence)" in chart_titles(at)  # the evidence tab opens first
    open_tab(at, "Forecast", "results_tab_folds")
    assert_clean(at)
    titles = chart_titles(at)
    assert any(t.startswith("Forecast 4 business days past") and "(recursive)" in t for t in titles), titles
    assert "Error against horizon (test folds)" in titles
    assert "Coverage against nominal (test folds)" in titles
    captions = texts(at, "caption")
    assert any(
        c.startswith("Intervals calibrated on the test periods of 3 walk-forward folds, ")
        and c.endswith("residuals per horizon.")
        for c in captions
    ), captions
    coverage = [df.value for df in at.dataframe if "Test origins" in df.value.columns][0]
    assert list(coverage.index) == [1, 2, 3, 4]
    assert coverage["LSTM model, 95% interval"].between(0, 100).all()
    assert metric(at, "Coverage 95%").endswith("%")
    by_fold = [df.value for df in at.dataframe if "Calibrated on (h1)" in df.value.columns][0]
    assert list(by_fold.index) == [1, 2, 3]
    assert by_fold["LSTM model, 80% interval"].between(0, 100).all()
    assert by_fold["Test period"].str.match(r"\d{4}-\d\d-\d\d – \d{4}-\d\d-\d\d").all()
