"""Presets: the faithful tutorial and the sound recommendation; each trains; the CLI's --preset."""

from __future__ import annotations

import pytest

from model.engine.config import KNOBS, LstmConfig
from model.engine.network import build_network, count_parameters
from model.engine.presets import (
    CUSTOM,
    DEFAULT_PRESET,
    FAITHFUL_PRESET,
    PRESETS,
    SOUND,
    SOUND_PRESET,
    TUTORIAL,
    differences_from_tutorial,
    get_preset,
    preset_of,
)
from model.errors import ConfigError

SAMPLE_COLUMNS = ["open", "high", "low", "close", "volume", "change"]


def test_faithful_preset_is_the_tutorial_n_d_script_on_the_data():
    config = FAITHFUL_PRESET.config(SAMPLE_COLUMNS)
    assert (config.rnn_unit, config.layer_num, config.time_step, config.batch_size) == (10, 2, 90, 80)
    assert config.learning_rate == 0.0006
    assert (config.target_mode, config.target_as, config.share_cell) == ("next_window", "price", True)
    # Its seven features in its order, without 'money', which the sample does not have.
    assert config.features == ("open", "close", "low", "high", "volume", "change")
    assert config.target == "close"


def test_sound_preset_is_the_default_config():
    assert DEFAULT_PRESET == SOUND
    assert SOUND_PRESET.config() == LstmConfig()
    assert preset_of(LstmConfig(), SAMPLE_COLUMNS) == SOUND
    sound = SOUND_PRESET.config(SAMPLE_COLUMNS)
    assert (sound.target_as, sound.share_cell) == ("change", False)
    assert sound.patience > 0


def test_every_preset_sets_every_knob_but_the_columns():
    for preset in PRESETS.values():
        assert set(preset.values) == set(KNOBS) - {"features", "target"}
        for name, value in preset.values.items():
            KNOBS[name].check(value)  # limits come from KNOBS, nothing else


def test_preset_of_names_the_preset_and_any_change_is_custom():
    for name, preset in PRESETS.items():
        # Applied over any config (here a very different one) the preset is the same config.
        start = LstmConfig(rnn_unit=3, layer_num=5, seed=9, dropout=0.4, features=("close",))
        config = preset.apply(start, SAMPLE_COLUMNS)
        assert preset_of(config, SAMPLE_COLUMNS) == name
        assert preset_of(config.replace(epochs=config.epochs + 1), SAMPLE_COLUMNS) == CUSTOM
        assert preset_of(config.replace(features=("close",)), SAMPLE_COLUMNS) == CUSTOM


def test_a_preset_keeps_the_columns_when_the_data_has_none_of_its_own():
    config = LstmConfig(features=("price",), target="price")
    fitted = FAITHFUL_PRESET.apply(config, ["price"])
    assert (fitted.features, fitted.target, fitted.time_step) == (("price",), "price", 90)


def test_unknown_preset_is_a_config_error():
    assert get_preset(" Tutorial ") is FAITHFUL_PRESET
    with pytest.raises(ConfigError, match="tutorial"):
        get_preset("best")


def test_differences_from_the_tutorial_knob_by_knob():
    assert differences_from_tutorial(FAITHFUL_PRESET.config(SAMPLE_COLUMNS), SAMPLE_COLUMNS) == []
    rows = {d.name: d for d in differences_from_tutorial(SOUND_PRESET.config(SAMPLE_COLUMNS), SAMPLE_COLUMNS)}
    assert {"time_step", "target_mode", "target_as", "patience", "share_cell", "features"} <= set(rows)
    assert "rnn_unit" not in rows  # the same in both
    assert (rows["time_step"].tutorial, rows["time_step"].current) == ("90", "20")
    assert rows["target_as"].tutorial == KNOBS["target_as"].option_labels["price"]
    assert rows["share_cell"].label == KNOBS["share_cell"].label


def tutorial_graph_parameter_count(input_size: int, rnn_unit: int, layer_num: int, share_cell: bool) -> int:
    """The tutorial's trainable variables, from their shapes in its TF1 graph.

    weights['in'] [input_size, rnn_unit], biases['in'] [rnn_unit]; each BasicLSTMCell kernel
    [rnn_unit + rnn_unit, 4 * rnn_unit] (applied to [x_t, h_(t-1)]) and bias [4 * rnn_unit];
    weights['out'] [rnn_unit, 1], biases['out'] [1]. MultiRNNCell([cell for _ in range(layer_num)])
    holds ONE cell object, so its variables exist once.
    """
    shapes = [(input_size, rnn_unit), (rnn_unit,), (rnn_unit, 1), (1,)]
    cells = 1 if share_cell else layer_num
    shapes += [(rnn_unit + rnn_unit, 4 * rnn_unit), (4 * rnn_unit,)] * cells
    total = 0
    for shape in shapes:
        size = 1
        for n in shape:
            size *= n
        total += size
    return total


def test_faithful_parameter_count_equals_the_tutorial_graph():
    for columns in (SAMPLE_COLUMNS, SAMPLE_COLUMNS + ["money"]):
        config = FAITHFUL_PRESET.config(columns)
        expected = tutorial_graph_parameter_count(config.input_size, 10, 2, share_cell=True)
        assert count_parameters(config)["total"] == expected
        assert build_network(config).count_params() == expected
    # With separate cells (the Sound preset) the LSTM part is counted once per layer.
    sound = SOUND_PRESET.config(SAMPLE_COLUMNS)
    assert build_network(sound).count_params() == tutorial_graph_parameter_count(6, 10, 2, share_cell=False)


@pytest.mark.parametrize("name", [TUTORIAL, SOUND])
def test_each_preset_trains_and_evaluates(name):
    from model.data import load_sample
    from model.engine.evaluation import evaluate
    from model.engine.training import train_network
    from model.engine.windows import prepare_data

    prices = load_sample("SYNTH")
    frame = prices.frame.iloc[:700]  # enough for the faithful preset's 90-day windows, quick to train
    config = get_preset(name).config(prices.columns).replace(epochs=1)
    data = prepare_data(frame, config)
    run = train_network(data)
    evaluation = evaluate(run, data)
    assert len(run.history) == 1
    assert list(evaluation.metrics.index) == ["model", "persistence"]
    assert evaluation.split("test")["predicted"].notna().all()
    from model.evidence.verdict import TONE_OF, evaluation_verdict

    assert evaluation_verdict(evaluation, data).kind in TONE_OF


def test_cli_preset_sets_the_knobs_and_explicit_flags_override_it():
    from model.train import config_for, parse_args

    args = parse_args(["--preset", "tutorial"])
    config = config_for(args, SAMPLE_COLUMNS)
    assert config == FAITHFUL_PRESET.config(SAMPLE_COLUMNS)
    args = parse_args(
        ["--preset", "tutorial", "--time-step", "30", "--no-share-cell", "--features", "close,money"]
    )
    config = config_for(args, SAMPLE_COLUMNS)
    assert (config.time_step, config.share_cell, config.rnn_unit) == (30, False, 10)
    assert config.features == ("close", "money")  # asked for explicitly: kept, and refused later as missing
    plain = config_for(parse_args([]), SAMPLE_COLUMNS)
    assert plain == LstmConfig()


def test_cli_refuses_an_unknown_preset(capsys):
    from model.train import parse_args

    with pytest.raises(SystemExit):
        parse_args(["--preset", "best"])
