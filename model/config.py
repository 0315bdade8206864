"""Hyperparameters of one run, validated in one place so every entry point refuses the same
impossible settings with the same message."""

from __future__ import annotations

import dataclasses
import json
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

# The tutorial feeds 7 columns; our default set is the OHLCV columns every source has plus
# the daily change, so the sample, yfinance and most CSVs work without any column mapping.
DEFAULT_FEATURES: tuple[str, ...] = ("open", "high", "low", "close", "volume", "change")
DEFAULT_TARGET = "close"

# (min, max) for each integer knob, inclusive. Shared with the UI so sliders and validation agree.
LIMITS: dict[str, tuple[float, float]] = {
    "rnn_unit": (1, 512),
    "layer_num": (1, 8),
    "time_step": (2, 365),
    "batch_size": (1, 4096),
    "epochs": (1, 1000),
    "patience": (0, 1000),
}


@dataclass(frozen=True)
class LstmConfig:
    """Everything that defines a network and how it is trained.

    Defaults are the tutorial's: rnn_unit 10, layer_num 2, batch 80, lr 0.0006. The tutorial's
    time_step is 20 in its 1-D script; we keep 20.
    """

    rnn_unit: int = 10
    layer_num: int = 2
    time_step: int = 20
    features: tuple[str, ...] = DEFAULT_FEATURES
    target: str = DEFAULT_TARGET
    target_mode: TargetMode = "next_day"
    target_as: TargetAs = "price"
    batch_size: int = 80
    epochs: int = 30
    learning_rate: float = 0.0006
    dropout: float = 0.0
    test_fraction: float = 0.2
    val_fraction: float = 0.1
    patience: int = 5
    seed: int = 42
    share_cell: bool = False
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def input_size(self) -> int:
        return len(self.features)

    def validate(self) -> "LstmConfig":
        """Raise ConfigError naming the first knob that is out of range; return self."""
        for name, (lo, hi) in LIMITS.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ConfigError(f"{name} must be a whole number, got {value!r}.")
            if not lo <= value <= hi:
                raise ConfigError(f"{name} must be between {lo:g} and {hi:g}, got {value}.")
        if not (0.0 < float(self.learning_rate) <= 1.0):
            raise ConfigError(f"learning_rate must be in (0, 1], got {self.learning_rate}.")
        if not (0.0 <= float(self.dropout) < 1.0):
            raise ConfigError(f"dropout must be in [0, 1), got {self.dropout}.")
        if not (0.05 <= float(self.test_fraction) <= 0.5):
            raise ConfigError(f"test_fraction must be between 0.05 and 0.5, got {self.test_fraction}.")
        if not (0.0 <= float(self.val_fraction) <= 0.5):
            raise ConfigError(f"val_fraction must be between 0 and 0.5, got {self.val_fraction}.")
        if self.target_mode not in TARGET_MODES:
            raise ConfigError(f"target_mode must be one of {', '.join(TARGET_MODES)}, got {self.target_mode!r}.")
        if self.target_as not in TARGET_AS:
            raise ConfigError(f"target_as must be one of {', '.join(TARGET_AS)}, got {self.target_as!r}.")
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
        known = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        kwargs = {k: v for k, v in data.items() if k in known}
        if "features" in kwargs:
            kwargs["features"] = tuple(kwargs["features"])
        return cls(**kwargs)
