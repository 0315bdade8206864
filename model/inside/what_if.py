"""What if: edit the input window of a test day and predict again.

Edits are made on the raw prices (before normalisation), on every feature except volume-like ones
(their name contains "volume"): ``shift_pct`` moves the last day by that percentage; ``trend_pct``
over ``trend_days`` bends the last k days linearly, so the last of them moves by ``trend_pct`` and
the first by ``trend_pct / k``. When the target is among the features it moves too, so with the
change target the predicted move is measured from the EDITED last price.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class WhatIfEdit:
    shift_pct: float = 0.0
    trend_pct: float = 0.0
    trend_days: int = 5


def edit_window(raw: np.ndarray, features: tuple[str, ...], edit: WhatIfEdit) -> np.ndarray:
    """A copy of raw feature rows [t, f] with ``edit`` applied (volume-like columns untouched)."""
    out = np.array(raw, dtype=np.float64, copy=True)
    t = len(out)
    cols = [i for i, name in enumerate(features) if "volume" not in name.lower()]
    factor = np.ones(t)
    k = int(min(max(edit.trend_days, 1), t))
    if edit.trend_pct:
        factor[t - k :] *= 1 + edit.trend_pct / 100 * np.arange(1, k + 1) / k
    if edit.shift_pct:
        factor[-1] *= 1 + edit.shift_pct / 100
    out[:, cols] *= factor[:, None]
    return out


@dataclass(frozen=True)
class WhatIfRecord:
    date: str  # the window's last day
    last_price: float
    edited_last_price: float
    original: np.ndarray  # predicted target values (price units) per output step used
    edited: np.ndarray
    change_target: bool
    window: np.ndarray  # raw target over the window (for the drawer)
    edited_window: np.ndarray

    @property
    def original_move(self) -> float:
        return float(self.original[0] - self.last_price)

    @property
    def edited_move(self) -> float:
        return float(self.edited[0] - self.edited_last_price)

    def sentence(self) -> str:
        a, b = float(self.original[0]), float(self.edited[0])
        text = (f"The prediction goes from {a:,.2f} to {b:,.2f} ({b - a:+,.2f}). Predicted move from the last "
                f"price: {self.original_move:+,.2f} before the edit, {self.edited_move:+,.2f} after.")  # fmt: skip
        shifted = self.edited_last_price - self.last_price
        if abs(shifted) > 1e-9:
            follow = (b - a) / shifted
            text += f" The prediction followed {follow:.0%} of the change to the last price."
        return text


def what_if(run, data, window_index: int, edit: WhatIfEdit) -> WhatIfRecord:
    """Predict test window ``window_index`` of ``data`` as stored and with ``edit`` applied."""
    from model.engine.windows import target_anchors

    config = data.config
    t = config.time_step
    start = int(data.test.start[int(min(max(window_index, 0), len(data.test) - 1))])
    rows = np.arange(start, start + t)
    raw = data.features[rows]
    edited_raw = edit_window(raw, tuple(config.features), edit)
    target = np.array(data.target, dtype=np.float64, copy=True)
    edited_target = target.copy()
    if config.target in config.features:
        edited_target[rows] = edited_raw[:, list(config.features).index(config.target)]
    x = np.stack([run.normaliser.features(raw), run.normaliser.features(edited_raw)]).astype(np.float32)
    pred = run.predict(x)[..., 0]  # [2, t] normalised
    starts = np.array([start])
    original = run.normaliser.inverse_target(pred[:1]) + target_anchors(target, starts, config)
    edited = run.normaliser.inverse_target(pred[1:]) + target_anchors(edited_target, starts, config)
    keep = slice(t - 1, t) if config.target_mode == "next_day" else slice(0, t)
    date = data.dates[start + t - 1]
    return WhatIfRecord(
        date=f"{date:%Y-%m-%d}" if hasattr(date, "strftime") else str(date),
        last_price=float(target[start + t - 1]), edited_last_price=float(edited_target[start + t - 1]),
        original=np.asarray(original[0, keep], float), edited=np.asarray(edited[0, keep], float),
        change_target=config.target_as == "change",
        window=target[rows], edited_window=edited_target[rows],
    )  # fmt: skip
