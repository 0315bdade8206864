"""Hyperparameters of one run, each defined once.

Every knob is a field of ``LstmConfig`` whose metadata (``Knob``) holds its kind, limits, label,
help text, URL name and command-line flag. Validation, the dashboard's widgets and URL
parameters, the command line's flags and the sweeps' search space are all derived from it, so a
new hyperparameter is one field here.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
from dataclasses import dataclass, field
from typing import Any, Literal

from model.errors import ConfigError

TargetMode = Literal["next_day", "next_window"]
TARGET_MODES: tuple[str, ...] = ("next_day", "next_window")
# What the network's output means. "price": the target's level, as in the tutorial. "change":
# the target's move from the last known value (next day: from the step's own day; next window:
# from the window's last day); predictions are turned back into prices by adding that value.
# A level model trained on 2004-2010 prices cannot output 2012's prices well (its inputs and
# outputs leave the range it saw); a change model does not have that problem.
TargetAs = Literal["price", "change"]
TARGET_AS: tuple[str, ...] = ("price", "change")
# How a forecast several business days past the data is made (model.forecast.horizon).
# "direct": a second network with one output per horizon day, each trained for its day; works
# with any features. "recursive": the one-day model fed its own predictions; it needs every
# input feature's future, so it applies only when every feature derives from the target.
ForecastStrategy = Literal["direct", "recursive"]
FORECAST_STRATEGIES: tuple[str, ...] = ("direct", "recursive")
# How the forecast's conformal bands are calibrated over time (model.forecast.online): "split"
# takes the quantile of every residual known at the origin; "aci" also moves the miscoverage level
# after each known outcome; "agaci" aggregates ACI over several step sizes (none to pick).
IntervalMethod = Literal["split", "aci", "agaci"]
INTERVAL_METHODS: tuple[str, ...] = ("split", "aci", "agaci")

# The tutorial feeds 7 columns; our default set is the OHLCV columns every source has plus
# the daily change, so the sample, yfinance and most CSVs work without any column mapping.
DEFAULT_FEATURES: tuple[str, ...] = ("open", "high", "low", "close", "volume", "change")
DEFAULT_TARGET = "close"
SEED_MAX = 2**31 - 1

KnobKind = Literal["int", "float", "bool", "choice", "column", "columns"]


@dataclass(frozen=True)
class Knob:
    """Everything the app knows about one hyperparameter besides its default.

    ``lo``/``hi`` are inclusive limits of a numeric knob; ``step`` is the widget's increment;
    ``log`` says the knob is best searched and typed on a log scale (the learning rate).
    """

    name: str
    kind: KnobKind
    label: str
    help: str
    lo: float | None = None
    hi: float | None = None
    step: float | None = None
    log: bool = False
    options: tuple[str, ...] = ()
    option_labels: dict[str, str] | None = None
    default: Any = None

    @property
    def url_name(self) -> str:
        return self.name

    @property
    def cli_flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def numeric(self) -> bool:
        return self.kind in ("int", "float")

    def describe_range(self) -> str:
        return f"between {self.lo:g} and {self.hi:g}"

    def in_range(self, number: float) -> bool:
        return self.lo <= number <= self.hi

    def check(self, value: Any) -> None:
        """Raise ConfigError naming the knob if ``value`` is not allowed."""
        if self.kind == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                raise ConfigError(f"{self.name} must be a whole number, got {value!r}.")
            if not self.in_range(value):
                raise ConfigError(f"{self.name} must be {self.describe_range()}, got {value}.")
        elif self.kind == "float":
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise ConfigError(f"{self.name} must be a number, got {value!r}.") from None
            if not math.isfinite(number) or not self.in_range(number):
                raise ConfigError(f"{self.name} must be {self.describe_range()}, got {value}.")
        elif self.kind == "bool":
            if not isinstance(value, bool):
                raise ConfigError(f"{self.name} must be true or false, got {value!r}.")
        elif self.kind == "choice":
            if value not in self.options:
                raise ConfigError(f"{self.name} must be one of {', '.join(self.options)}, got {value!r}.")

    def parse(self, value: Any, *, clamp: bool = False) -> Any:
        """Text (URL, command line) or a widget's value to the knob's type; ValueError if impossible.

        With ``clamp`` a number outside the limits is moved to the nearest allowed value (for
        links: the caller warns); without it the value is returned as given and ``check`` refuses it.
        """
        if self.kind == "int":
            number = float(value.strip()) if isinstance(value, str) else float(value)
            if not math.isfinite(number) or not number.is_integer():
                raise ValueError(f"{value!r} is not a whole number")
            return int(min(max(number, self.lo), self.hi)) if clamp else int(number)
        if self.kind == "float":
            number = float(value.strip() if isinstance(value, str) else value)
            if not math.isfinite(number):
                raise ValueError(f"{value!r} is not a number")
            return float(min(max(number, self.lo), self.hi)) if clamp else number
        if self.kind == "bool":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError(f"{value!r} is not true or false")
        if self.kind == "choice":
            text = str(value).strip()
            if text not in self.options:
                raise ValueError(f"{value!r} is not one of {', '.join(self.options)}")
            return text
        if self.kind == "column":
            text = str(value).strip()
            if not text:
                raise ValueError("empty column name")
            return text
        if self.kind == "columns":
            items = value.split(",") if isinstance(value, str) else list(value)
            names = tuple(dict.fromkeys(str(v).strip() for v in items if str(v).strip()))
            if not names:
                raise ValueError("no column names")
            return names
        raise ValueError(f"unknown knob kind {self.kind}")

    def format(self, value: Any) -> str:
        """The value as text for a URL or a command line (``parse`` reads it back)."""
        if self.kind == "bool":
            return "true" if value else "false"
        if self.kind == "float":
            return f"{float(value):g}"
        if self.kind == "columns":
            return ",".join(value)
        return str(value)


def knob(default: Any, kind: KnobKind, label: str, help: str, **spec: Any) -> Any:
    """A config field whose metadata is its Knob (the field's name is filled in by ``KNOBS``)."""
    factory = (lambda: default) if isinstance(default, (list, dict)) else None
    meta = {"knob": dict(kind=kind, label=label, help=help, **spec)}
    if factory is not None:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class LstmConfig:
    """Everything that defines a network and how it is trained.

    Defaults are the Sound preset (``model.engine.presets``), the one that gives a new user a
    meaningful first plot: the tutorial's sizes (rnn_unit 10, layer_num 2, batch 80, lr 0.0006,
    time_step 20 of its 1-D script), but predicting the change from the last known value, a
    separate cell per layer and early stopping. A price target trained on older, lower prices
    draws its test predictions far below the actual prices (GOOG: test RMSE 19.5 vs 10.4 for
    persistence); the change target stays on the price line.
    """

    rnn_unit: int = knob(
        10,
        "int",
        "rnn_unit",
        lo=1,
        hi=512,
        help="Hidden size of every LSTM layer (and of the input projection): h_t and c_t have "
        "rnn_unit numbers, so the tensor between layers is [batch, time_step, rnn_unit]. "
        "LSTM parameters grow with rnn_unit².",
    )
    layer_num: int = knob(
        2,
        "int",
        "layer_num",
        lo=1,
        hi=8,
        help="How many LSTM layers are stacked. Each maps [batch, time_step, rnn_unit] to the same "
        "shape, so depth adds parameters (unless the cell is shared) but never changes a shape.",
    )
    time_step: int = knob(
        20,
        "int",
        "time_step",
        lo=2,
        hi=365,
        help="Length of each input window; the output has the same length. X is "
        "[batch, time_step, features] and Y is [batch, time_step, 1]. Longer windows leave fewer "
        "windows to train on.",
    )
    features: tuple[str, ...] = knob(
        DEFAULT_FEATURES,
        "columns",
        "Features",
        help="Columns fed to the network: the last axis of X, [batch, time_step, len(features)], "
        "and the rows of the input projection's weight matrix. Each is normalised with "
        "training-period statistics.",
    )
    target: str = knob(
        DEFAULT_TARGET,
        "column",
        "Target",
        help="The column the network predicts: Y is [batch, time_step, 1] of this column "
        "(normalised; Results converts it back to price units).",
    )
    target_mode: TargetMode = knob(
        "next_day",
        "choice",
        "Target mode",
        options=TARGET_MODES,
        option_labels={"next_day": "Next day", "next_window": "Next window"},
        help="Next day: Y is the input window shifted one day ahead, so each of the time_step outputs "
        "predicts the following day. Next window: Y is the time_step days after the window, so one "
        "window forecasts a whole window ahead.",
    )
    target_as: TargetAs = knob(
        "change",
        "choice",
        "Predict",
        options=TARGET_AS,
        option_labels={"price": "Price (tutorial)", "change": "Change from last known"},
        help="Price: Y holds the target's level, as in the tutorial; a model trained on older, "
        "lower prices cannot reach newer ones. Change: Y holds the move from the last known value "
        "(the step's own day, or the window's last day); Results adds it back to show prices.",
    )
    batch_size: int = knob(
        80,
        "int",
        "Batch size",
        lo=1,
        hi=4096,
        help="Windows per training step: the first axis of X, [batch, time_step, features]. "
        "Capped at the number of training windows. Bigger batches give fewer, smoother updates per epoch.",
    )
    epochs: int = knob(
        30,
        "int",
        "Epochs",
        lo=1,
        hi=1000,
        help="Passes over all training windows. Early stopping may end sooner; the best weights are kept.",
    )
    learning_rate: float = knob(
        0.0006,
        "float",
        "Learning rate",
        lo=1e-5,
        hi=1.0,
        step=0.0001,
        log=True,
        help="Adam's step size for every weight update. Too high and the loss jumps or becomes NaN; "
        "too low and it barely moves.",
    )
    dropout: float = knob(
        0.0,
        "float",
        "Dropout",
        lo=0.0,
        hi=0.9,
        step=0.05,
        help="Share of each LSTM layer's output [batch, time_step, rnn_unit] zeroed at random while "
        "training, between stacked layers (no effect with layer_num 1).",
    )
    test_fraction: float = knob(
        0.2,
        "float",
        "Test share",
        lo=0.05,
        hi=0.5,
        step=0.05,
        help="Share of the most recent rows held out as the test period. A window whose targets "
        "reach into it is never trained on.",
    )
    val_fraction: float = knob(
        0.1,
        "float",
        "Validation share",
        lo=0.0,
        hi=0.5,
        step=0.05,
        help="Share of the rows before the test period used for the validation loss and early "
        "stopping (0 turns validation off).",
    )
    patience: int = knob(
        5,
        "int",
        "Patience",
        lo=0,
        hi=1000,
        help="Epochs without a better validation loss before training stops and the best weights "
        "are restored; 0 turns early stopping off.",
    )
    seed: int = knob(
        42,
        "int",
        "Seed",
        lo=0,
        hi=SEED_MAX,
        help="Seeds weight initialisation, shuffling and dropout so a run can be repeated.",
    )
    share_cell: bool = knob(
        False,
        "bool",
        "Share one cell across layers",
        help="The tutorial's MultiRNNCell([cell] * layer_num) reuses ONE cell object, so every layer "
        "has the same LSTM weights. Tensor shapes stay the same; LSTM parameters stop growing "
        "with layer_num.",
    )
    horizon: int = knob(
        10,
        "int",
        "Forecast horizon",
        lo=1,
        hi=30,
        help="Business days forecast past the last date, each with conformal intervals (80% and 95%) "
        "whose coverage is measured on the test period, beside persistence's at the same horizon.",
    )
    forecast_strategy: ForecastStrategy = knob(
        "direct",
        "choice",
        "Forecast strategy",
        options=FORECAST_STRATEGIES,
        option_labels={
            "direct": "Direct (one output per day)",
            "recursive": "Recursive (fed its own predictions)",
        },
        help="Direct: a second network with one output per horizon day, each trained for its day; works with "
        "any features. Recursive: the one-day model fed its own predictions; it needs every feature's future, "
        "so it applies only when every feature derives from the target (e.g. close and change).",
    )
    interval_method: IntervalMethod = knob(
        "aci",  # the default by measurement (scripts/bench_forecast.py, docs/intervals.md)
        "choice",
        "Interval method",
        options=INTERVAL_METHODS,
        option_labels={
            "split": "Split conformal",
            "aci": "Adaptive conformal (ACI)",
            "agaci": "Aggregated ACI (no step size)",
        },
        help="How the forecast's intervals keep their coverage: split conformal takes the quantile of every "
        "residual known at the forecast's origin; adaptive conformal (ACI) also widens the band after misses "
        "and narrows it after hits; aggregated ACI weighs several ACI step sizes by how well they did.",
    )
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def input_size(self) -> int:
        return len(self.features)

    def validate(self) -> "LstmConfig":
        """Raise ConfigError naming the first knob that is out of range; return self."""
        for name, spec in KNOBS.items():
            spec.check(getattr(self, name))
        if not self.features:
            raise ConfigError("Choose at least one feature column.")
        if len(set(self.features)) != len(self.features):
            raise ConfigError("A feature column is listed twice.")
        if not self.target:
            raise ConfigError("Choose a target column.")
        return self

    def replace(self, **changes: Any) -> "LstmConfig":
        if "features" in changes:
            changes["features"] = tuple(changes["features"])
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["features"] = list(self.features)
        data.pop("extra")
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "LstmConfig":
        kwargs = {k: v for k, v in data.items() if k in KNOBS}
        if "features" in kwargs:
            kwargs["features"] = tuple(kwargs["features"])
        return cls(**kwargs)

    def differences(self, other: "LstmConfig | None" = None) -> dict[str, Any]:
        """The knobs whose value differs from ``other`` (the defaults when None), in field order."""
        other = other or LstmConfig()
        return {name: getattr(self, name) for name in KNOBS if getattr(self, name) != getattr(other, name)}


KNOBS: dict[str, Knob] = {
    f.name: Knob(name=f.name, default=f.default, **f.metadata["knob"])
    for f in dataclasses.fields(LstmConfig)
    if "knob" in f.metadata
}

# Kept for callers that only need the integer limits.
LIMITS: dict[str, tuple[float, float]] = {k.name: (k.lo, k.hi) for k in KNOBS.values() if k.kind == "int"}

# The knobs that set tensor shapes (shared by the Train and Shapes pages).
NETWORK_KNOBS: tuple[str, ...] = ("rnn_unit", "layer_num", "time_step", "batch_size", "features")


def add_knob_arguments(parser: Any, defaults: LstmConfig | None = None) -> None:
    """One argparse flag per knob (``--rnn-unit`` ...), typed and documented from its metadata.

    Values are parsed but not validated here: ``config_from_arguments(...).validate()`` refuses
    out-of-range values with the same message as every other entry point.
    """
    defaults = defaults or LstmConfig()
    group = parser.add_argument_group("hyperparameters")
    for spec in KNOBS.values():
        default = getattr(defaults, spec.name)
        text = spec.help.split(". ")[0].rstrip(".") + f" (default {spec.format(default)})"
        text = text.replace("%", "%%")  # argparse formats help with %: "80% and 95%" broke --help
        if spec.kind == "bool":
            # --share-cell / --no-share-cell: a preset may turn it on, a flag must be able to turn it off.
            group.add_argument(
                spec.cli_flag, action=argparse.BooleanOptionalAction, default=default, help=text
            )
        elif spec.kind == "choice":
            group.add_argument(spec.cli_flag, choices=spec.options, default=default, help=text)
        elif spec.kind == "columns":
            group.add_argument(spec.cli_flag, default=spec.format(default), help=text + "; comma-separated")
        else:
            kind = {"int": int, "float": float, "column": str}[spec.kind]
            group.add_argument(spec.cli_flag, type=kind, default=default, help=text)


def config_from_arguments(args: Any) -> LstmConfig:
    """The LstmConfig that parsed ``add_knob_arguments`` flags describe (not yet validated)."""
    values: dict[str, Any] = {}
    for spec in KNOBS.values():
        value = getattr(args, spec.name)
        if spec.kind == "columns":
            value = tuple(v.strip() for v in str(value).split(",") if v.strip())
        values[spec.name] = value
    return LstmConfig(**values)
