"""`make bench`: speed figures for the engine (and the UI, when the browser harness is there).

Prints numbers; it asserts nothing. Figures depend on the machine and on what else runs.
"""

from __future__ import annotations

import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pandas as pd

from model.engine.config import LstmConfig
from model.engine.windows import make_windows, prepare_data

TUTORIAL = LstmConfig(
    rnn_unit=10,
    layer_num=2,
    time_step=90,
    batch_size=80,
    epochs=3,
    patience=0,
    features=("open", "high", "low", "close", "volume", "change", "range"),
    test_fraction=0.05,
    val_fraction=0.05,
)
LARGE = TUTORIAL.replace(rnn_unit=128, layer_num=3, epochs=2)
CONFIGS = {"tutorial": TUTORIAL, "large": LARGE}


def synthetic_prices(n_rows: int = 6700, seed: int = 0) -> pd.DataFrame:
    """A random-walk OHLCV table with 7 feature columns, about the tutorial's data size."""
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n_rows)))
    frame = pd.DataFrame(
        {
            "open": close * (1 + rng.normal(0, 0.003, n_rows)),
            "high": close * (1 + rng.uniform(0, 0.01, n_rows)),
            "low": close * (1 - rng.uniform(0, 0.01, n_rows)),
            "close": close,
            "volume": rng.uniform(1e6, 5e6, n_rows),
        },
        index=pd.bdate_range("1990-01-01", periods=n_rows, name="date"),
    )
    frame["change"] = frame["close"].pct_change().fillna(0.0)
    frame["range"] = frame["high"] - frame["low"]
    return frame


PATH_LABELS = {
    "plain": "Keras plain compile()",
    "xla": "Keras fit + XLA (old engine)",
    "fused_fit": "native kernel + Keras fit",
    "block": "BlockLSTM + own loop (probe)",
    "fused": "native kernel + own loop",
}
# Which paths to time per size. At 128 x 3 an epoch takes ~15-20 s per path, so the fit
# variant of the fused layer (a per-step overhead question) is only timed at the small size.
BENCH_PATHS = {
    "tutorial": ("plain", "xla", "fused_fit", "block", "fused"),
    "large": ("plain", "xla", "block", "fused"),
}


def time_training(config: LstmConfig, data, path: str) -> dict[str, float]:
    """Steady windows/s and the time from calling train_network to the first finished epoch
    (building the network and tracing or compiling included)."""
    from scripts.bench_paths import train_variant

    epoch_ends: list[float] = []
    started = time.perf_counter()

    def listener(progress):
        if len(progress.history) > len(epoch_ends):
            epoch_ends.append(time.perf_counter() - started)

    train_variant(data, path, listener)
    total = time.perf_counter() - started
    steady = (epoch_ends[-1] - epoch_ends[0]) / (len(epoch_ends) - 1)
    return {
        "first_epoch_s": epoch_ends[0],
        "steady_epoch_s": steady,
        "windows_per_s": len(data.train) / steady,
        "total_s": total,
    }


