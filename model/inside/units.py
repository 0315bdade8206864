"""What each unit does: every LSTM unit's hidden state h over the test period, and selections of it.

``hidden_states`` (TensorFlow) runs the network layer by layer on each test window and keeps h at
the window's last step: the state the prediction is made from, one column per (layer, unit), one
row per test day. The rest is pure numpy:

- ``unit_selection``: LSTMVis's select-by-activity. Given a stretch of days and a threshold, the
  units whose h stays at or above the threshold over the whole stretch; the days where all of them
  are on are the "matches" (the same pattern found elsewhere in the test period).
- ``unit_signals``: a unit's correlation with simple price signals (the last move, the 5-day trend,
  the 10-day volatility), and the sentence that names the strongest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class HiddenStates:
    h: np.ndarray  # [days, layers * units]
    labels: tuple[str, ...]  # "L1 u3", one per column


def hidden_states(model, config, x: np.ndarray, chunk: int = 4096) -> HiddenStates:
    """h at the last step of every LSTM layer for normalised windows ``x`` [n, t, f]."""
    from model.engine.network import INPUT_PROJECTION, lstm_layers

    project = model.get_layer(INPUT_PROJECTION)
    layers = lstm_layers(model, config)
    parts = []
    for i in range(0, len(x), chunk):
        seq = project(np.asarray(x[i : i + chunk], dtype=np.float32))
        states = []
        for layer in layers:
            seq, h, _c = layer(seq, training=False)  # dropout between layers is off at inference
            states.append(np.asarray(h))
        parts.append(np.concatenate(states, axis=1))
    h = np.concatenate(parts) if parts else np.empty((0, config.layer_num * config.rnn_unit), np.float32)
    labels = tuple(f"L{k + 1} u{u + 1}" for k in range(config.layer_num) for u in range(config.rnn_unit))
    return HiddenStates(h.astype(np.float32), labels)


@dataclass(frozen=True)
class UnitSelection:
    units: tuple[int, ...]  # columns on at or above the threshold over the whole stretch
    active: np.ndarray  # [days] bool: every selected unit is on (no unit selected: all False)
    matches: tuple[tuple[int, int], ...]  # runs of active days (first, last), inclusive
    sentence: str


def _runs(mask: np.ndarray) -> tuple[tuple[int, int], ...]:
    out, start = [], None
    for i, on in enumerate(mask):
        if on and start is None:
            start = i
        elif not on and start is not None:
            out.append((start, i - 1))
            start = None
    if start is not None:
        out.append((start, len(mask) - 1))
    return tuple(out)


def unit_selection(
    h: np.ndarray,
    first: int,
    last: int,
    threshold: float,
    labels: tuple[str, ...] | None = None,
    units: tuple[int, ...] | None = None,
) -> UnitSelection:
    """LSTMVis-style: the units on (h >= threshold) over days first..last, and where they are all on.

    ``units`` given: use those columns instead of selecting by the stretch."""
    h = np.asarray(h)
    first, last = sorted((int(first), int(last)))
    first, last = max(first, 0), min(last, len(h) - 1)
    if units is None:
        on = (h[first : last + 1] >= threshold).all(axis=0)
        units = tuple(int(u) for u in np.flatnonzero(on))
    if not units:
        return UnitSelection(
            (), np.zeros(len(h), bool), (), f"No unit stays at or above {threshold:g} over the chosen days."
        )
    active = np.asarray((h[:, list(units)] >= threshold).all(axis=1))
    matches = _runs(active)
    names = ", ".join(labels[u] if labels else str(u) for u in units[:6]) + (" …" if len(units) > 6 else "")
    sentence = (f"{len(units)} unit{'s' if len(units) != 1 else ''} ({names}) {'are' if len(units) != 1 else 'is'} "
                f"on over the chosen days; together they are on for {int(active.sum())} of {len(h)} test days, "
                f"in {len(matches)} stretch{'es' if len(matches) != 1 else ''} (highlighted on the price).")  # fmt: skip
    return UnitSelection(units, active, matches, sentence)


SIGNAL_WORDS = {
    "last move": "the last day's move",
    "5-day trend": "the 5-day trend",
    "volatility": "the 10-day volatility",
}


def price_signals(close: np.ndarray, rows: np.ndarray) -> dict[str, np.ndarray]:
    """Simple signals known at each window's last row: last move, 5-day trend, 10-day volatility (%)."""
    close = np.asarray(close, dtype=np.float64)
    rows = np.asarray(rows)
    ret = np.zeros_like(close)
    ret[1:] = np.diff(close) / np.where(close[:-1] == 0, np.nan, close[:-1])
    last_move = ret[rows] * 100
    back = np.clip(rows - 5, 0, None)
    trend = (close[rows] / np.where(close[back] == 0, np.nan, close[back]) - 1) * 100
    vol = np.array([ret[max(1, r - 9) : r + 1].std() * 100 for r in rows])
    return {"last move": last_move, "5-day trend": trend, "volatility": vol}


@dataclass(frozen=True)
class UnitSignals:
    correlations: dict[str, float]
    strongest: str | None
    sentence: str


def unit_signals(h_unit: np.ndarray, signals: dict[str, np.ndarray], label: str = "This unit") -> UnitSignals:
    """Correlation of one unit's h with each signal, and a sentence naming the strongest."""
    corr = {}
    for name, s in signals.items():
        a, b = np.asarray(h_unit, float), np.asarray(s, float)
        ok = np.isfinite(a) & np.isfinite(b)
        corr[name] = (
            float(np.corrcoef(a[ok], b[ok])[0, 1])
            if ok.sum() > 2 and a[ok].std() > 0 and b[ok].std() > 0
            else float("nan")
        )
    finite = {k: v for k, v in corr.items() if np.isfinite(v)}
    if not finite:
        return UnitSignals(corr, None, f"{label} does not vary over the test period.")
    best = max(finite, key=lambda k: abs(finite[k]))
    r = finite[best]
    strength = "strongly" if abs(r) >= 0.6 else "moderately" if abs(r) >= 0.3 else "weakly"
    direction = "rises with" if r > 0 else "falls as"
    what = SIGNAL_WORDS.get(best, best)
    verb = f"{direction} {what}" if r > 0 else f"{direction} {what} rises"
    sentence = f"{label} {strength} {verb} (correlation {r:+.2f})."
    if abs(r) < 0.3:
        sentence += " None of the simple signals explains it well."
    return UnitSignals(corr, best, sentence)
