"""The search space: specs parse into the right parameters, and bad ranges are refused naming the knob."""

import optuna
import pytest

from model.engine.config import KNOBS, LstmConfig
from model.errors import ConfigError
from model.sweep.__main__ import main
from model.sweep.space import Param, SearchSpace, choices, int_range, parse_spec


def test_specs_parse_into_fixed_ranges_log_ranges_and_choices():
    assert parse_spec("rnn_unit", "8:128") == Param("rnn_unit", "int", lo=8, hi=128)
    assert parse_spec("time_step", "10:60:5") == Param("time_step", "int", lo=10, hi=60, step=5)
    assert parse_spec("learning_rate", "1e-4:1e-2:log") == Param(
        "learning_rate", "float", lo=1e-4, hi=1e-2, log=True
    )
    assert parse_spec("target_as", "price,change").choices == ("price", "change")
    assert parse_spec("share_cell", "true,false").choices == (True, False)
    assert parse_spec("batch_size", "32") == Param("batch_size", "fixed", value=32)
    assert parse_spec("features", "close,volume").value == ("close", "volume")  # one feature set, fixed
    assert parse_spec("dropout", "0:0.5:0.1").step == pytest.approx(0.1)


@pytest.mark.parametrize(
    "name, spec, words",
    [
        ("rnn_unit", "0:600", ["rnn_unit", "between 1 and 512"]),
        ("layer_num", "3:1", ["layer_num", "empty"]),
        ("time_step", "10:60:7", ["time_step", "steps of 7", "10:59:7"]),
        ("learning_rate", "0:0.1:log", ["learning_rate"]),
        ("learning_rate", "1e-6:1e-2:log", ["learning_rate", "between 1e-05 and 1"]),
        ("target_mode", "a:b", ["target_mode", "next_day"]),
        ("target_mode", "next_day,tomorrow", ["target_mode", "tomorrow"]),
        ("rnn_unit", "8.5:16", ["rnn_unit", "whole"]),
        ("rnn_unit", "8:16:x", ["rnn_unit", "step"]),
        ("epochs", "1:5", ["epochs", "one value"]),
        ("dropout", "0:2", ["dropout", "between 0 and 0.9"]),
    ],
)
def test_bad_specs_are_refused_with_a_message_naming_the_knob(name, spec, words):
    with pytest.raises(ConfigError) as caught:
        parse_spec(name, spec)
    for word in words:
        assert word in str(caught.value)


def test_a_space_needs_something_to_search_and_a_validation_period():
    with pytest.raises(ConfigError, match="Nothing to search"):
        SearchSpace(LstmConfig(), (parse_spec("rnn_unit", "8"),)).check()
    with pytest.raises(ConfigError, match="val_fraction must be above 0"):
        SearchSpace(LstmConfig(), (int_range("rnn_unit", 4, 8), parse_spec("val_fraction", "0"))).check()
    with pytest.raises(ConfigError, match="rnn_unit given twice"):
        SearchSpace(LstmConfig(), (int_range("rnn_unit", 4, 8), int_range("rnn_unit", 2, 3))).check()


def test_a_trial_gets_a_valid_config_inside_the_ranges_and_the_space_round_trips():
    space = SearchSpace(
        LstmConfig(epochs=3),
        (
            int_range("rnn_unit", 4, 16),
            parse_spec("time_step", "10:60:5"),
            parse_spec("learning_rate", "1e-4:1e-2:log"),
            choices("target_as", ["price", "change"]),
            parse_spec("batch_size", "32"),
        ),
    ).check()
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=3))
    for _ in range(20):
        config = space.config_for(study.ask())
        assert 4 <= config.rnn_unit <= 16 and config.time_step % 5 == 0 and 10 <= config.time_step <= 60
        assert 1e-4 <= config.learning_rate <= 1e-2 and config.batch_size == 32 and config.epochs == 3
    again = SearchSpace.from_dict(space.to_dict())
    assert again == space
    assert space.config_from_params({"rnn_unit": 7}).rnn_unit == 7
    assert all(parse_spec(p.name, p.describe()) == p for p in space.params)


def test_every_searchable_knob_has_a_cli_flag():
    from model.sweep.__main__ import parse_args

    args = parse_args(["start", "--rnn-unit", "8:16", "--lr", "1e-3:1e-2:log"])
    assert args.rnn_unit == "8:16" and args.learning_rate == "1e-3:1e-2:log"
    assert all(hasattr(args, name) for name in KNOBS)


def test_the_cli_refuses_a_bad_range_with_the_knob_named_and_no_traceback(capsys, tmp_path):
    code = main(["start", "--rnn-unit", "0:9999", "--storage", f"journal:{tmp_path / 's.journal'}"])
    err = capsys.readouterr().err
    assert code == 2 and "rnn_unit" in err and "Traceback" not in err
    assert not (tmp_path / "s.journal").exists()  # refused before any study was created
