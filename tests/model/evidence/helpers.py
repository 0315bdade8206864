"""Price frames for the evidence tests: random walks (nothing to learn) and SYNTH (structure)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from model.data.sample import synthetic_prices


def random_walk(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, rows)))
    return pd.DataFrame({"close": close}, index=pd.bdate_range("2001-01-01", periods=rows))


def synth(seed: int, rows: int = 3000) -> pd.DataFrame:
    frame = synthetic_prices(rows, seed=seed)
    return frame.set_index("date")[["open", "high", "low", "close", "volume"]]


def row_frame(rows: int, wiggle: float = 0.3) -> pd.DataFrame:
    """Values close to their row number (plus a wiggle, so moves are not constant)."""
    values = np.arange(rows, dtype=float) + 1.0 + wiggle * np.sin(np.arange(rows))
    return pd.DataFrame(
        {"close": values, "other": values**1.5}, index=pd.bdate_range("2001-01-01", periods=rows)
    )
