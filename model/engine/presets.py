"""Named sets of knob values: the tutorial as it was written, and what we recommend.

A preset sets every knob except the data's columns, which it fits to the loaded data: its
features are the ones on its list that the data has, its target the one it names if the data
has it. So a preset applied over any config gives the same config on the same data, and any
knob changed afterwards makes the config "custom" (``preset_of``).

Knob metadata (labels, limits, flags) stays in ``model.engine.config.KNOBS``; nothing here repeats it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from model.engine.config import KNOBS, LstmConfig
from model.errors import ConfigError

TUTORIAL = "tutorial"
SOUND = "sound"
CUSTOM = "custom"

# The tutorial's N-D script feeds columns 2..9 of its CSV: open, close, low, high, volume,
# money, change (its label, the next day's close, is what it predicts; our target modes do the
# shifting, so the target is the close itself).
TUTORIAL_FEATURES: tuple[str, ...] = ("open", "close", "low", "high", "volume", "money", "change")


@dataclass(frozen=True)
class Preset:
    name: str  # the URL and command-line value
    label: str
    summary: str
    values: Mapping[str, Any]  # every knob but features and target
    features: tuple[str, ...]  # wanted features in order; the ones the data has are used
    target: str

    def apply(self, config: LstmConfig, columns: Sequence[str] | None = None) -> LstmConfig:
        """``config`` with this preset's values; features/target fitted to ``columns`` when given.

        A wanted feature the data lacks is left out; when none is left, or the target is
        missing, the config's own features/target are kept (the pages then say what is missing).
        """
        changes: dict[str, Any] = dict(self.values)
        if columns is None:
            changes["features"], changes["target"] = self.features, self.target
        else:
            available = {str(c) for c in columns}
            fitted = tuple(f for f in self.features if f in available)
            changes["features"] = fitted or config.features
            changes["target"] = self.target if self.target in available else config.target
        return config.replace(**changes)

    def config(self, columns: Sequence[str] | None = None) -> LstmConfig:
        return self.apply(LstmConfig(), columns)


# Knobs the tutorial has no opinion on (it trains on all rows before a fixed index, with no
# validation, seed or epoch budget we could copy) take the same values in both presets, so the
# knob-by-knob difference shows only real choices.
_DEFAULTS = LstmConfig()
_COMMON: dict[str, Any] = {
    name: getattr(_DEFAULTS, name)
    for name in (
        "epochs",
        "test_fraction",
        "val_fraction",
        "seed",
        "horizon",
        "forecast_strategy",
        "interval_method",
    )
}

FAITHFUL_PRESET = Preset(
    name=TUTORIAL,
    label="Tutorial, faithful",
    summary=(
        "The tutorial's N-D script as written: 10 units, 2 layers sharing one cell "
        "(MultiRNNCell([cell for _ in range(layer_num)])), 90-day windows forecasting the next 90 days, "
        "batch 80, learning rate 0.0006, the price itself as the target, no early stopping, no dropout."
    ),
    values={
        **_COMMON,
        "rnn_unit": 10,
        "layer_num": 2,
        "time_step": 90,
        "target_mode": "next_window",
        "target_as": "price",
        "batch_size": 80,
        "learning_rate": 0.0006,
        "dropout": 0.0,
        "patience": 0,
        "share_cell": True,
    },
    features=TUTORIAL_FEATURES,
    target="close",
)

# Chosen by measurement: scripts/choose_sound_preset.py trains the candidates on the bundled
# samples and prints the table (figures in its docstring). Sound is the default, so its values are
# LstmConfig's own field defaults (the one place they are written).
SOUND_PRESET = Preset(
    name=SOUND,
    label="Sound",
    summary=(
        "What we recommend: predict the change from the last known price (so the model is not asked "
        "for price levels it never saw), a separate cell per layer, next-day forecasts, early stopping "
        "on the validation loss; sizes and learning rate chosen by measurement on the bundled samples."
    ),
    values={name: getattr(_DEFAULTS, name) for name in KNOBS if name not in ("features", "target")},
    features=_DEFAULTS.features,
    target=_DEFAULTS.target,
)

# The Explainer's toy: the smallest real network, trained on the loaded prices like any other, so
# every number of one prediction (2 units, 1 layer, 5 steps, 2 features) fits on one screen.
TOY = "toy"
TOY_PRESET = Preset(
    name=TOY,
    label="Toy (every number on one screen)",
    summary="2 units, 1 layer, 5-day windows of the close and its daily change: small enough that the Explainer shows every "
    "number of a prediction at once; otherwise trained like the sound preset.",
    values={**SOUND_PRESET.values, "rnn_unit": 2, "layer_num": 1, "time_step": 5},
    features=("close", "change"),
    target=_DEFAULTS.target,
)

PRESETS: dict[str, Preset] = {p.name: p for p in (SOUND_PRESET, FAITHFUL_PRESET, TOY_PRESET)}
DEFAULT_PRESET = SOUND


def get_preset(name: str) -> Preset:
    """The preset called ``name`` (its URL/CLI name, case-insensitive); ConfigError if none."""
    key = str(name).strip().lower()
    if key not in PRESETS:
        raise ConfigError(f"No preset {name!r}: choose one of {', '.join(PRESETS)}.")
    return PRESETS[key]


def preset_of(config: LstmConfig, columns: Sequence[str] | None = None) -> str:
    """The name of the preset ``config`` is exactly (on data with ``columns``), else "custom"."""
    for preset in PRESETS.values():
        if preset.apply(config, columns) == config:
            return preset.name
    return CUSTOM


@dataclass(frozen=True)
class KnobDifference:
    name: str
    label: str
    tutorial: str
    current: str


def differences_from_tutorial(
    config: LstmConfig, columns: Sequence[str] | None = None
) -> list[KnobDifference]:
    """Knob by knob, where ``config`` departs from the faithful tutorial (on the same data)."""
    tutorial = FAITHFUL_PRESET.apply(config, columns)
    rows = []
    for name, value in config.differences(tutorial).items():
        spec = KNOBS[name]

        def text(v: Any, spec=spec) -> str:
            if spec.kind == "choice" and spec.option_labels:
                return spec.option_labels.get(v, str(v))
            if spec.kind == "columns":
                return ", ".join(v)
            return spec.format(v)

        rows.append(KnobDifference(name, spec.label, text(getattr(tutorial, name)), text(value)))
    return rows
