"""Every page renders with the bundled sample; the Train page's counts follow the knobs."""

from __future__ import annotations

import pytest

from components.literal import unescape_literal
from components.session import knobs
from model.engine.config import LIMITS, LstmConfig
from model.engine.network import count_parameters
from tests.components.conftest import (
    assert_clean,
    button,
    goto,
    metric,
    new_app,
    plotly_specs,
    price_csv,
    texts,
)


def test_data_page_loads_sample_and_draws_candlestick(app):
    app.run()
    assert_clean(app)
    prices = app.session_state["prices"]
    assert prices is not None and "SYNTH" in prices.source  # the default sample, as the README says
    assert metric(app, "Rows") == f"{len(prices.frame):,}"
    assert app.radio(key="data_source").value == "Bundled sample"
    assert app.radio(key="data_source").options == ["Bundled sample", "Yahoo Finance", "CSV upload"]
    specs = plotly_specs(app)
    assert any(trace["type"] == "candlestick" for spec in specs for trace in spec["data"])
    assert any(trace["type"] == "bar" for spec in specs for trace in spec["data"])  # volume
    assert app.dataframe, "the table head is shown"


@pytest.mark.parametrize("page", ["train", "results", "shapes", "runs"])
def test_each_page_renders_without_exception(app, page):
    goto(app, page)
    assert_clean(app)
    assert app.title[0].value == page.capitalize()


def test_results_without_model_says_so_and_links_to_train(app):
    goto(app, "results")
    # Which of the two depends on whether other tests stored runs already (one store per test session).
    assert any("No model has been trained yet" in t or "No run is open" in t for t in texts(app, "info"))
    assert not plotly_specs(app)


def _config_from_page(at) -> LstmConfig:
    return LstmConfig(
        rnn_unit=int(at.number_input(key="rnn_unit").value),
        layer_num=int(at.number_input(key="layer_num").value),
        time_step=int(at.number_input(key="time_step").value),
        features=tuple(at.multiselect(key="features").value),
        share_cell=bool(at.toggle(key="share_cell").value),
    )


def test_parameter_count_follows_rnn_unit(app):
    goto(app, "train")
    assert_clean(app)
    before = metric(app, "Parameters")
    assert before == f"{count_parameters(_config_from_page(app))['total']:,}"
    app.number_input(key="rnn_unit").set_value(32).run()
    assert_clean(app)
    after = metric(app, "Parameters")
    assert after != before
    assert after == f"{count_parameters(_config_from_page(app))['total']:,}"
    # share_cell: the LSTM part stops growing with layer_num
    app.toggle(key="share_cell").set_value(True).run()
    assert metric(app, "Parameters") == f"{count_parameters(_config_from_page(app))['total']:,}"


def test_window_counts_follow_time_step(app):
    goto(app, "train")
    train_before = metric(app, "Training windows")
    app.number_input(key="time_step").set_value(60).run()
    assert metric(app, "Training windows") != train_before


def test_knob_labels_limits_and_help():
    at = goto(new_app(), "train")
    for key, label in {"rnn_unit": "rnn_unit", "layer_num": "layer_num", "time_step": "time_step",
                       "batch_size": "Batch size", "epochs": "Epochs"}.items():  # fmt: skip
        widget = at.number_input(key=key)
        assert widget.label == label
        lo, hi = LIMITS[key]
        assert (widget.min, widget.max) == (lo, hi)
        assert widget.help, f"{key} has no help text"
    assert "the output has the same length" in at.number_input(key="time_step").help
    assert button(at, "Train").proto.type == "primary"
    assert "Stop" not in [b.label for b in at.button], "no Stop button while nothing trains"


def test_knobs_survive_a_page_switch(app):
    goto(app, "train")
    app.number_input(key="layer_num").set_value(3).run()
    goto(app, "data")
    assert app.session_state[knobs.value_key("layer_num")] == 3
    goto(app, "train")
    assert app.number_input(key="layer_num").value == 3


def test_reset_to_defaults(app):
    goto(app, "train")
    app.number_input(key="rnn_unit").set_value(64).run()
    button(app, "Reset to defaults").click().run()
    assert app.number_input(key="rnn_unit").value == LstmConfig().rnn_unit
    assert "rnn_unit" not in app.query_params


def test_too_few_rows_for_time_step_is_refused_before_training(app):
    app.run()
    app.radio(key="data_source").set_value("CSV upload").run()
    app.file_uploader(key="csv_file").upload("small.csv", price_csv(80), "text/csv")
    app.run()
    assert_clean(app)
    assert len(app.session_state["prices"].frame) == 80
    goto(app, "train")
    app.number_input(key="time_step").set_value(60).run()
    assert_clean(app)
    errors = [unescape_literal(e) for e in texts(app, "error")]  # shown literally
    assert any("Too few rows for time_step 60" in e and "Lower time_step to at most" in e for e in errors), (
        errors
    )
    assert button(app, "Train").disabled
    assert app.session_state.get("run_id") is None


def test_each_knob_change_redraws_the_network_summary(app):
    """Every rnn_unit change reruns the page with the new network (its speed: make bench's knob repaint)."""
    goto(app, "train")
    for value in (11, 12, 13):
        app.number_input(key="rnn_unit").set_value(value).run()
        assert_clean(app)
        expected = count_parameters(LstmConfig.from_dict({**LstmConfig().to_dict(), "rnn_unit": value}))
        assert metric(app, "Parameters") == f"{expected['total']:,}"


def test_no_features_is_refused_with_a_message(app):
    goto(app, "train")
    app.multiselect(key="features").set_value([]).run()
    assert_clean(app)
    assert any("Choose at least one feature column" in e for e in texts(app, "error"))
    assert button(app, "Train").disabled
    app.multiselect(key="features").set_value(["close"]).run()
    assert not texts(app, "error")
    assert metric(app, "Parameters") == f"{count_parameters(LstmConfig(features=('close',)))['total']:,}"


def test_huge_network_gets_a_warning_not_a_crash(app):
    goto(app, "train")
    app.number_input(key="rnn_unit").set_value(512).run()
    app.number_input(key="layer_num").set_value(8).run()
    assert_clean(app)
    assert any("can take a long time" in w for w in texts(app, "warning"))


def test_progress_times_count_the_time_since_the_worker_last_wrote():
    from components.run_client import progress_times

    stored = {"elapsed": 10.0, "eta": 30.0, "updated": 1000.0, "finished": False}
    assert progress_times(stored, now=1004.0) == (14.0, 26.0)
    assert progress_times({**stored, "finished": True}, now=1004.0) == (14.0, None)
    assert progress_times(stored, now=1100.0) == (110.0, 0.0)
    assert progress_times(None) == (None, None)
