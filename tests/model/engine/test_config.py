import pytest

from model.engine.config import KNOBS, LstmConfig
from model.errors import ConfigError


@pytest.mark.parametrize(
    "changes, name",
    [
        ({"rnn_unit": 0}, "rnn_unit"),
        ({"rnn_unit": 513}, "rnn_unit"),
        ({"layer_num": 9}, "layer_num"),
        ({"time_step": 1}, "time_step"),
        ({"time_step": 366}, "time_step"),
        ({"batch_size": 5000}, "batch_size"),
        ({"epochs": 0}, "epochs"),
        ({"epochs": 1001}, "epochs"),
        ({"learning_rate": 0.0}, "learning_rate"),
        ({"learning_rate": 1.5}, "learning_rate"),
        ({"dropout": 1.0}, "dropout"),
        ({"rnn_unit": 2.5}, "rnn_unit"),
        ({"target_mode": "tomorrow"}, "target_mode"),
        ({"features": ()}, "feature"),
        ({"features": ("close", "close")}, "twice"),
    ],
)
def test_absurd_hyperparameters_get_a_message_naming_the_knob(changes, name):
    with pytest.raises(ConfigError, match=name):
        LstmConfig().replace(**changes).validate()


def test_limits_are_inclusive():
    LstmConfig(
        rnn_unit=512, layer_num=8, time_step=365, batch_size=4096, epochs=1000, learning_rate=1.0
    ).validate()
    LstmConfig(rnn_unit=1, layer_num=1, time_step=2, batch_size=1, epochs=1).validate()


def test_round_trip_through_dict():
    config = LstmConfig(rnn_unit=33, features=("close", "volume"), share_cell=True, target_mode="next_window")
    assert LstmConfig.from_dict(config.to_dict()) == config
    assert config.input_size == 2


def test_knob_parse_rules_for_links_and_the_command_line():
    knob = KNOBS["rnn_unit"]
    assert knob.parse("32", clamp=True) == 32
    assert knob.parse("32.0", clamp=True) == 32
    assert knob.parse("0", clamp=True) == 1
    for bad in ("3.5", "x", "inf"):
        with pytest.raises(ValueError):
            knob.parse(bad, clamp=True)
    assert KNOBS["share_cell"].parse("no", clamp=True) is False
    assert KNOBS["features"].parse("open, close,open", clamp=True) == ("open", "close")
