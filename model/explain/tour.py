"""The Explainer's tour of ONE prediction: every number the trained network computes for one test day.

``tour_record(run, data, evaluation, day)`` takes a stored run's trained model, its own prices
(prepared with its own normalisation) and its stored predictions, finds the window that predicts
``day`` (the day whose price is predicted, as in the predictions table), and recomputes the
network on it in NumPy (float64) from the model's stored weights: the input projection, every
layer's cell at every step (x, h_prev, c_prev, the gates i, f, g, o, c and h), the output
projection and the prediction in price units. The same window is also run through the model's
own path (the native kernel, BlockLSTM or Keras' loop, whichever its layers use) and the
record says how far the two differ, so a page can state that its numbers are the model's.

``connectivity`` is |d prediction / d x_(t-k)| against the lag k (Distill's "Visualizing
memorization in RNNs"), by backpropagation through time in NumPy; ``effective_memory`` is the
number of most recent days holding 90% of it.

Everything here is NumPy on the weights; TensorFlow is only touched (through the model's own
layers) by ``model_layer_outputs``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from model.errors import DataError

GATES = ("i", "f", "g", "o")
STEP_FIELDS = ("x", "h_prev", "c_prev", "i", "f", "g", "o", "c", "h")
MEMORY_MASS = 0.9  # the share of the gradient mass "effective memory" holds
MEMORY_WINDOWS = 400  # test windows the average connectivity and forget gates use at most (evenly spaced)


def _sigmoid(v: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-v))


@dataclass(frozen=True, eq=False)
class TourWeights:
    """A network's weights in the tutorial's terms (float64): w_in, one cell per depth, w_out.

    ``cells[k]`` is (kernel [in, 4u], recurrent_kernel [u, 4u], bias [4u]) of the layer applied at
    depth k (the same arrays at every depth when the cell is shared), Keras' gate order i, f, g, o.
    """

    w_in: np.ndarray  # [input_size, u]
    b_in: np.ndarray  # [u]
    cells: list[tuple[np.ndarray, np.ndarray, np.ndarray]]
    w_out: np.ndarray  # [u, 1]
    b_out: np.ndarray  # [1]
    share_cell: bool = False

    @property
    def units(self) -> int:
        return int(self.b_in.shape[0])


def _array(v) -> np.ndarray:
    return np.asarray(v.numpy() if hasattr(v, "numpy") else v, dtype=np.float64)


def weights_of(model, config) -> TourWeights:
    """The weights of a ``build_network(config)`` model (trained or not), read from its layers."""
    from model.engine.network import INPUT_PROJECTION, OUTPUT_PROJECTION, lstm_layers

    dense_in, dense_out = model.get_layer(INPUT_PROJECTION), model.get_layer(OUTPUT_PROJECTION)
    cells = []
    for layer in lstm_layers(model, config):
        cell = layer.cell
        cells.append((_array(cell.kernel), _array(cell.recurrent_kernel), _array(cell.bias)))
    return TourWeights(
        w_in=_array(dense_in.kernel),
        b_in=_array(dense_in.bias),
        cells=cells,
        w_out=_array(dense_out.kernel),
        b_out=_array(dense_out.bias),
        share_cell=bool(config.share_cell),
    )


# -- the forward pass, every intermediate kept -----------------------------------------------


def forward(weights: TourWeights, x: np.ndarray) -> dict[str, Any]:
    """The network on windows ``x`` [n, T, input_size]: every intermediate, float64.

    Returns ``input_rnn`` [n, T, u] (after w_in) and ``layers``: per depth a dict of
    ``STEP_FIELDS`` -> [n, T, width] (``x`` is that layer's input), and ``output`` [n, T] (the
    normalised network output at every step).
    """
    x = np.asarray(x, dtype=np.float64)
    seq = x @ weights.w_in + weights.b_in
    out: dict[str, Any] = {"input_rnn": seq, "layers": []}
    n, steps = seq.shape[0], seq.shape[1]
    for kernel, recurrent, bias in weights.cells:
        u = recurrent.shape[0]
        xw = seq @ kernel + bias  # [n, T, 4u]: the input's share of every step's z at once
        rec = {name: np.empty((n, steps, u)) for name in STEP_FIELDS if name != "x"}
        h, c = np.zeros((n, u)), np.zeros((n, u))
        for t in range(steps):
            z = xw[:, t] + h @ recurrent
            i, f = _sigmoid(z[:, :u]), _sigmoid(z[:, u : 2 * u])
            g, o = np.tanh(z[:, 2 * u : 3 * u]), _sigmoid(z[:, 3 * u :])
            rec["h_prev"][:, t], rec["c_prev"][:, t] = h, c
            c = f * c + i * g
            h = o * np.tanh(c)
            for name, value in (("i", i), ("f", f), ("g", g), ("o", o), ("c", c), ("h", h)):
                rec[name][:, t] = value
        rec["x"] = seq
        out["layers"].append(rec)
        seq = rec["h"]
    out["output"] = (seq @ weights.w_out + weights.b_out)[..., 0]
    return out


def input_gradient(weights: TourWeights, x: np.ndarray, output_index: int) -> np.ndarray:
    """d output[:, output_index] / d x for windows ``x`` [n, T, d]: [n, T, d] (normalised units).

    Backpropagation through time by hand on ``forward``'s intermediates (one backward pass
    per batch, whatever the window length).
    """
    fwd = forward(weights, x)
    n, steps = x.shape[0], x.shape[1]
    upstream = np.zeros((n, steps, weights.units))
    upstream[:, output_index] = weights.w_out[:, 0]
    for depth in range(len(weights.cells) - 1, -1, -1):
        kernel, recurrent, _bias = weights.cells[depth]
        rec = fwd["layers"][depth]
        u = recurrent.shape[0]
        d_input = np.zeros((n, steps, kernel.shape[0]))
        dh_next, dc_next = np.zeros((n, u)), np.zeros((n, u))
        for t in range(steps - 1, -1, -1):
            i, f, g, o, c = (rec[k][:, t] for k in ("i", "f", "g", "o", "c"))
            dh = upstream[:, t] + dh_next
            tc = np.tanh(c)
            dc = dc_next + dh * o * (1.0 - tc**2)
            dz = np.concatenate(
                [dc * g * i * (1 - i), dc * rec["c_prev"][:, t] * f * (1 - f),
                 dc * i * (1 - g**2), dh * tc * o * (1 - o)], axis=1,
            )  # fmt: skip
            d_input[:, t] = dz @ kernel.T
            dh_next, dc_next = dz @ recurrent.T, dc * f
        upstream = d_input
    return upstream @ weights.w_in.T


def connectivity(weights: TourWeights, x: np.ndarray, output_index: int, scale: float = 1.0) -> np.ndarray:
    """|d prediction / d x_(t-k)| for k = 0 .. T-1 (k = 0: the window's last day): [n, T].

    The size (L2 norm over the input features) of the prediction's gradient with respect to the
    day k days before the window's end, times ``scale`` (the target's std: price units per
    normalised input unit).
    """
    grad = input_gradient(weights, np.asarray(x, dtype=np.float64), output_index)
    return (np.linalg.norm(grad, axis=2) * abs(scale))[:, ::-1]


def effective_memory(profile: np.ndarray, mass: float = MEMORY_MASS) -> int:
    """How many of the most recent days hold ``mass`` of the connectivity ``profile`` (by lag k)."""
    profile = np.abs(np.asarray(profile, dtype=np.float64))
    total = profile.sum()
    if not np.isfinite(total) or total <= 0:
        return 0
    share = np.cumsum(profile) / total
    return int(np.searchsorted(share, mass - 1e-12) + 1)


def memory_sentence(days: int, time_step: int) -> str:
    if days <= 0:
        return "Its prediction does not depend on the inputs at all (every gradient is zero)."
    return (
        f"It uses the last {days} of its {time_step} days: they hold {MEMORY_MASS:.0%} of how much the "
        "prediction moves when an input day moves."
    )


# -- the tour record -----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class TourLayer:
    """One depth of the stack over the window: ``STEP_FIELDS`` -> [T, width] (float64)."""

    values: dict[str, np.ndarray]
    kernel: np.ndarray  # [in, 4u]
    recurrent_kernel: np.ndarray  # [u, 4u]
    bias: np.ndarray  # [4u]
    model_max_abs_diff: float  # largest |h here - the model's own layer output| over the window

    def step(self, t: int) -> dict[str, list[float]]:
        return {name: [float(v) for v in self.values[name][t]] for name in STEP_FIELDS}


@dataclass(frozen=True, eq=False)
class TourRecord:
    """Every number of one prediction, for the Explainer page and ``python -m model.explain tour``."""

    run_id: int | None
    day: str  # the day whose price is predicted
    time_step: int
    rnn_unit: int
    layer_num: int
    share_cell: bool
    features: tuple[str, ...]
    target: str
    target_mode: str
    target_as: str
    kernel: str  # the path the model's own pass ran ("native", "block" or "loop")
    window_dates: list[str]  # the T input days
    window_raw: np.ndarray  # [T, input_size] the input days' values as loaded
    x: np.ndarray  # [T, input_size] normalised inputs
    feature_mean: np.ndarray
    feature_std: np.ndarray
    w_in: np.ndarray
    b_in: np.ndarray
    input_rnn: np.ndarray  # [T, u]
    layers: list[TourLayer]
    w_out: np.ndarray  # [u]
    b_out: float
    output_index: int  # the output step that predicts ``day``
    output: float  # the network's normalised output there
    target_mean: float
    target_std: float
    anchor: float  # added after de-normalising (the last known value with target_as="change", else 0)
    prediction: float  # price units
    stored_prediction: float  # the run's stored prediction for the day
    persistence: float  # the last known value (persistence's forecast)
    actual: float
    last_known_day: str
    model_max_abs_diff: float  # largest gap between these numbers and the model's own layer outputs
    connectivity: np.ndarray  # [T] by lag k for this day
    connectivity_mean: np.ndarray  # [T] averaged over the test period
    forget_mean: np.ndarray  # [layer_num, u] each unit's mean forget gate over the test period
    memory_day: int
    memory_mean: int
    test_days: list[str] = field(default_factory=list)  # every test day (for the day picker)
    test_actual: np.ndarray = field(default_factory=lambda: np.zeros(0))
    test_predicted: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def memory_sentence(self) -> str:
        return memory_sentence(self.memory_mean, self.time_step)

    def as_json(self) -> dict[str, Any]:
        """The command line's JSON: day, prediction and every step of every layer (lists of floats)."""
        t = self.time_step
        return {
            "run_id": self.run_id,
            "day": self.day,
            "prediction": float(self.prediction),
            "stored_prediction": float(self.stored_prediction),
            "persistence": float(self.persistence),
            "actual": float(self.actual),
            "window": self.window_dates,
            "input_projection": [[float(v) for v in row] for row in self.input_rnn],
            "output_projection": {
                "w_out": [float(v) for v in self.w_out],
                "b_out": float(self.b_out),
                "output_index": self.output_index,
                "output": float(self.output),
            },  # fmt: skip
            "layers": [{"steps": [layer.step(s) for s in range(t)]} for layer in self.layers],
            "connectivity": [float(v) for v in self.connectivity],
            "connectivity_mean": [float(v) for v in self.connectivity_mean],
            "effective_memory": self.memory_mean,
            "kernel": self.kernel,
            "model_max_abs_diff": self.model_max_abs_diff,
        }


