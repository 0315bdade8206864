"""What a study will cost before it starts, from this machine's own stored runs.

An epoch's time grows with the network's size and its unrolled length, so each stored run gives a
rate: seconds per epoch per (parameter × time step × training window). The median rate over
finished runs of this machine, times the mean cost of the space's trials, times epochs and trials,
divided over the workers, is the estimate: an upper bound as far as pruning and early stopping end
trials sooner.
"""

from __future__ import annotations

import math
import random
import statistics
from dataclasses import dataclass
from typing import Iterable

from model.engine.config import LstmConfig
from model.engine.network import count_parameters
from model.engine.windows import window_counts

__all__ = ["StudyEstimate", "epoch_rates", "estimate_study", "format_minutes"]

SAMPLES = 64  # configs drawn from the space for its mean cost
MIN_RUNS = 1  # stored runs needed before anything is estimated


def _work(config: LstmConfig, windows: int) -> float:
    """Relative cost of one epoch: parameters × time steps × training windows."""
    return float(count_parameters(config)["total"]) * config.time_step * max(1, windows)


def run_windows(record, config: LstmConfig) -> int | None:
    """Training windows of a stored run: its last progress says how many batches an epoch had (the
    forecast's direct network, when that came last, trains on the same windows)."""
    batches = (record.progress or {}).get("batches")
    if not batches:
        return None
    return int(batches) * int(config.batch_size)


@dataclass(frozen=True)
class StudyEstimate:
    seconds: float  # the whole study, on ``workers`` workers, if every trial runs every epoch
    per_trial: float  # seconds of one average trial
    runs: int  # stored runs the rate comes from
    workers: int
    trials: int

    @property
    def text(self) -> str:
        return (
            f"About {format_minutes(self.seconds)} on {self.workers} worker{'s' if self.workers != 1 else ''} "
            f"({self.trials} trials of about {format_minutes(self.per_trial)} each, if none is pruned), "
            f"from {self.runs} run{'s' if self.runs != 1 else ''} stored on this machine."
        )


def format_minutes(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    minutes = seconds / 60
    if minutes < 90:
        return f"{round(minutes)} min"
    return f"{minutes / 60:.1f} h"


def epoch_rates(records: Iterable) -> list[float]:
    """Seconds per epoch per unit of work of each finished run whose duration and windows are stored."""
    rates = []
    for r in records:
        if r.status != "finished" or not r.seconds or not r.epochs_run:
            continue
        try:
            config = LstmConfig.from_dict(r.config)
            windows = run_windows(r, config)
            work = _work(config, windows) if windows else 0.0
        except Exception:  # noqa: BLE001 - an old or odd config: not a rate
            continue
        if work > 0:
            rates.append(r.seconds / r.epochs_run / work)
    return rates


def _draw(param, rng: random.Random):
    if param.kind == "fixed":
        return param.value
    if param.kind == "choice":
        return rng.choice(param.choices)
    lo, hi = float(param.lo), float(param.hi)
    if param.log:
        value = math.exp(rng.uniform(math.log(lo), math.log(hi)))
    else:
        value = rng.uniform(lo, hi)
    return round(value) if param.kind == "int" else value


def estimate_study(
    space, records: Iterable, *, trials: int, workers: int, rows: int, folds: int = 1, seed: int = 0
) -> StudyEstimate | None:
    """The study's time on ``rows`` price rows on this machine (None until a stored run gives a rate);
    a walk-forward objective trains ``folds`` networks per trial (each on fewer rows: an upper bound)."""
    rates = epoch_rates(records)
    if len(rates) < MIN_RUNS:
        return None
    rate = statistics.median(rates)
    rng = random.Random(seed)
    costs = []
    for _ in range(SAMPLES):
        try:
            config = space.config_from_params({p.name: _draw(p, rng) for p in space.searched})
            costs.append(_work(config, window_counts(rows, config)["train"]) * config.epochs)
        except Exception:  # noqa: BLE001 - a draw the space refuses: skipped
            continue
    if not costs:
        return None
    per_trial = rate * statistics.fmean(costs) * max(1, int(folds))
    workers = max(1, int(workers))
    waves = math.ceil(max(1, int(trials)) / workers)
    return StudyEstimate(per_trial * waves, per_trial, len(rates), workers, int(trials))
