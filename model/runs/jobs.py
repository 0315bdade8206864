"""Quick jobs the run pool's warm workers answer (``WorkerPool.call(name, ...)``): everything the
pages need from TensorFlow, so the Streamlit server never imports it.

A job is a function ``job(context, *args, **kwargs)`` registered in ``JOBS`` by name; its arguments
and result are plain, picklable values (numpy arrays, dataclasses of them). ``run_job`` never
raises: it returns (True, result) or (False, message), with a LensError's own message.

``JobContext`` keeps what a worker loaded for a stored run (its model, prepared data, evaluation)
for the next job on the same run, a few runs at most, keyed by (run id, created) so a deleted run
whose id is reused is not mistaken for the old one.
"""

from __future__ import annotations

import collections
import importlib
import logging
import os
import time
from typing import Any, Callable

from model.errors import LensError
from model.runs import run_files

log = logging.getLogger(__name__)

CACHED_RUNS = 2

JOBS: dict[str, Callable[..., Any]] = {}


def job(name: str):
    def register(fn):
        JOBS[name] = fn
        return fn

    return register


class JobContext:
    def __init__(self, store):
        self.store = store
        self._runs: collections.OrderedDict[tuple, tuple] = collections.OrderedDict()
        self._memo: collections.OrderedDict[tuple, Any] = collections.OrderedDict()

    def run_key(self, run_id: int) -> tuple[int, str]:
        record = self.store.get_run(int(run_id), with_history=False)
        return record.id, record.created.isoformat()

    def trained(self, run_id: int):
        """(TrainedRun, PreparedData, Evaluation) of a stored run, loaded once per worker."""
        key = self.run_key(run_id)
        if key not in self._runs:
            self._runs[key] = run_files.load_trained(self.store, key[0])
            while len(self._runs) > CACHED_RUNS:
                self._runs.popitem(last=False)
                self._memo.clear()
        self._runs.move_to_end(key)
        return self._runs[key]

    def memo(self, key: tuple, make: Callable[[], Any]) -> Any:
        """``make()`` once per key while its run stays loaded (gradients functions, hidden states)."""
        if key not in self._memo:
            self._memo[key] = make()
            while len(self._memo) > 8:
                self._memo.popitem(last=False)
        return self._memo[key]


def run_job(context: JobContext, name: str, args: tuple, kwargs: dict) -> tuple[bool, Any]:
    fn = JOBS.get(name)
    if fn is None:
        return False, f"No such job: {name!r}."
    try:
        return True, fn(context, *args, **kwargs)
    except LensError as exc:
        return False, str(exc)
    except Exception as exc:  # noqa: BLE001 - the owner shows a message, the worker keeps serving
        log.exception("Job %s failed", name)
        return False, f"{name} failed: {type(exc).__name__}: {exc}"


def warm_up(context: JobContext) -> None:
    """Trace the default network once, so a first visit to Shapes finds it built and its functions
    compiled (that first build and trace cost ~1 s in a fresh worker). Never raises."""
    import numpy as np

    from model.engine.config import LstmConfig

    config = LstmConfig()
    x = np.random.default_rng(0).standard_normal((config.batch_size, config.time_step, config.input_size))
    run_job(context, "shape_trace", (config.to_dict(), None, x.astype(np.float32), 1), {})


# -- jobs ----------------------------------------------------------------------------------------


@job("ping")
def _ping(context: JobContext) -> int:
    return os.getpid()


@job("load_run")
def _load_run(context: JobContext, run_id: int) -> None:
    """Load a stored run's model into this worker, so the next job about it starts at once."""
    context.trained(run_id)


def _model_for(context: JobContext, config, run_id: int | None):
    if run_id is not None:
        return context.trained(run_id)[0].model
    from model.explain import network_for

    return network_for(config)


@job("shape_trace")
def shape_trace(context: JobContext, config: dict, run_id: int | None, x, gate_time: int) -> dict:
    """The Shapes page's trace of ``x`` through a stored run's model (or untrained weights of ``config``)."""
    from model.engine.config import LstmConfig
    from model.explain import trace_shapes

    cfg = LstmConfig.from_dict(config)
    model = _model_for(context, cfg, run_id)
    t0 = time.perf_counter()
    trace = trace_shapes(cfg, model=model, x=x, gate_time=gate_time)
    return {"trace": trace, "ms": (time.perf_counter() - t0) * 1000.0}


