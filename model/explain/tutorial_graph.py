"""Proof that our Keras network IS the tutorial's network: run the tutorial's original TF1 graph
with the same weights on the same windows and compare predictions and step shapes.

The TF1 graph (``tf.compat.v1`` placeholders, ``BasicLSTMCell``, ``MultiRNNCell``,
``dynamic_rnn``, the tutorial's reshape/matmul lines) cannot run next to Keras 3 — TF1's cells
exist only with the tf-keras package and ``TF_USE_LEGACY_KERAS=1``, which must be set before
TensorFlow is imported — so it runs in a subprocess (``model.explain.tutorial_graph_worker``). The
text it executes is ``tutorial_source(config)``, the same text the walkthrough shows, with the step
line map derived from its tags (``tutorial_step_lines``).

Weight conversion (``keras_to_basic_lstm``): Keras keeps ``kernel`` [in, 4u] and
``recurrent_kernel`` [u, 4u] with gate order i, f, c, o; BasicLSTMCell has one kernel
[in + u, 4u] (applied to [x_t, h_(t-1)]) with gate order i, j, f, o (j = the candidate, Keras'
c) and adds ``forget_bias`` = 1.0 to the forget gate at run time. We keep the tutorial's
default forget_bias and subtract it from the bias we feed the cell.

Nothing here raises for a failing subprocess: the result says what went wrong in ``error``.
Importing this module does not import TensorFlow.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from model.engine.config import LstmConfig
from model.explain.shapes import fmt_shape
from model.explain.sources import TUTORIAL_STEP_LOCALS, tutorial_source, tutorial_step_lines

log = logging.getLogger(__name__)

__all__ = [
    "EQUIVALENCE_ATOL",
    "EquivalenceResult",
    "TutorialCase",
    "TutorialRun",
    "basic_lstm_to_keras",
    "check_equivalence",
    "check_equivalence_many",
    "keras_to_basic_lstm",
    "run_tutorial_graph",
    "tutorial_case",
]

EQUIVALENCE_ATOL = 1e-5
FORGET_BIAS = 1.0  # BasicLSTMCell's default, which the tutorial uses
WORKER_MODULE = "model.explain.tutorial_graph_worker"
_REPO_ROOT = Path(__file__).resolve().parents[2]


# --------------------------------------------------------------------------------------------
# Weight conversion.
# --------------------------------------------------------------------------------------------


def keras_to_basic_lstm(
    kernel: np.ndarray, recurrent_kernel: np.ndarray, bias: np.ndarray, forget_bias: float = FORGET_BIAS
) -> tuple[np.ndarray, np.ndarray]:
    """Keras LSTM weights -> BasicLSTMCell's (kernel [in + u, 4u], bias [4u])."""
    kernel = np.asarray(kernel, dtype=np.float32)
    recurrent_kernel = np.asarray(recurrent_kernel, dtype=np.float32)
    bias = np.asarray(bias, dtype=np.float32)
    w = np.concatenate([kernel, recurrent_kernel], axis=0)  # [in + u, 4u], rows for [x_t, h_(t-1)]
    wi, wf, wc, wo = np.split(w, 4, axis=1)  # Keras: i, f, c, o
    bi, bf, bc, bo = np.split(bias, 4)
    basic_kernel = np.concatenate([wi, wc, wf, wo], axis=1)  # BasicLSTMCell: i, j, f, o
    basic_bias = np.concatenate([bi, bc, bf - np.float32(forget_bias), bo])
    return basic_kernel.astype(np.float32), basic_bias.astype(np.float32)