def _path_of(model) -> str:
    from model.engine.fused_lstm import FusedLSTM

    for layer in model.layers:
        if isinstance(layer, FusedLSTM):
            return layer.fused_kernel() if layer.fused_applies() else "loop"
    return "loop"


def model_layer_outputs(model, config, x: np.ndarray) -> list[np.ndarray]:
    """Each LSTM depth's own output sequence (the model's path) for windows ``x``: [n, T, u] each."""
    import tensorflow as tf

    from model.explain.forward import forward_functions

    result = forward_functions(model, config).steps(tf.convert_to_tensor(np.asarray(x, dtype=np.float32)))
    return [np.asarray(t.numpy(), dtype=np.float64) for t in result["layer_outputs"]]


@dataclass(frozen=True, eq=False)
class MemoryProfile:
    """The test period's average connectivity and mean forget gates (per run, not per day)."""

    connectivity_mean: np.ndarray  # [T]
    forget_mean: np.ndarray  # [layer_num, u]
    windows: int


def memory_profile(weights: TourWeights, x: np.ndarray, output_index: int, scale: float) -> MemoryProfile:
    """Average connectivity and each unit's mean forget gate over the windows ``x`` (at most
    ``MEMORY_WINDOWS`` of them, evenly spaced)."""
    x = np.asarray(x, dtype=np.float64)
    if len(x) > MEMORY_WINDOWS:
        x = x[np.linspace(0, len(x) - 1, MEMORY_WINDOWS).round().astype(int)]
    fwd = forward(weights, x)
    forget = np.stack([layer["f"].mean(axis=(0, 1)) for layer in fwd["layers"]])
    return MemoryProfile(connectivity(weights, x, output_index, scale).mean(axis=0), forget, len(x))