@job("equivalence")
def equivalence(context: JobContext, config: dict, run_id: int | None, x, python: str | None = None):
    """The tutorial's TF1 graph run with the same weights on the same windows (see tutorial_graph)."""
    from model.engine.config import LstmConfig
    from model.explain.tutorial_graph import check_equivalence

    cfg = LstmConfig.from_dict(config)
    return check_equivalence(_model_for(context, cfg, run_id), cfg, x, python=python)


@job("leak_demo")
def leak_demo(context: JobContext, run_id: int):
    from model.engine.lessons import leak_demo as demo

    trained, data, evaluation = context.trained(run_id)
    return demo(trained, data, evaluation)


def _test_dates(data) -> list[str]:
    t = data.config.time_step
    return [f"{d:%Y-%m-%d}" for d in data.dates[data.test.start + t - 1]]


@job("inside_attributions")
def inside_attributions(context: JobContext, run_id: int, steps: int = 32, limit: int | None = None) -> dict:
    """Integrated gradients of every test window (the last ``limit`` when given)."""
    from model.inside.attribution import gradient_function, integrated_gradients

    run, data, _ = context.trained(run_id)
    x = data.test.x if limit is None else data.test.x[-int(limit) :]
    gradient = context.memo(("gradient", *context.run_key(run_id)), lambda: gradient_function(run.model))
    t0 = time.perf_counter()
    record = integrated_gradients(
        run.model, x, steps=steps, scale=run.normaliser.target_std, gradient=gradient
    )
    dates = _test_dates(data)[-len(x) :]
    return {"record": record, "dates": dates, "features": tuple(run.config.features),
            "seconds": time.perf_counter() - t0}  # fmt: skip


@job("inside_units")
def inside_units(context: JobContext, run_id: int) -> dict:
    """Every unit's h at each test window's last step, and the price signals of those days."""
    from model.inside.units import hidden_states, price_signals

    run, data, _ = context.trained(run_id)
    states = context.memo(
        ("units", *context.run_key(run_id)), lambda: hidden_states(run.model, run.config, data.test.x)
    )
    rows = data.test.start + run.config.time_step - 1
    return {"states": states, "dates": _test_dates(data), "price": data.target[rows],
            "signals": price_signals(data.target, rows)}  # fmt: skip


@job("inside_what_if")
def inside_what_if(
    context: JobContext,
    run_id: int,
    window_index: int,
    shift_pct: float = 0.0,
    trend_pct: float = 0.0,
    trend_days: int = 5,
):
    from model.inside.what_if import WhatIfEdit, what_if

    run, data, _ = context.trained(run_id)
    return what_if(run, data, window_index, WhatIfEdit(float(shift_pct), float(trend_pct), int(trend_days)))


@job("tour")
def tour(context: JobContext, run_id: int, day: str | None = None):
    """The Explainer's tour of one prediction (``model.explain.tour``), cached per run and day; the
    test period's memory profile (which does not depend on the day) is cached per run."""
    from model.explain.tour import memory_profile, tour_record, weights_of

    run, data, evaluation = context.trained(run_id)
    key = context.run_key(run_id)
    profile = context.memo(
        ("tour_memory", *key),
        lambda: memory_profile(
            weights_of(run.model, run.config), data.test.x, run.config.time_step - 1,
            data.normaliser.target_std,
        ),
    )  # fmt: skip
    return context.memo(
        ("tour", *key, day),
        lambda: tour_record(run, data, evaluation, day, run_id=int(run_id), profile=profile),
    )


@job("tour_replay")
def tour_replay(context: JobContext, run_id: int, day: str | None = None):
    """The tour's day after each epoch of training (None when the run kept no weight snapshots)."""
    from model.explain.tour import replay_record

    run, data, _ = context.trained(run_id)
    record = tour(context, run_id, day)
    return context.memo(
        ("tour_replay", *context.run_key(run_id), day), lambda: replay_record(run, data, record)
    )


# Jobs a test suite adds (LENS_EXTRA_JOBS=module[,module], e.g. a job that sleeps): imported with
# the registry, so a worker process knows them too; none in production.
for _extra in filter(None, os.environ.get("LENS_EXTRA_JOBS", "").split(",")):
    importlib.import_module(_extra.strip())