def basic_lstm_to_keras(
    basic_kernel: np.ndarray, basic_bias: np.ndarray, input_dim: int, forget_bias: float = FORGET_BIAS
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Inverse of ``keras_to_basic_lstm``: (kernel [in, 4u], recurrent_kernel [u, 4u], bias [4u])."""
    wi, wj, wf, wo = np.split(np.asarray(basic_kernel, dtype=np.float32), 4, axis=1)
    bi, bj, bf, bo = np.split(np.asarray(basic_bias, dtype=np.float32), 4)
    w = np.concatenate([wi, wf, wj, wo], axis=1)
    bias = np.concatenate([bi, bf + np.float32(forget_bias), bj, bo])
    return w[:input_dim], w[input_dim:], bias


# --------------------------------------------------------------------------------------------
# Cases and results.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class TutorialCase:
    """Everything the TF1 worker needs for one run (numpy only)."""

    source: str  # tutorial_source(config)
    x: np.ndarray  # [batch, time_step, input_size] float32
    w_in: np.ndarray  # [input_size, rnn_unit]
    b_in: np.ndarray  # [rnn_unit]
    w_out: np.ndarray  # [rnn_unit, 1]
    b_out: np.ndarray  # [1]
    cells: list[tuple[np.ndarray, np.ndarray]]  # BasicLSTMCell (kernel, bias) for cell_0, cell_1, ...
    step_lines: dict[int, tuple[int, ...]] = field(default_factory=dict)  # tutorial_step_lines(config)


@dataclass(frozen=True, eq=False)
class TutorialRun:
    """What the TF1 graph produced for one case."""

    pred: np.ndarray | None  # [batch*time_step, 1], as the tutorial's lstm(X) returns it
    step_shapes: dict[str, tuple[int, ...]]  # "<step>:<name>" -> shape, read from the session's results
    variables: dict[str, tuple[int, ...]]  # the graph's variables (name -> shape)
    error: str | None
    seconds: float  # wall time of the whole subprocess call (shared by every case of one call)
    case_seconds: float = 0.0  # building and running this case's graph inside the worker


@dataclass(frozen=True, eq=False)
class EquivalenceResult:
    ok: bool  # no error, shapes match, and max_abs_diff < atol
    max_abs_diff: float  # max |keras_pred - tutorial_pred| (inf when not compared)
    keras_pred: np.ndarray | None  # model(x), [batch, time_step, 1]
    tutorial_pred: np.ndarray | None  # the TF1 graph's pred reshaped to [batch, time_step, 1]
    step_shapes: dict[str, tuple[int, ...]]  # from the TF1 graph, "<step>:<name>" -> shape
    shapes_match: bool  # every shape trace_shapes observed equals the TF1 graph's
    error: str | None
    seconds: float  # wall time of the subprocess call that produced it
    trace_shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)  # ShapeTrace.shape_map()
    mismatches: list[str] = field(default_factory=list)  # plain-words shape differences
    variables: dict[str, tuple[int, ...]] = field(default_factory=dict)  # TF1 graph variables

    @property
    def summary(self) -> str:
        if self.error:
            return f"Could not compare with the tutorial's TF1 graph: {self.error}"
        verdict = "identical" if self.ok else "DIFFERENT"
        return (
            f"Tutorial TF1 graph vs Keras: {verdict} — largest prediction difference "
            f"{self.max_abs_diff:.2e}, shapes {'match' if self.shapes_match else 'differ'} "
            f"({self.seconds:.1f} s)."
        )


def _weights(layer) -> list[np.ndarray]:
    return [np.asarray(w.numpy() if hasattr(w, "numpy") else w, dtype=np.float32) for w in layer.weights]


def tutorial_case(model, config: LstmConfig, x: np.ndarray, forget_bias: float = FORGET_BIAS) -> TutorialCase:
    """Convert a ``build_network(config)`` model's weights to the tutorial's variables."""
    from model.engine.network import INPUT_PROJECTION, OUTPUT_PROJECTION, lstm_layers

    w_in, b_in = _weights(model.get_layer(INPUT_PROJECTION))
    w_out, b_out = _weights(model.get_layer(OUTPUT_PROJECTION))
    layers = lstm_layers(model, config)
    if config.share_cell:
        layers = layers[:1]
    cells = []
    for layer in layers:
        cell = layer.cell
        kernel, recurrent, bias = (
            np.asarray(cell.kernel.numpy(), np.float32),
            np.asarray(cell.recurrent_kernel.numpy(), np.float32),
            np.asarray(cell.bias.numpy(), np.float32),
        )
        cells.append(keras_to_basic_lstm(kernel, recurrent, bias, forget_bias))
    return TutorialCase(
        source=tutorial_source(config),
        x=np.ascontiguousarray(np.asarray(x, dtype=np.float32)),
        w_in=w_in,
        b_in=b_in,
        w_out=w_out,
        b_out=b_out,
        cells=cells,
        step_lines=tutorial_step_lines(config),
    )


# --------------------------------------------------------------------------------------------
# The subprocess.
# --------------------------------------------------------------------------------------------


def _tail(text: str, lines: int = 6) -> str:
    kept = [ln for ln in text.strip().splitlines() if ln.strip()]
    return "\n".join(kept[-lines:])


def _failed(cases: Sequence[TutorialCase], error: str, seconds: float) -> list[TutorialRun]:
    return [TutorialRun(None, {}, {}, error, seconds) for _ in cases]


def run_tutorial_graph(
    cases: Sequence[TutorialCase], timeout: float = 120, python: str | None = None
) -> list[TutorialRun]:
    """Run the tutorial's TF1 graph for every case in ONE subprocess. Never raises."""
    cases = list(cases)
    if not cases:
        return []
    python = python or sys.executable
    start = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="lstm-lens-tf1-") as tmp:
            in_path = os.path.join(tmp, "in.npz")
            out_path = os.path.join(tmp, "out.npz")
            meta, arrays = [], {}
            for i, case in enumerate(cases):
                meta.append(
                    {
                        "source": case.source,
                        "n_cells": len(case.cells),
                        # The step -> lines map and each step's local names: the worker needs no project code.
                        "step_lines": {str(int(k)): list(v) for k, v in case.step_lines.items()},
                        "step_locals": {str(int(k)): list(v) for k, v in TUTORIAL_STEP_LOCALS.items()},
                    }
                )
                p = f"case{i}."
                arrays.update(
                    {
                        p + "x": case.x,
                        p + "w_in": case.w_in,
                        p + "b_in": case.b_in,
                        p + "w_out": case.w_out,
                        p + "b_out": case.b_out,
                    }
                )
                for k, (kernel, bias) in enumerate(case.cells):
                    arrays[f"{p}cell{k}.kernel"] = kernel
                    arrays[f"{p}cell{k}.bias"] = bias
            np.savez(in_path, meta=np.array(json.dumps(meta)), **arrays)

            env = dict(os.environ)
            env["TF_USE_LEGACY_KERAS"] = "1"  # TF1's rnn_cell lives in tf-keras, behind this switch
            env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
            env["CUDA_VISIBLE_DEVICES"] = "-1"  # tiny graphs; leave the GPU to the app
            env["PYTHONPATH"] = os.pathsep.join(
                [str(_REPO_ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
            )
            try:
                proc = subprocess.run(
                    [python, "-m", WORKER_MODULE, in_path, out_path],
                    cwd=tmp,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=timeout,
                )
            except subprocess.TimeoutExpired:
                return _failed(
                    cases,
                    f"The tutorial's TF1 graph did not finish within {timeout:g} s "
                    "(it runs in a separate Python process, which was stopped).",
                    time.perf_counter() - start,
                )
            except OSError as exc:
                return _failed(
                    cases,
                    f"Could not start Python ({python}) to run the tutorial's TF1 graph: {exc.strerror or exc}.",
                    time.perf_counter() - start,
                )
            seconds = time.perf_counter() - start
            if proc.returncode != 0 or not os.path.exists(out_path):
                detail = _tail(proc.stderr) or _tail(proc.stdout) or "no error message"
                return _failed(
                    cases,
                    f"The Python process running the tutorial's TF1 graph stopped with exit code "
                    f"{proc.returncode}: {detail}",
                    seconds,
                )
            with np.load(out_path, allow_pickle=False) as data:
                result = json.loads(str(data["meta"]))
                outputs = {k: data[k] for k in data.files if k != "meta"}
    except Exception as exc:  # noqa: BLE001 - never raise; say what happened
        log.exception("Running the tutorial's TF1 graph failed")
        return _failed(
            cases,
            f"Running the tutorial's TF1 graph failed: {type(exc).__name__}: {exc}",
            time.perf_counter() - start,
        )

    if result.get("error"):
        return _failed(cases, result["error"], seconds)
    runs = []
    for i, case_meta in enumerate(result.get("cases", [])):
        runs.append(
            TutorialRun(
                pred=outputs.get(f"case{i}.pred"),
                step_shapes={k: tuple(v) for k, v in case_meta.get("step_shapes", {}).items()},
                variables={k: tuple(v) for k, v in case_meta.get("variables", {}).items()},
                error=case_meta.get("error"),
                seconds=seconds,
                case_seconds=float(case_meta.get("seconds", 0.0)),
            )
        )
    if len(runs) != len(cases):
        return _failed(cases, "The TF1 worker returned results for the wrong number of cases.", seconds)
    return runs


# --------------------------------------------------------------------------------------------
# The check.
# --------------------------------------------------------------------------------------------


def _compare_shapes(ours: dict[str, tuple], theirs: dict[str, tuple]) -> list[str]:
    problems = []
    for key, shape in ours.items():
        if key not in theirs:
            problems.append(f"step {key.split(':')[0]}: the TF1 graph has no '{key.split(':', 1)[1]}'")
        elif tuple(theirs[key]) != tuple(shape):
            problems.append(
                f"step {key.split(':')[0]}: '{key.split(':', 1)[1]}' is {fmt_shape(shape)} in Keras "
                f"but {fmt_shape(theirs[key])} in the TF1 graph"
            )
    return problems


def check_equivalence_many(
    cases: Sequence[tuple[Any, LstmConfig, np.ndarray]],
    timeout: float = 120,
    python: str | None = None,
    atol: float = EQUIVALENCE_ATOL,
) -> list[EquivalenceResult]:
    """``check_equivalence`` for several (model, config, x) at once, in ONE subprocess."""
    from model.explain.trace import trace_shapes

    prepared: list[dict] = []
    for model, config, x in cases:
        item: dict = {"error": None}
        try:
            x = np.asarray(x, dtype=np.float32)
            trace = trace_shapes(config, model=model, x=x)
            item["trace_map"] = trace.shape_map()
            item["keras_pred"] = np.asarray(model(x, training=False), dtype=np.float32)
            item["case"] = tutorial_case(model, config, x)
        except Exception as exc:  # noqa: BLE001
            log.exception("Could not prepare a tutorial-graph comparison")
            item["error"] = f"Could not prepare the comparison: {type(exc).__name__}: {exc}"
        prepared.append(item)

    todo = [p["case"] for p in prepared if p["error"] is None]
    runs = iter(run_tutorial_graph(todo, timeout=timeout, python=python))

    results = []
    for item in prepared:
        if item["error"] is not None:
            results.append(EquivalenceResult(False, float("inf"), None, None, {}, False, item["error"], 0.0))
            continue
        run = next(runs)
        keras_pred, trace_map = item["keras_pred"], item["trace_map"]
        if run.error is not None or run.pred is None:
            results.append(
                EquivalenceResult(
                    False,
                    float("inf"),
                    keras_pred,
                    None,
                    run.step_shapes,
                    False,
                    run.error or "The TF1 graph returned no prediction.",
                    run.seconds,
                    trace_shapes=trace_map,
                    variables=run.variables,
                )
            )
            continue
        mismatches = _compare_shapes(trace_map, run.step_shapes)
        tutorial_pred = None
        if run.pred.size == keras_pred.size:
            tutorial_pred = run.pred.reshape(keras_pred.shape)
            max_diff = float(np.max(np.abs(tutorial_pred - keras_pred))) if keras_pred.size else 0.0
        else:
            max_diff = float("inf")
            mismatches.append(f"the TF1 graph predicted {run.pred.size} values, Keras {keras_pred.size}")
        shapes_match = not mismatches
        results.append(
            EquivalenceResult(
                ok=bool(shapes_match and max_diff < atol),
                max_abs_diff=max_diff,
                keras_pred=keras_pred,
                tutorial_pred=tutorial_pred,
                step_shapes=run.step_shapes,
                shapes_match=shapes_match,
                error=None,
                seconds=run.seconds,
                trace_shapes=trace_map,
                mismatches=mismatches,
                variables=run.variables,
            )
        )
    return results


def check_equivalence(
    model,
    config: LstmConfig,
    x: np.ndarray,
    timeout: float = 120,
    python: str | None = None,
    atol: float = EQUIVALENCE_ATOL,
) -> EquivalenceResult:
    """Run the tutorial's TF1 graph with ``model``'s weights on ``x`` and compare. Never raises.

    ``python``: the interpreter for the subprocess (default: this one); it needs TensorFlow and
    tf-keras. ``timeout``: seconds before the subprocess is stopped.
    """
    try:
        return check_equivalence_many([(model, config, x)], timeout=timeout, python=python, atol=atol)[0]
    except Exception as exc:  # noqa: BLE001 - belt and braces: never raise
        log.exception("The tutorial-graph equivalence check failed")
        return EquivalenceResult(
            False, float("inf"), None, None, {}, False, f"{type(exc).__name__}: {exc}", 0.0
        )
