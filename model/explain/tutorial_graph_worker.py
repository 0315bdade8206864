"""Run the tutorial's original TF1 graph for ``model.explain.tutorial_graph`` (in a separate process).

Usage: ``python -m model.explain.tutorial_graph_worker IN.npz OUT.npz`` with TF_USE_LEGACY_KERAS=1 in
the environment (TF1's ``tf.compat.v1.nn.rnn_cell`` cells only exist with the tf-keras package
behind that switch; under Keras 3 they are gone, hence the separate process).

IN.npz holds ``meta`` (a JSON string: one entry per case with ``source``, ``n_cells``,
``step_lines`` and ``step_locals``) and the arrays ``case{i}.<name>``: x, w_in, b_in, w_out, b_out
and ``cell{k}.kernel`` / ``cell{k}.bias`` in BasicLSTMCell's layout. For each case the worker
executes the case's ``source`` — the tutorial's ``lstm(X)`` text from
``model.explain.sources.tutorial_source``, whose step line map (derived from the source's step
tags) and step local names come with it — verbatim, with ``tf`` bound to ``tf.compat.v1``,
loads the weights into its variables, runs it on x, and records the shape of the tensor each
step produces (read from the session's results, after the last line of the step ran).

OUT.npz holds ``meta`` (JSON: ``error`` for a failure that stops everything, and per case
``step_shapes``, ``variables``, ``error``, ``seconds``) and ``case{i}.pred`` ([batch*time_step, 1],
as the tutorial returns it). The exit status is 0 when OUT.npz was written.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
import traceback

log = logging.getLogger(__name__)

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

_CELL_VAR = re.compile(r"(?:^|/)cell_(\d+)/basic_lstm_cell/(kernel|bias)(?::\d+)?$")


class _LineTaps:
    """Snapshot the locals of one function after each of its lines runs (via sys.settrace)."""

    def __init__(self, code):
        self.code = code
        self.after: dict[int, dict] = {}  # line number -> locals once that line has run
        self._prev: int | None = None
        self._old = None

    def _global(self, frame, event, arg):
        if event == "call" and frame.f_code is self.code:
            self._prev = None
            return self._local
        return None

    def _local(self, frame, event, arg):
        if event in ("line", "return"):
            if self._prev is not None:
                self.after[self._prev] = dict(frame.f_locals)
            self._prev = frame.f_lineno
        return self._local

    def __enter__(self):
        self._old = sys.gettrace()
        sys.settrace(self._global)
        return self

    def __exit__(self, *exc):
        sys.settrace(self._old)
        return False


def _run_case(tf, np, meta: dict, arrays: dict) -> tuple[dict, dict]:
    """Build and run one case's graph; returns (meta for OUT, arrays for OUT)."""
    tf1 = tf.compat.v1
    # Step -> the tutorial's line numbers, and the names each step produces (locals of lstm(X),
    # read after the step's last line; "final_states" is expanded to final_states[k].c / .h).
    step_lines = {int(k): tuple(v) for k, v in meta["step_lines"].items()}
    step_locals = {int(k): tuple(v) for k, v in meta["step_locals"].items()}
    last_step = max(step_lines)
    t0 = time.perf_counter()
    x = arrays["x"]
    graph = tf.Graph()
    with graph.as_default():
        namespace: dict = {"tf": tf1}
        exec(compile(meta["source"], "<tutorial lstm(X)>", "exec"), namespace)
        input_size = namespace["input_size"]
        time_step = int(x.shape[1])
        # The tutorial: X=tf.placeholder(tf.float32, shape=[None,time_step,input_size]); its
        # weights start random (tf.random_normal); here they start as the Keras model's.
        X = tf1.placeholder(tf.float32, shape=[None, time_step, input_size])
        namespace["weights"] = {"in": tf1.Variable(arrays["w_in"]), "out": tf1.Variable(arrays["w_out"])}
        namespace["biases"] = {"in": tf1.Variable(arrays["b_in"]), "out": tf1.Variable(arrays["b_out"])}
        lstm = namespace["lstm"]
        with _LineTaps(lstm.__code__) as taps:
            pred, final_states = lstm(X)

        fetches: dict = {}
        for step, names in step_locals.items():
            line = max(step_lines[step])
            local = taps.after.get(line)
            if local is None:
                raise RuntimeError(f"line {line} of the tutorial's code (step {step}) never ran")
            for name in names:
                if name not in local:
                    raise RuntimeError(f"step {step}: '{name}' is not defined after line {line}")
                value = local[name]
                if name == "final_states":
                    for k, state in enumerate(value):
                        fetches[f"{step}:final_states[{k}].c"] = state.c
                        fetches[f"{step}:final_states[{k}].h"] = state.h
                else:
                    fetches[f"{step}:{name}"] = value
        # Step 7: the tutorial returns pred as [batch*time_step, 1]; per window it is
        # [batch, time_step, 1] (its own batch_size and time_step tensors from step 1).
        ret = taps.after[max(step_lines[last_step])]
        fetches[f"{last_step}:prediction"] = tf1.reshape(pred, [ret["batch_size"], ret["time_step"], 1])

        # Load the Keras weights into the cells' variables (BasicLSTMCell layout already).
        cell_vars: dict[int, dict[str, object]] = {}
        variables = {}
        for var in tf1.global_variables():
            variables[var.name] = [int(d) for d in var.shape]
            m = _CELL_VAR.search(var.name)
            if m:
                cell_vars.setdefault(int(m.group(1)), {})[m.group(2)] = var
        expected = int(meta["n_cells"])
        if sorted(cell_vars) != list(range(expected)) or any(len(v) != 2 for v in cell_vars.values()):
            names = ", ".join(sorted(n for n in variables if "cell" in n)) or "none"
            raise RuntimeError(
                f"expected {expected} set(s) of LSTM cell variables (kernel, bias), found: {names}"
            )
        assigns = []
        for k, pair in cell_vars.items():
            for part in ("kernel", "bias"):
                value = arrays[f"cell{k}.{part}"]
                var = pair[part]
                if tuple(value.shape) != tuple(int(d) for d in var.shape):
                    raise RuntimeError(
                        f"cell_{k}/{part} has shape {[int(d) for d in var.shape]} in the TF1 graph "
                        f"but the converted Keras weight is {list(value.shape)}"
                    )
                assigns.append(var.assign(value))

        with tf1.Session(graph=graph) as sess:
            sess.run(tf1.global_variables_initializer())
            sess.run(assigns)
            out = sess.run({"pred": pred, **fetches}, feed_dict={X: x})

    step_shapes = {k: [int(d) for d in np.shape(v)] for k, v in out.items() if k != "pred"}
    return (
        {
            "step_shapes": step_shapes,
            "variables": variables,
            "error": None,
            "seconds": time.perf_counter() - t0,
        },
        {"pred": np.asarray(out["pred"], dtype=np.float32)},
    )


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: python -m model.explain.tutorial_graph_worker IN.npz OUT.npz", file=sys.stderr)
        return 2
    in_path, out_path = argv[1], argv[2]
    result: dict = {"error": None, "cases": [], "versions": {}}
    out_arrays: dict = {}
    import warnings

    warnings.filterwarnings("ignore")
    try:
        import numpy as np
    except ImportError as exc:
        print(f"numpy is not installed for {sys.executable}: {exc}", file=sys.stderr)
        return 3
    try:
        with np.load(in_path, allow_pickle=False) as data:
            payload = {k: data[k] for k in data.files}
        cases = json.loads(str(payload["meta"]))
    except Exception as exc:  # noqa: BLE001 - reported to the parent in words
        log.exception("Could not read the input file %s", in_path)
        print(f"could not read the input file {in_path}: {exc}", file=sys.stderr)
        return 3

    try:
        import tensorflow as tf

        tf.get_logger().setLevel("ERROR")
        result["versions"]["tensorflow"] = tf.__version__
        tf.compat.v1.nn.rnn_cell.BasicLSTMCell  # noqa: B018 - raises when TF1 cells are unavailable
        tf.compat.v1.nn.rnn_cell.MultiRNNCell  # noqa: B018
    except Exception as exc:  # noqa: BLE001
        log.exception("TensorFlow's TF1 cells are not available")
        result["error"] = (
            "TensorFlow's TF1 cells (tf.compat.v1.nn.rnn_cell.BasicLSTMCell) are not available in the "
            f"Python at {sys.executable}: {type(exc).__name__}: {str(exc).rstrip('.')}. They need the tf-keras package "
            "and TF_USE_LEGACY_KERAS=1."
        )
    else:
        for i, meta in enumerate(cases):
            prefix = f"case{i}."
            arrays = {k[len(prefix) :]: v for k, v in payload.items() if k.startswith(prefix)}
            try:
                case_meta, case_arrays = _run_case(tf, np, meta, arrays)
            except Exception as exc:  # noqa: BLE001
                log.exception("A tutorial-graph case failed")
                tb = traceback.format_exc(limit=3)
                case_meta = {
                    "step_shapes": {},
                    "variables": {},
                    "seconds": 0.0,
                    "error": f"The tutorial's TF1 graph failed: {type(exc).__name__}: {exc}",
                    "traceback": tb,
                }
                case_arrays = {}
            result["cases"].append(case_meta)
            for k, v in case_arrays.items():
                out_arrays[f"case{i}.{k}"] = v

    np.savez(out_path, meta=np.array(json.dumps(result)), **out_arrays)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
