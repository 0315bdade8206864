"""`make bench`: how near the training step runs to this machine's arithmetic limit (a roofline).

For each size (the tutorial's rnn_unit 10 x 2 and rnn_unit 128 x 3, time_step 90, batch 80):

* **peak**: this machine's float32 matrix-product rate through the same stack (TensorFlow, its
  default threads, one large ``tf.matmul`` in a ``tf.function``, best of a few);
* **achieved**: the engine's training GFLOP/s: ``model.engine.flops.training_flops`` of one
  epoch over the engine's measured steady epoch time (``scripts.bench.time_training`` on the
  path ``choose_training`` picks, in a fresh process), and its ratio to the peak;
* **where a step goes**: one batch's train step timed whole and in parts, each part its own
  ``tf.function`` on the same weights and batch shape: the LSTM layers (forward and backward),
  the dense layers (w_in and w_out, forward and backward), the optimizer (the full step minus
  the step without ``optimizer.apply``), the rest of the compiled step (loss, gather, tape), the
  floor of one empty ``tf.function`` call, and the engine loop's own per-step Python work (its
  measured step minus the compiled step).

Prints numbers and asserts nothing; parts timed alone need not add up exactly, and on a loaded
machine nothing here is comparable. ``python -m scripts.bench_roofline --size tutorial`` runs
the small size only.
"""

from __future__ import annotations

import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from scripts.bench import CONFIGS, synthetic_prices, time_training

SIZES = {"tutorial": "tutorial (rnn_unit 10, layer_num 2)", "large": "large (rnn_unit 128, layer_num 3)"}
PEAK_SIZE = 2048  # the matrix product measuring the peak: [n, n] x [n, n]
PEAK_REPEATS = 5