def output_index_for(config, step: int) -> int:
    """Which output step of the window predicts the row: the last for next_day, step - 1 for next_window."""
    return config.time_step - 1 if config.target_mode == "next_day" else int(step) - 1


def _day_row(test, day: str):
    dates = test["date"].dt.strftime("%Y-%m-%d")
    rows = test[dates == day]
    if rows.empty:
        first, last = (dates.iloc[0], dates.iloc[-1]) if len(dates) else ("-", "-")
        raise DataError(
            f"{day} is not a test day of this run: pick a day from {first} to {last} "
            "(the day whose price is predicted)."
        )
    # Next window: several windows predict the day; the one that has seen the most of it (its last step).
    return rows.sort_values("step").iloc[-1]


def test_days(evaluation) -> list[str]:
    test = evaluation.split("test")
    return sorted(set(test["date"].dt.strftime("%Y-%m-%d")))


def tour_record(run, data, evaluation, day: str | None = None, *, run_id: int | None = None,
                profile: MemoryProfile | None = None) -> TourRecord:  # fmt: skip
    """The tour of the prediction for ``day`` (default: the last test day) of a trained run.

    ``run``: the TrainedRun; ``data``: its prices prepared with its config (``prepare_data``);
    ``evaluation``: its stored predictions. ``profile``: the run's ``memory_profile`` when
    already computed (it does not depend on the day).
    """
    import pandas as pd

    from model.engine.windows import target_anchors

    config = run.config
    test = evaluation.split("test")
    if test.empty:
        raise DataError("This run has no test predictions to explain.")
    days = sorted(set(test["date"].dt.strftime("%Y-%m-%d")))
    day = days[-1] if day is None else str(day).strip()
    row = _day_row(test, day)
    t = config.time_step
    window = int(row["window"])
    start = int(data.test.start[window])
    x = data.test.x[window : window + 1]
    out_index = output_index_for(config, int(row["step"]))
    weights = weights_of(run.model, config)
    fwd = forward(weights, x)
    own = model_layer_outputs(run.model, config, x)
    layers = []
    for depth, rec in enumerate(fwd["layers"]):
        kernel, recurrent, bias = weights.cells[depth]
        gap = float(np.max(np.abs(rec["h"][0] - own[depth][0]), initial=0.0))
        layers.append(TourLayer({k: v[0] for k, v in rec.items()}, kernel, recurrent, bias, gap))
    output = float(fwd["output"][0, out_index])
    anchor = float(target_anchors(data.target, np.array([start]), config)[0, out_index])
    prediction = float(data.normaliser.inverse_target(np.array([output]))[0] + anchor)
    scale = data.normaliser.target_std
    if profile is None:
        profile = memory_profile(weights, data.test.x, t - 1, scale)
    day_profile = connectivity(weights, x, out_index, scale)[0]
    norm = data.normaliser
    test_full = test.sort_values(["date", "step"]).groupby("date", as_index=False).last()
    return TourRecord(
        run_id=run_id, day=day, time_step=t, rnn_unit=config.rnn_unit, layer_num=config.layer_num,
        share_cell=bool(config.share_cell), features=tuple(config.features), target=config.target,
        target_mode=config.target_mode, target_as=config.target_as, kernel=_path_of(run.model),
        window_dates=[f"{d:%Y-%m-%d}" for d in data.dates[start : start + t]],
        window_raw=np.asarray(data.features[start : start + t], dtype=np.float64),
        x=np.asarray(x[0], dtype=np.float64),
        feature_mean=np.asarray(norm.feature_mean, dtype=np.float64),
        feature_std=np.asarray(norm.feature_std, dtype=np.float64),
        w_in=weights.w_in, b_in=weights.b_in, input_rnn=fwd["input_rnn"][0], layers=layers,
        w_out=weights.w_out[:, 0], b_out=float(weights.b_out[0]), output_index=out_index, output=output,
        target_mean=float(norm.target_mean), target_std=float(norm.target_std), anchor=anchor,
        prediction=prediction, stored_prediction=float(row["predicted"]), persistence=float(row["baseline"]),
        actual=float(row["actual"]), last_known_day=f"{pd.Timestamp(row['origin']):%Y-%m-%d}",
        model_max_abs_diff=max(layer.model_max_abs_diff for layer in layers),
        connectivity=day_profile, connectivity_mean=profile.connectivity_mean, forget_mean=profile.forget_mean,
        memory_day=effective_memory(day_profile), memory_mean=effective_memory(profile.connectivity_mean),
        test_days=days, test_actual=test_full["actual"].to_numpy(dtype=np.float64),
        test_predicted=test_full["predicted"].to_numpy(dtype=np.float64),
    )  # fmt: skip


