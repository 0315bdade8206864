"""Which days and features it looks at: integrated gradients of the prediction w.r.t. the input window.

Integrated gradients (Sundararajan et al., 2017) attribute f(x) - f(baseline) to each input value:
``attr = (x - baseline) * mean over alpha of df/dx at baseline + alpha (x - baseline)``.

- f is the model's prediction for the day after the window (its last output step), converted to
  price units (the normaliser is affine, so attributions scale by the target's std and their sum
  is the change of the predicted price).
- The baseline is the all-zeros normalised window: every feature at its training-period mean, i.e.
  "an average day, every day". Attributions say how each input moved the prediction away from what
  the model predicts for that average window.
- The path integral is a midpoint Riemann sum over ``steps`` points (32 by default, 64 at most):
  the sum of attributions then equals f(x) - f(baseline) within about 1 % for these smooth
  networks (completeness; ``completeness_gap`` reports it per window).

Gradients go through the model as it runs (native kernel, BlockLSTM or Keras' loop): each has a
gradient for its inputs. TensorFlow is imported only by ``integrated_gradients``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DEFAULT_STEPS = 32
MAX_STEPS = 64
# Interpolated windows per gradient call: large batches keep the fused kernels busy.
CHUNK = 8192


@dataclass(frozen=True)
class Attributions:
    """Integrated gradients of many windows, in price units."""

    attributions: np.ndarray  # [n, time_step, input_size]
    prediction: np.ndarray  # [n] f(x)
    baseline_prediction: float  # f(all-zeros window)
    steps: int

    @property
    def completeness_gap(self) -> np.ndarray:
        """|sum(attr) - (f(x) - f(baseline))| / |f(x) - f(baseline)| per window."""
        delta = self.prediction - self.baseline_prediction
        total = self.attributions.reshape(len(self.prediction), -1).sum(axis=1)
        return np.abs(total - delta) / np.maximum(np.abs(delta), 1e-12)


def gradient_function(model):
    """The compiled gradient of ``model``'s prediction with respect to its input window (built once
    per model; the worker memoises it per run)."""
    import tensorflow as tf

    @tf.function(reduce_retracing=True)
    def gradient(z):
        with tf.GradientTape() as tape:
            tape.watch(z)
            out = model(z, training=False)[:, -1, 0]
        return tape.gradient(out, z)

    return gradient


def last_step_predictions(model, x: np.ndarray, chunk: int = CHUNK) -> np.ndarray:
    """The model's normalised last-step outputs for windows ``x`` [n, t, f]."""
    out = [np.asarray(model(x[i : i + chunk], training=False))[:, -1, 0] for i in range(0, len(x), chunk)]
    return np.concatenate(out) if out else np.empty(0, dtype=np.float32)


def integrated_gradients(
    model, x: np.ndarray, *, steps: int = DEFAULT_STEPS, scale: float = 1.0, gradient=None
) -> Attributions:
    """Integrated gradients of ``model``'s last-step output for normalised windows ``x`` [n, t, f],
    baseline all zeros, multiplied by ``scale`` (the target's std: price units)."""
    import tensorflow as tf

    steps = int(min(max(steps, 1), MAX_STEPS))
    x = np.ascontiguousarray(x, dtype=np.float32)
    n = len(x)
    gradient = gradient or gradient_function(model)
    alphas = ((np.arange(steps) + 0.5) / steps).astype(np.float32)
    mean_grads = np.empty_like(x)
    per_call = max(1, CHUNK // steps)
    for i in range(0, n, per_call):
        xb = x[i : i + per_call]
        path = (alphas[:, None, None, None] * xb[None]).reshape(-1, *x.shape[1:])
        g = gradient(tf.constant(path)).numpy().reshape(steps, len(xb), *x.shape[1:])
        mean_grads[i : i + per_call] = g.mean(axis=0)
    prediction = last_step_predictions(model, x).astype(np.float64)
    base = float(last_step_predictions(model, np.zeros((1, *x.shape[1:]), np.float32))[0])
    return Attributions(
        attributions=(x * mean_grads).astype(np.float64) * scale,
        prediction=prediction * scale,
        baseline_prediction=base * scale,
        steps=steps,
    )


@dataclass(frozen=True)
class AttributionView:
    """What the page shows for a chosen test day and for the whole test period."""

    day: np.ndarray  # [time_step, input_size] attributions of the chosen day (price units)
    average: np.ndarray  # [time_step, input_size] mean |attribution| over the test period
    day_last_share: float  # share of the chosen day's |attribution| on the window's last day
    average_last_share: float
    day_prediction: float
    baseline_prediction: float
    features: tuple[str, ...]
    sentence: str


def last_day_share(attr: np.ndarray) -> float:
    """Share of the total |attribution| that sits on the window's last time step ([..., t, f])."""
    a = np.abs(np.asarray(attr, dtype=np.float64))
    total = a.sum()
    return float(a[..., -1, :].sum() / total) if total > 0 else float("nan")


def attribution_view(record: Attributions, day_index: int, features: tuple[str, ...]) -> AttributionView:
    """The chosen day's attributions, the test period's mean |attribution|, and the sentence."""
    n, t, _ = record.attributions.shape
    day_index = int(min(max(day_index, 0), n - 1))
    day = record.attributions[day_index]
    average = np.abs(record.attributions).mean(axis=0)
    share_day, share_all = last_day_share(day), last_day_share(average)
    top = np.unravel_index(int(np.argmax(average)), average.shape)
    days_back = t - 1 - int(top[0])
    when = (
        "the last day"
        if days_back == 0
        else f"{days_back} day{'s' if days_back != 1 else ''} before the last"
    )
    sentence = (
        f"Over the test period, {share_all:.0%} of what moves the prediction comes from the last day of the "
        f"window and {1 - share_all:.0%} from the {t - 1} days before it. "
        f"The strongest input is '{features[top[1]]}' on {when}."
    )
    if share_all >= 0.6:
        sentence += " The model looks mostly at the last day: that is what persistence does."
    return AttributionView(day, average, share_day, share_all, float(record.prediction[day_index]),
                           record.baseline_prediction, tuple(features), sentence)  # fmt: skip