def python_json(args: list[str], timeout: float = 900) -> dict:
    """Run ``python args...`` from the repository root in a fresh process; its last stdout line is JSON."""
    import subprocess

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": root}
    done = subprocess.run(
        [sys.executable, *args], cwd=root, env=env, capture_output=True, text=True, timeout=timeout
    )
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["no output"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def matmul_peak(n: int = PEAK_SIZE, repeats: int = PEAK_REPEATS) -> dict:
    """Best-of-``repeats`` float32 GFLOP/s of an [n, n] x [n, n] product through TensorFlow."""
    import tensorflow as tf

    rng = tf.random.Generator.from_seed(0)
    a = rng.normal([n, n], dtype=tf.float32)
    b = rng.normal([n, n], dtype=tf.float32)
    product = tf.function(lambda: tf.reduce_sum(tf.matmul(a, b)))
    product().numpy()  # trace and warm up
    best = min(_timed(lambda: product().numpy()) for _ in range(repeats))
    return {
        "n": n,
        "gflops": 2 * n**3 / best / 1e9,
        "seconds": best,
        "intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads(),
        "cpus": os.cpu_count(),
    }


def _timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def _per_call(fn, calls: int, repeats: int) -> float:
    """Seconds per call of ``fn`` (which returns a tensor, fetched each call as the engine's loop
    does with the loss): the best of ``repeats`` means over ``calls`` calls."""
    for _ in range(3):
        _fetch(fn())
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(calls):
            _fetch(fn())
        best = min(best, (time.perf_counter() - started) / calls)
    return best


def _fetch(result) -> None:
    first = result[0] if isinstance(result, (list, tuple)) else result
    first.numpy()


def step_parts(size: str, calls: int = 20, repeats: int = 3) -> dict:
    """Seconds per call of one batch's train step and of its parts (see the module docstring)."""
    import numpy as np
    import tensorflow as tf

    from model.engine.choice import choose_training
    from model.engine.network import INPUT_PROJECTION, OUTPUT_PROJECTION, build_network, lstm_layers
    from model.engine.training import compile_network

    config = CONFIGS[size]
    choice = choose_training(config)
    model = build_network(config)
    compile_network(model, config, path=choice.path, kernel=choice.fused_kernel)
    b, t, f, u = config.batch_size, config.time_step, config.input_size, config.rnn_unit
    rng = np.random.default_rng(0)
    n = 4 * b
    x_train = tf.constant(rng.normal(size=(n, t, f)).astype("float32"))
    y_train = tf.constant(rng.normal(size=(n, t, 1)).astype("float32"))
    indices = tf.constant(rng.permutation(n)[:b].astype("int32"))
    variables = model.trainable_variables
    optimizer = model.optimizer
    optimizer.build(variables)

    # The engine's fused train step (model.engine.training.fused_loop), and the same without
    # the optimizer's update.
    @tf.function(jit_compile=False)
    def full_step(idx):
        x, y = tf.gather(x_train, idx), tf.gather(y_train, idx)
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(x, training=True) - y))
        optimizer.apply(tape.gradient(loss, variables), variables)
        return loss

    @tf.function(jit_compile=False)
    def gradient_step(idx):
        x, y = tf.gather(x_train, idx), tf.gather(y_train, idx)
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(x, training=True) - y))
        return [loss, *tape.gradient(loss, variables)]

    lstms = lstm_layers(model, config)
    lstm_vars = [v for layer in {id(la): la for la in lstms}.values() for v in layer.trainable_variables]
    h_in = tf.constant(rng.normal(size=(b, t, u)).astype("float32"))
    dh_out = tf.constant(rng.normal(size=(b, t, u)).astype("float32"))

    @tf.function(jit_compile=False)
    def lstm_part():
        with tf.GradientTape() as tape:
            tape.watch(h_in)
            h = h_in
            for layer in lstms:
                h = layer(h, training=True)[0]
            loss = tf.reduce_sum(h * dh_out)  # backward starts from a given dL/dh: no loss arithmetic
        return tape.gradient(loss, [h_in, *lstm_vars])

    w_in, w_out = model.get_layer(INPUT_PROJECTION), model.get_layer(OUTPUT_PROJECTION)
    dense_vars = [*w_in.trainable_variables, *w_out.trainable_variables]
    x_batch = tf.gather(x_train, indices)
    dy = tf.constant(rng.normal(size=(b, t, 1)).astype("float32"))

    @tf.function(jit_compile=False)
    def dense_part():
        with tf.GradientTape() as tape:
            tape.watch(h_in)
            projected = w_in(x_batch)
            out = w_out(h_in)
            loss = tf.reduce_sum(projected) + tf.reduce_sum(out * dy)
        return tape.gradient(loss, [h_in, *dense_vars])

    @tf.function(jit_compile=False)
    def empty_call(idx):
        return tf.constant(0.0)

    full = _per_call(lambda: full_step(indices), calls, repeats)
    gradient = _per_call(lambda: gradient_step(indices), calls, repeats)
    lstm = _per_call(lstm_part, calls, repeats)
    dense = _per_call(dense_part, calls, repeats)
    empty = _per_call(lambda: empty_call(indices), calls, repeats)
    return {
        "kernel": choice.kernel,
        "full_step_s": full,
        "gradient_step_s": gradient,
        "lstm_s": lstm,
        "dense_s": dense,
        "optimizer_s": full - gradient,
        "rest_s": gradient - lstm - dense,
        "empty_call_s": empty,
    }


