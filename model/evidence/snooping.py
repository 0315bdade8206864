"""Tests built for choosing the best of many tried configurations (data snooping), from ``arch``:
Hansen's Superior Predictive Ability test (does ANY candidate beat the benchmark, given that all
were tried?) and Hansen, Lunde and Nason's Model Confidence Set (which candidates cannot be told
apart from the best). Both take losses on the same points, in time order, and resample them in
blocks (stationary bootstrap), so autocorrelated losses are allowed for.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

REPS = 1000
SIZE = 0.10  # the MCS keeps the models it cannot reject at this level (a 90% confidence set)


@dataclass(frozen=True)
class SPAResult:
    p_value: float  # Hansen's consistent p-value: small means some candidate beats the benchmark
    p_lower: float
    p_upper: float
    better: list[str]  # candidates that beat the benchmark at 5%, after accounting for all tried
    candidates: int

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class MCSResult:
    included: list[str]  # cannot be told apart from the best (at 1 - size confidence)
    excluded: list[str]
    p_values: dict[str, float]
    size: float

    def to_dict(self) -> dict:
        return asdict(self)


def _block(n: int, block_size: int | None) -> int:
    return block_size or max(1, int(round(n ** (1 / 3))))


def spa_test(
    benchmark_losses,
    candidate_losses: pd.DataFrame,
    *,
    block_size: int | None = None,
    reps: int = REPS,
    seed: int = 0,
) -> SPAResult:
    """SPA of ``candidate_losses`` (columns: candidates, rows: points) against a benchmark's losses."""
    from arch.bootstrap import SPA

    bench = np.asarray(benchmark_losses, dtype=np.float64)
    frame = pd.DataFrame(candidate_losses).astype(float)
    spa = SPA(bench, frame.to_numpy(), block_size=_block(len(bench), block_size), reps=reps, seed=seed)
    spa.compute()
    p = spa.pvalues
    better_idx = spa.better_models(pvalue=0.05, pvalue_type="consistent")
    better = (
        [str(frame.columns[int(i)]) for i in np.atleast_1d(better_idx)]
        if float(p["consistent"]) < 0.05
        else []
    )
    return SPAResult(float(p["consistent"]), float(p["lower"]), float(p["upper"]), better, frame.shape[1])


def model_confidence_set(
    losses: pd.DataFrame,
    *,
    size: float = SIZE,
    block_size: int | None = None,
    reps: int = REPS,
    seed: int = 0,
) -> MCSResult:
    """The Model Confidence Set of the columns of ``losses`` (rows: points in time order)."""
    from arch.bootstrap import MCS

    frame = pd.DataFrame(losses).astype(float)
    names = [str(c) for c in frame.columns]
    mcs = MCS(frame.to_numpy(), size=size, block_size=_block(len(frame), block_size), reps=reps, seed=seed)
    mcs.compute()
    pvalues = {names[int(i)]: float(v) for i, v in mcs.pvalues["Pvalue"].items()}
    included = [names[i] for i in np.asarray(mcs.included, dtype=int)]
    excluded = [names[i] for i in np.asarray(mcs.excluded, dtype=int)]
    return MCSResult(sorted(included, key=names.index), sorted(excluded, key=names.index), pvalues, size)