def _python_json(args: list[str], timeout: float = 900) -> dict:
    """Run ``python args...`` from the repository root; its last stdout line is JSON."""
    import json
    import subprocess

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": root}
    done = subprocess.run(
        [sys.executable, *args], cwd=root, env=env, capture_output=True, text=True, timeout=timeout
    )
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["no output"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def torch_reference(name: str) -> dict:
    """The PyTorch reference (scripts/torch_reference.py) in its own process, or why it was skipped."""
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        return {"skipped": "torch is not installed (pip install -r requirements-bench.txt)"}
    return _python_json(["-m", "scripts.torch_reference", name])


def first_epoch_fresh_process() -> None:
    """``--first-epoch``: in a fresh process, import TensorFlow, then train the tutorial's
    network until its first epoch has finished; print both times as JSON (what a user waits
    for on the first Train press after the page has loaded TensorFlow)."""
    import json

    frame = synthetic_prices()
    data = prepare_data(frame, TUTORIAL)
    started = time.perf_counter()
    import tensorflow as tf  # noqa: F401

    imported = time.perf_counter()
    from model.engine.training import train_network

    first: list[float] = []

    class FirstEpoch(Exception):
        pass

    def listener(progress):
        if progress.history and not first:
            first.append(time.perf_counter() - imported)
            raise FirstEpoch

    try:
        train_network(data, listener=listener)
    except FirstEpoch:
        pass
    print(json.dumps({"import_s": imported - started, "first_epoch_s": first[0]}))


def bench_training() -> None:
    from model import native

    if not native.available():
        # "fused" then runs BlockLSTM too: say so instead of printing a misleading label.
        PATH_LABELS["fused"] = PATH_LABELS["fused_fit"] = "(no native kernel) BlockLSTM"
    print(f"\n== LSTM kernel: {native.status()}")
    frame = synthetic_prices()
    for key, name, config in (
        ("tutorial", "tutorial (rnn_unit 10, layer_num 2)", TUTORIAL),
        ("large", "large (rnn_unit 128, layer_num 3)", LARGE),
    ):
        data = prepare_data(frame, config)
        print(
            f"\n== Training, {name}: time_step {config.time_step}, batch {config.batch_size}, "
            f"{len(data.train)} training windows, {config.input_size} features, {config.epochs} epochs"
            f" (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores: figures are only comparable on an idle machine)"
        )
        # Each path in a fresh process, like the PyTorch reference: one path's threads, caches and
        # compiled functions must not slow (or warm up) the next one.
        results = {
            path: _python_json(["-m", "scripts.bench", "--train", key, path]) for path in BENCH_PATHS[key]
        }
        failed = {path: r["error"] for path, r in results.items() if "error" in r}
        if failed:
            print(f"  could not measure: {failed}")
            continue
        reference = torch_reference(key)
        print("  (first epoch: from calling train_network, network build and tracing/compiling included)")
        for path, r in results.items():
            print(
                f"  {PATH_LABELS[path]:30s} {r['windows_per_s']:9.0f} windows/s   first epoch {r['first_epoch_s']:6.2f} s"
                f"   steady epoch {r['steady_epoch_s']:6.2f} s"
            )
        if "windows_per_s" in reference:
            print(
                f"  {'PyTorch ' + reference['version'] + ' eager':30s} {reference['windows_per_s']:9.0f} windows/s"
                f"   first epoch {reference['first_epoch_s']:6.2f} s   steady epoch {reference['steady_epoch_s']:6.2f} s"
                f"   ({reference['threads']} threads, own process)"
            )
        else:
            print(f"  PyTorch reference: skipped ({reference.get('skipped') or reference.get('error')})")
        from model.engine.choice import KERNEL_NAMES, choose_training

        choice = choose_training(config)
        chosen = choice.path
        engine, plain = results[chosen], results["plain"]
        print(
            f"  the engine trains this size with: {PATH_LABELS[chosen]} "
            f"({KERNEL_NAMES[choice.kernel]} on {choice.device}: {choice.reason})"
        )
        line = f"  engine vs plain compile: {engine['windows_per_s'] / plain['windows_per_s']:.2f}x"
        line += f"   vs XLA fit: {engine['windows_per_s'] / results['xla']['windows_per_s']:.2f}x"
        # The fused paths the engine did not pick at this size, side by side with it.
        for other in ("block", "fused"):
            if other != chosen and other in results:
                line += f"   vs {PATH_LABELS[other].split(' +')[0]}: {engine['windows_per_s'] / results[other]['windows_per_s']:.2f}x"
        if "windows_per_s" in reference:
            line += f"   vs PyTorch: {engine['windows_per_s'] / reference['windows_per_s']:.2f}x"
        if key == "tutorial":
            line += "   (targets: >= 4x plain, ahead of PyTorch, first epoch < 1.5 s)"
        else:
            line += "   (target: not slower than ~300 windows/s)"
        print(line)
    fresh = _python_json(["-m", "scripts.bench", "--first-epoch"])
    if "first_epoch_s" in fresh:
        print(
            f"\n== Fresh process, tutorial config: import tensorflow {fresh['import_s']:.2f} s, then the first "
            f"epoch finished {fresh['first_epoch_s']:.2f} s later (target < 1.5 s)"
        )
    else:
        print(f"\n== Fresh process first epoch: failed ({fresh.get('error')})")


def tutorial_windows(data: np.ndarray, time_step: int):
    """The tutorial's get_train_data loop: lists of lists, then arrays."""
    train_x, train_y = [], []
    for i in range(len(data) - time_step):
        x = data[i : i + time_step, :7]
        y = data[i : i + time_step, 7, np.newaxis]
        train_x.append(x.tolist())
        train_y.append(y.tolist())
    return np.array(train_x), np.array(train_y)


def bench_windowing() -> None:
    frame = synthetic_prices()
    values = frame[list(TUTORIAL.features) + ["close"]].to_numpy()
    t = TUTORIAL.time_step

    def ours():
        x = np.ascontiguousarray(make_windows(values[:, :7], t)[:-1])
        y = np.ascontiguousarray(make_windows(values[1:, 7], t))
        return x, y

    reps = 5
    ours_s = min(_timed(ours) for _ in range(reps))
    ref_s = min(_timed(lambda: tutorial_windows(values, t)) for _ in range(2))
    x, _ = ours()
    print(f"\n== Windowing {len(values)} rows, time_step {t}: X {list(x.shape)}")
    print(
        f"  tutorial list-of-lists {ref_s * 1000:8.1f} ms   strided view + copy {ours_s * 1000:6.2f} ms"
        f"   speed-up {ref_s / ours_s:.0f}x (target >= 50x)"
    )


def bench_prediction() -> None:
    from model.engine.network import build_network
    from model.engine.training import TrainedRun
    from model.engine.windows import Normaliser

    config = TUTORIAL
    model = build_network(config)
    run = TrainedRun(model=model, config=config, normaliser=Normaliser(np.zeros(7), np.ones(7), 0.0, 1.0))
    x = np.random.default_rng(0).normal(size=(1, config.time_step, config.input_size)).astype("float32")
    run.predict(x)  # trace once
    cached = statistics.median(_timed(lambda: run.predict(x)) for _ in range(20))
    eager = statistics.median(_timed(lambda: model(x)) for _ in range(5))
    keras_predict = statistics.median(_timed(lambda: model.predict(x, verbose=0)) for _ in range(5))
    print("\n== Predicting one window")
    print(
        f"  cached tf.function {cached * 1000:6.1f} ms   eager model(x) {eager * 1000:6.1f} ms"
        f"   model.predict {keras_predict * 1000:6.1f} ms"
    )


def bench_trace() -> None:
    from model.explain import trace_shapes

    config = LstmConfig()
    first = _timed(lambda: trace_shapes(config, batch_size=80))
    again = statistics.median(_timed(lambda: trace_shapes(config, batch_size=80)) for _ in range(10))
    bigger = config.replace(rnn_unit=64, layer_num=3)
    new_shape = _timed(lambda: trace_shapes(bigger, batch_size=80))
    print("\n== Shape trace (rnn_unit 10, layer_num 2, time_step 20, batch 80), TensorFlow loaded")
    print(
        f"  first trace {first * 1000:6.0f} ms (builds and compiles the network)   repeated trace "
        f"{again * 1000:5.1f} ms (target < 300 ms)   a new shape (64 x 3) {new_shape * 1000:5.0f} ms"
    )


def _timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def train_one_path(size: str, path: str) -> None:
    """``--train SIZE PATH``: time one training path on one size in this (fresh) process; JSON out."""
    import json

    import tensorflow as tf  # noqa: F401  (before the clock: import time is reported on its own line)

    data = prepare_data(synthetic_prices(), CONFIGS[size])
    print(json.dumps(time_training(CONFIGS[size], data, path)))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--first-epoch" in argv:
        first_epoch_fresh_process()
        return 0
    if "--train" in argv:
        at = argv.index("--train")
        train_one_path(argv[at + 1], argv[at + 2])
        return 0
    print(f"LSTM Lens benchmark on {os.cpu_count()} CPU cores")
    bench_windowing()
    started = time.perf_counter()
    import tensorflow as tf  # noqa: F401  (timed: the cost every training page pays once)

    print(f"\n== import tensorflow: {time.perf_counter() - started:.2f} s")
    bench_prediction()
    bench_trace()
    if "--no-train" not in argv:
        bench_training()
    if "--no-ui" not in argv:
        from scripts import bench_ui

        print("\n== Browser (headless Chromium)")
        bench_ui.main()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
