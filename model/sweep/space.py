"""The search space of a sweep, derived from the knobs' own metadata (``model.engine.config.KNOBS``).

Each searched knob is a ``Param``: fixed, an int range (with a step), a float range (optionally
on a log scale) or a list of choices. Its limits are checked against the knob's ``lo``/``hi``/
``options``, the same limits every other entry point validates with, so a range can never
propose a value the engine would refuse. Errors are ``ConfigError`` naming the knob.

Command-line specs (``parse_spec``): ``32`` fixed, ``8:128`` range, ``10:60:5`` range with step,
``1e-4:1e-2:log`` log range, ``a,b,c`` choices.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

from model.engine.config import KNOBS, Knob, LstmConfig
from model.errors import ConfigError

ParamKind = Literal["fixed", "int", "float", "choice"]

# The per-trial budget and the seed are settings of the sweep, not things to search: a sweep that
# searched epochs would just learn "more is better", and each trial uses the same seed so that
# trials differ only in their knobs.
# The forecast's horizon and strategy do not change a trial's validation loss (trials do not
# forecast), so searching them would only repeat trials.
NOT_SEARCHABLE = (
    "epochs",
    "seed",
    "features",
    "test_fraction",
    "val_fraction",
    "horizon",
    "forecast_strategy",
    "interval_method",
)
# Knobs the Tune page offers to search, in this order (the others stay at the Train page's values).
SEARCHABLE = tuple(name for name in KNOBS if name not in NOT_SEARCHABLE)


def _knob(name: str) -> Knob:
    try:
        return KNOBS[name]
    except KeyError:
        raise ConfigError(f"{name!r} is not a knob; knobs: {', '.join(KNOBS)}.") from None


@dataclass(frozen=True)
class Param:
    """How one knob varies across trials."""

    name: str
    kind: ParamKind
    value: Any = None  # fixed
    lo: float | None = None  # ranges, inclusive
    hi: float | None = None
    step: float | None = None
    log: bool = False
    choices: tuple = ()

    @property
    def knob(self) -> Knob:
        return _knob(self.name)

    @property
    def searched(self) -> bool:
        return self.kind != "fixed"

    def check(self) -> "Param":
        """Raise ConfigError naming the knob if this parameter could propose a refused value."""
        knob = self.knob
        if self.kind == "fixed":
            knob.check(self.value)
            return self
        if self.name in NOT_SEARCHABLE:
            raise ConfigError(f"{self.name} is a setting of the whole sweep, not searched: give one value.")
        if self.kind == "choice":
            if len(self.choices) < 2:
                raise ConfigError(f"{self.name}: give at least two choices (or one value to fix it).")
            if len(set(self.choices)) != len(self.choices):
                raise ConfigError(f"{self.name}: a choice is listed twice.")
            if knob.kind in ("columns",):
                raise ConfigError(f"{self.name} cannot be searched; give one value.")
            for choice in self.choices:
                knob.check(choice)
            return self
        if self.kind not in ("int", "float"):
            raise ConfigError(f"{self.name}: unknown parameter kind {self.kind!r}.")
        if not knob.numeric:
            raise ConfigError(
                f"{self.name} is not a number: give choices ({', '.join(knob.options) or 'a,b'}), not a range."
            )
        if self.kind == "float" and knob.kind == "int":
            raise ConfigError(f"{self.name} is a whole number: use a whole-number range.")
        lo, hi = self.lo, self.hi
        if lo is None or hi is None or not (math.isfinite(lo) and math.isfinite(hi)):
            raise ConfigError(f"{self.name}: a range needs two finite ends.")
        if lo >= hi:
            raise ConfigError(
                f"{self.name}: the range {lo:g}:{hi:g} is empty; the low end must be below the high end."
            )
        if not (knob.in_range(lo) and knob.in_range(hi)):
            raise ConfigError(f"{self.name}: the range {lo:g}:{hi:g} must lie {knob.describe_range()}.")
        if self.kind == "int" and not (float(lo).is_integer() and float(hi).is_integer()):
            raise ConfigError(f"{self.name}: a whole-number range needs whole ends, got {lo:g}:{hi:g}.")
        if self.log:
            if self.step is not None:
                raise ConfigError(f"{self.name}: a log range cannot also have a step.")
            if lo <= 0:
                raise ConfigError(f"{self.name}: a log range must start above 0, got {lo:g}.")
        if self.step is not None:
            if not (math.isfinite(self.step) and self.step > 0):
                raise ConfigError(f"{self.name}: the step must be above 0, got {self.step:g}.")
            if self.kind == "int" and not float(self.step).is_integer():
                raise ConfigError(f"{self.name}: a whole-number range needs a whole step, got {self.step:g}.")
            count = (hi - lo) / self.step
            if abs(count - round(count)) > 1e-9 * max(1.0, abs(count)):
                raise ConfigError(
                    f"{self.name}: the range {lo:g}:{hi:g} is not a whole number of steps of {self.step:g} "
                    f"(try {lo:g}:{lo + math.floor(count) * self.step:g}:{self.step:g})."
                )
        return self

    def suggest(self, trial) -> Any:
        """This parameter's value for an Optuna trial (``trial.suggest_*`` under the knob's name)."""
        if self.kind == "fixed":
            return self.value
        if self.kind == "choice":
            return trial.suggest_categorical(self.name, list(self.choices))
        if self.kind == "int":
            return trial.suggest_int(
                self.name, int(self.lo), int(self.hi), step=int(self.step or 1), log=self.log
            )
        return trial.suggest_float(self.name, float(self.lo), float(self.hi), step=self.step, log=self.log)

    def describe(self) -> str:
        """The parameter as a command-line spec (``parse_spec`` reads it back)."""
        knob = self.knob
        if self.kind == "fixed":
            return knob.format(self.value)
        if self.kind == "choice":
            return ",".join(knob.format(c) for c in self.choices)
        text = (
            f"{knob.format(self.lo) if self.kind == 'float' else int(self.lo)}:"
            f"{knob.format(self.hi) if self.kind == 'float' else int(self.hi)}"
        )
        if self.log:
            return text + ":log"
        if self.step is not None:
            return text + f":{self.step:g}"
        return text

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "kind": self.kind}
        if self.kind == "fixed":
            data["value"] = list(self.value) if isinstance(self.value, tuple) else self.value
        elif self.kind == "choice":
            data["choices"] = list(self.choices)
        else:
            data.update(lo=self.lo, hi=self.hi, step=self.step, log=self.log)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Param":
        value = data.get("value")
        if isinstance(value, list):
            value = tuple(value)
        return cls(
            name=data["name"],
            kind=data["kind"],
            value=value,
            lo=data.get("lo"),
            hi=data.get("hi"),
            step=data.get("step"),
            log=bool(data.get("log", False)),
            choices=tuple(data.get("choices", ())),
        )


def fixed(name: str, value: Any) -> Param:
    return Param(name, "fixed", value=value).check()


def int_range(name: str, lo: int, hi: int, step: int | None = None, *, log: bool = False) -> Param:
    return Param(name, "int", lo=lo, hi=hi, step=step, log=log).check()


def choices(name: str, values) -> Param:
    return Param(name, "choice", choices=tuple(values)).check()


def parse_spec(name: str, text: str) -> Param:
    """A command-line spec for one knob: ``32``, ``8:128``, ``10:60:5``, ``1e-4:1e-2:log``, ``a,b``."""
    knob = _knob(name)
    text = str(text).strip()
    if not text:
        raise ConfigError(f"{name}: empty value; give a number, a range like 8:128, or choices like a,b.")

    def value(part: str) -> Any:
        try:
            return knob.parse(part)
        except ValueError as exc:
            raise ConfigError(f"{name}: {exc}.") from None

    if ":" in text and knob.numeric:
        parts = [p.strip() for p in text.split(":")]
        if len(parts) not in (2, 3):
            raise ConfigError(f"{name}: a range is LOW:HIGH, LOW:HIGH:STEP or LOW:HIGH:log, got {text!r}.")
        lo, hi = value(parts[0]), value(parts[1])
        step, log = None, False
        if len(parts) == 3:
            if parts[2].lower() == "log":
                log = True
            else:
                try:
                    step = float(parts[2])
                except ValueError:
                    raise ConfigError(
                        f"{name}: the step {parts[2]!r} is not a number (or write 'log')."
                    ) from None
                if knob.kind == "int" and step.is_integer():
                    step = int(step)
        return Param(name, "int" if knob.kind == "int" else "float", lo=lo, hi=hi, step=step, log=log).check()
    if ":" in text:
        raise ConfigError(
            f"{name} is not a number: give choices like {','.join(knob.options) or 'a,b'}, not a range."
        )
    if "," in text and knob.kind != "columns":
        return Param(name, "choice", choices=tuple(value(p.strip()) for p in text.split(","))).check()
    return Param(name, "fixed", value=value(text)).check()


@dataclass(frozen=True)
class SearchSpace:
    """A base config (every knob's value when not searched) and the parameters that vary."""

    base: LstmConfig = field(default_factory=LstmConfig)
    params: tuple[Param, ...] = ()

    def check(self) -> "SearchSpace":
        names = [p.name for p in self.params]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ConfigError(f"{', '.join(twice)} given twice in the search space.")
        for param in self.params:
            param.check()
        if not any(p.searched for p in self.params):
            raise ConfigError(
                "Nothing to search: give at least one knob a range or choices (for example --rnn-unit 8:128)."
            )
        sample = self.base.replace(**{p.name: p.value for p in self.params if not p.searched})
        sample.validate()
        if sample.val_fraction <= 0:
            raise ConfigError("val_fraction must be above 0: trials are scored on the validation period.")
        return self

    @property
    def searched(self) -> tuple[Param, ...]:
        return tuple(p for p in self.params if p.searched)

    def config_for(self, trial) -> LstmConfig:
        """The validated config an Optuna trial proposes."""
        return self.base.replace(**{p.name: p.suggest(trial) for p in self.params}).validate()

    def config_from_params(self, values: dict[str, Any]) -> LstmConfig:
        """The config a finished trial used, from its ``params`` (Optuna's record of the suggestions)."""
        changes = {p.name: p.value for p in self.params if not p.searched}
        changes.update({k: v for k, v in values.items() if k in KNOBS})
        return self.base.replace(**changes)

    def to_dict(self) -> dict[str, Any]:
        return {"base": self.base.to_dict(), "params": [p.to_dict() for p in self.params]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "SearchSpace":
        return cls(LstmConfig.from_dict(data["base"]), tuple(Param.from_dict(p) for p in data["params"]))

    def describe(self) -> str:
        return " ".join(f"{p.knob.cli_flag} {p.describe()}" for p in self.params)