def achieved(size: str) -> dict:
    """The engine's measured training speed at ``size`` (this process) and its FLOP count."""
    import tensorflow as tf  # noqa: F401  (before the clock)

    from model.engine.choice import choose_training
    from model.engine.flops import training_flops
    from model.engine.windows import prepare_data

    config = CONFIGS[size]
    data = prepare_data(synthetic_prices(), config)
    path = choose_training(config).path
    timing = time_training(config, data, path)
    batch = min(config.batch_size, len(data.train))
    trained = (len(data.train) // batch) * batch
    count = training_flops(config, trained)
    return {
        **timing,
        "path": path,
        "windows": len(data.train),
        "trained_windows": trained,
        "epoch_flops": count.total,
        "lstm_flops": count.lstm,
        "dense_flops": count.dense,
        "gflops": count.total / timing["steady_epoch_s"] / 1e9,
        "engine_step_s": timing["steady_epoch_s"] / count.steps,
    }


def report(size: str, peak: dict) -> None:
    """Measure one size in fresh processes and print its roofline lines."""
    run = python_json(["-m", "scripts.bench_roofline", "--achieved", size])
    parts = python_json(["-m", "scripts.bench_roofline", "--parts", size])
    config = CONFIGS[size]
    print(
        f"\n== Roofline, {SIZES[size]}: time_step {config.time_step}, batch {config.batch_size}"
        f" (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores: only an idle machine gives comparable figures)"
    )
    if "error" in run:
        print(f"  training could not be measured: {run['error']}")
    else:
        print(
            f"  one epoch: {run['epoch_flops'] / 1e9:.2f} GFLOP of matrix products over {run['trained_windows']} windows"
            f" (LSTM {run['lstm_flops'] / run['epoch_flops']:.0%}, dense {run['dense_flops'] / run['epoch_flops']:.0%};"
            " elementwise and Adam excluded)"
        )
        print(
            f"  engine ({run['path']}): {run['windows_per_s']:.0f} windows/s, steady epoch {run['steady_epoch_s']:.2f} s"
            f" -> {run['gflops']:.2f} GFLOP/s achieved"
        )
        print(
            f"  peak (float32 [{peak['n']}]^2 matmul, TensorFlow, {peak['cpus']} cores): {peak['gflops']:.1f} GFLOP/s"
            f"   roofline ratio: {run['gflops'] / peak['gflops']:.1%} of peak"
        )
    if "error" in parts:
        print(f"  step parts could not be measured: {parts['error']}")
        return
    full = parts["full_step_s"]
    print(
        f"  one train step (batch {config.batch_size}, {parts['kernel']} kernel), compiled: {full * 1e3:.2f} ms"
    )
    for label, key in (
        ("LSTM layers, forward + backward", "lstm_s"),
        ("dense layers (w_in, w_out), fwd + bwd", "dense_s"),
        ("optimizer (Adam apply)", "optimizer_s"),
        ("rest of the step (loss, gather, tape)", "rest_s"),
    ):
        print(f"    {label:40s} {parts[key] * 1e3:8.2f} ms  {parts[key] / full:6.0%}")
    print(
        f"    {'floor: one empty tf.function call':40s} {parts['empty_call_s'] * 1e3:8.2f} ms  {parts['empty_call_s'] / full:6.0%}"
    )
    if "engine_step_s" in run:
        loop = run["engine_step_s"] - full
        print(
            f"  the engine's measured step {run['engine_step_s'] * 1e3:.2f} ms: its loop's own work per step"
            f" (Python bookkeeping, listener, validation share) {loop * 1e3:.2f} ms"
        )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--achieved" in argv:
        print(json.dumps(achieved(argv[argv.index("--achieved") + 1])))
        return 0
    if "--parts" in argv:
        print(json.dumps(step_parts(argv[argv.index("--parts") + 1])))
        return 0
    if "--peak" in argv:
        print(json.dumps(matmul_peak()))
        return 0
    sizes = list(SIZES)
    if "--size" in argv:
        size = argv[argv.index("--size") + 1]
        if size not in SIZES:
            print(f"--size must be one of {', '.join(SIZES)}, got {size!r}")
            return 2
        sizes = [size]
    peak = python_json(["-m", "scripts.bench_roofline", "--peak"])
    if "error" in peak:
        print(f"the matrix-product peak could not be measured: {peak['error']}")
        return 1
    for size in sizes:
        report(size, peak)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