# -- training replay ------------------------------------------------------------------------------


def snapshot_weights(model, config, snapshot: list[np.ndarray]) -> TourWeights:
    """``TourWeights`` from one per-epoch snapshot (``model.get_weights()`` order) of ``model``."""
    from model.engine.network import INPUT_PROJECTION, OUTPUT_PROJECTION, lstm_layers

    position = {id(v): k for k, v in enumerate(model.weights)}

    def of(variable) -> np.ndarray:
        return np.asarray(snapshot[position[id(variable)]], dtype=np.float64)

    dense_in, dense_out = model.get_layer(INPUT_PROJECTION), model.get_layer(OUTPUT_PROJECTION)
    cells = [(of(layer.cell.kernel), of(layer.cell.recurrent_kernel), of(layer.cell.bias))
             for layer in lstm_layers(model, config)]  # fmt: skip
    return TourWeights(of(dense_in.kernel), of(dense_in.bias), cells, of(dense_out.kernel), of(dense_out.bias),
                       bool(config.share_cell))  # fmt: skip


@dataclass(frozen=True, eq=False)
class ReplayRecord:
    """The same day's numbers after each epoch of training (from the run's weight snapshots)."""

    day: str
    predictions: np.ndarray  # [epochs] price units
    layers: list[dict[str, np.ndarray]]  # per depth: STEP_FIELDS -> [epochs, T, width]
    best_epoch: int | None  # 1-based: the epoch whose weights the run kept
    actual: float
    persistence: float

    @property
    def epochs(self) -> int:
        return int(self.predictions.shape[0])


def replay_record(run, data, record: TourRecord) -> ReplayRecord | None:
    """The tour's day replayed over the run's per-epoch weight snapshots (None without snapshots)."""
    if not run.snapshots:
        return None
    config = run.config
    window = np.asarray(record.x, dtype=np.float64)[None]
    predictions, layers = [], [dict[str, list]() for _ in range(config.layer_num)]
    for snapshot in run.snapshots:
        fwd = forward(snapshot_weights(run.model, config, snapshot), window)
        out = float(fwd["output"][0, record.output_index])
        predictions.append(float(data.normaliser.inverse_target(np.array([out]))[0] + record.anchor))
        for depth, rec in enumerate(fwd["layers"]):
            for name in STEP_FIELDS:
                layers[depth].setdefault(name, []).append(rec[name][0])
    return ReplayRecord(
        day=record.day, predictions=np.asarray(predictions),
        layers=[{k: np.stack(v) for k, v in layer.items()} for layer in layers],
        best_epoch=run.best_epoch, actual=record.actual, persistence=record.persistence,
    )  # fmt: skip
