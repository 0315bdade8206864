"""Hyperparameters live in the URL: a link reproduces a setting, bad values never crash."""

from __future__ import annotations

from components.literal import unescape_literal
from components.session import knobs
from tests.components.conftest import assert_clean, goto, new_app, price_csv, texts


def test_url_sets_the_knobs():
    at = goto(
        new_app(rnn_unit="32", layer_num="3", time_step="30", target_mode="next_window", share_cell="true"),
        "train",
    )
    assert_clean(at)
    assert at.number_input(key="rnn_unit").value == 32
    assert at.number_input(key="layer_num").value == 3
    assert at.number_input(key="time_step").value == 30
    assert at.radio(key="target_mode").value == "next_window"
    assert at.toggle(key="share_cell").value is True
    assert not texts(at, "warning")


def test_knob_changes_are_written_to_the_url(app):
    goto(app, "train")
    assert "rnn_unit" not in app.query_params  # defaults stay out of the URL
    app.number_input(key="rnn_unit").set_value(24).run()
    assert app.query_params["rnn_unit"] == "24"
    app.number_input(key="rnn_unit").set_value(10).run()  # back to the default
    assert "rnn_unit" not in app.query_params


def test_url_survives_page_switches(app):
    goto(app, "train")
    app.number_input(key="epochs").set_value(7).run()
    goto(app, "results")
    assert app.query_params["epochs"] == "7"


def test_a_link_opened_later_in_the_session_applies(app):
    goto(app, "train")
    app.query_params["rnn_unit"] = "48"
    app.run()
    assert app.number_input(key="rnn_unit").value == 48


def test_bad_url_values_are_clamped_or_ignored_with_a_warning():
    at = goto(
        new_app(rnn_unit="99999", layer_num="abc", time_step="-5", learning_rate="nan", features="nope"),
        "train",
    )
    assert_clean(at)
    assert at.number_input(key="rnn_unit").value == 512
    assert at.number_input(key="layer_num").value == 2  # default kept
    assert at.number_input(key="time_step").value == 2
    warnings = unescape_literal(" ".join(texts(at, "warning")))
    assert "rnn_unit=99999" in warnings and "layer_num" in warnings and "learning_rate" in warnings
    # an unknown feature column falls back to columns the data has
    assert set(at.multiselect(key="features").value) <= set(at.session_state["prices"].columns)
    assert at.session_state[knobs.value_key("features")]


def test_time_step_from_url_too_long_for_the_data_is_refused_with_a_message():
    at = new_app(time_step="100", target_mode="next_window").run()
    at.radio(key="data_source").set_value("CSV upload").run()
    at.file_uploader(key="csv_file").upload("short.csv", price_csv(120), "text/csv")
    at.run()
    goto(at, "train")
    assert_clean(at)
    assert at.number_input(key="time_step").value == 100
    errors = [unescape_literal(e) for e in texts(at, "error")]  # shown literally
    assert any("Too few rows for time_step 100" in e for e in errors), errors
    assert [b for b in at.button if b.label == "Train"][0].disabled


def test_target_as_comes_from_the_url_and_bad_values_are_refused():
    # The default is "change" (the Sound preset), so the link asks for the tutorial's "price".
    at = goto(new_app(target_as="price"), "train")
    assert_clean(at)
    assert at.radio(key="target_as").value == "price"
    assert at.session_state[knobs.value_key("target_as")] == "price"
    bad = goto(new_app(target_as="tomorrow"), "train")
    assert_clean(bad)
    assert bad.radio(key="target_as").value == "change"
    assert any("target_as" in w or "Predict" in w for w in map(unescape_literal, texts(bad, "warning")))


def test_a_link_naming_columns_the_data_lacks_warns():
    at = goto(new_app(features="close,nope", target="missing"), "train")
    assert_clean(at)
    warnings = unescape_literal(" ".join(texts(at, "warning")))
    assert "nope" in warnings and "missing" in warnings
    assert at.multiselect(key="features").value == ["close"]
