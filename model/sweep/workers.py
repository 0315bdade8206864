"""Trial workers: processes that take trials of one study until its budget is used.

``run_worker`` is the body of one worker process (``python -m model.sweep worker``): it limits
TensorFlow to its share of the cores, loads the study's prices once, then runs one trial at a
time, clearing Keras' state after each so its memory stays flat. Any number of workers, on any
number of machines sharing a server storage, can join one study.

``supervise`` (``python -m model.sweep run``, and ``start`` after creating the study) starts the
workers of this machine as child processes, waits for them, and replaces one that crashed while
budget is left: its trial is failed, the study continues, and the supervisor itself never dies
with a worker. The Tune page launches ``supervise`` as a detached process (``launch``), so the
study outlives reruns, reloads and even the Streamlit server; everything about it is found again
through the study's name in the storage.
"""

from __future__ import annotations

import gc
import os
import signal
import socket
import time

from model.errors import LensError
from model.runs.processes import (  # noqa: F401 - limit_threads, threads_per_worker: this module's API too
    RECYCLED_EXIT,
    ChildProcess,
    Recycler,
    Replacements,
    limit_threads,
    start_module,
    threads_per_worker,
)
from model.sweep.paths import log_path

# A worker that keeps crashing (out of memory, say) is replaced at most this many times per worker slot.
MAX_REPLACEMENTS_PER_WORKER = 2
# Trials a worker process runs before it ends and the supervisor starts a fresh one (memory bound;
# Keras' state is cleared after every trial, but TensorFlow's own caches still grow slowly).
DEFAULT_MAX_TRIALS = 20
SUPERVISOR_POLL_SECONDS = 0.5


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def worker_tag() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def run_worker(
    name: str,
    storage: str | None = None,
    *,
    db: str | None = None,
    threads: int | None = None,
    index: int = 0,
    max_trials: int | None = None,
) -> tuple[int, bool]:
    """Run trials of study ``name`` until its budget is used or it is stopped, or ``max_trials``
    were run; return how many, and whether it stopped for ``max_trials`` (to be recycled)."""
    import optuna

    from model.data.sources import load_source
    from model.logs import import_tensorflow
    from model.runs.store import open_store
    from model.sweep.objective import StudyStopped, TrialFailed, make_objective, make_pruner, parse_objective
    from model.sweep.study import (
        budget_left,
        open_study,
        resolve_storage_url,
        settings_of,
        stop_requested,
    )

    import_tensorflow()  # its start-up chatter into the log file, before limit_threads imports it
    limit_threads(threads or threads_per_worker(1))
    import keras

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    url = resolve_storage_url(storage, db)
    settings = settings_of(open_study(name, url))
    epochs = settings.space.config_from_params({}).epochs
    seed = None if settings.sampler_seed is None else settings.sampler_seed + index
    # constant_liar: a worker's sampler treats the other workers' running trials as bad results,
    # so parallel workers do not all try the same corner of the space.
    sampler = optuna.samplers.TPESampler(seed=seed, constant_liar=True, n_startup_trials=5)
    kind, folds = parse_objective(settings.objective)
    steps = folds if kind == "folds" else epochs  # what a trial reports after: epochs, or folds
    study = open_study(name, url, sampler=sampler, pruner=make_pruner(settings.pruner, epochs=steps))
    prices = load_source(settings.source)
    store = open_store(db or settings.run_db)
    tag = worker_tag()
    study.set_user_attr(f"worker:{tag}", {"started": time.time(), "threads": threads})
    objective = make_objective(
        name,
        settings.space,
        prices,
        store,
        stop_requested=lambda: stop_requested(study),
        on_trial_start=lambda trial: trial.set_user_attr("worker", tag),
        objective=settings.objective,
    )
    done, recycled = 0, False
    recycler = Recycler(max_trials)
    try:
        while budget_left(study, settings_of(study)):
            study.optimize(objective, n_trials=1, catch=(TrialFailed, StudyStopped, LensError))
            done += 1
            keras.backend.clear_session()
            gc.collect()
            if recycler.done():
                recycled = bool(budget_left(study, settings_of(study)))
                break
    finally:
        store.close()
        study.set_user_attr(f"worker:{tag}", {"ended": time.time(), "trials": done})
    return done, recycled


def worker_args(
    name: str, storage: str, *, db: str | None, threads: int, index: int, max_trials: int = DEFAULT_MAX_TRIALS
) -> list[str]:
    args = [
        "worker",
        "--study",
        name,
        "--storage",
        storage,
        "--threads",
        str(threads),
        "--index",
        str(index),
        "--max-trials",
        str(max_trials),
    ]
    if db:
        args += ["--db", db]
    return args


def supervise(
    name: str,
    storage: str | None = None,
    *,
    workers: int | None = None,
    db: str | None = None,
    on_poll=None,
    max_trials: int = DEFAULT_MAX_TRIALS,
) -> int:
    """Run ``workers`` worker processes for the study until they end; return 0, or 1 if the
    last workers crashed. A worker that ends after ``max_trials`` is replaced by a fresh one while
    budget is left (not counted as a crash). Ctrl-C stops the study cleanly (workers finish their epoch)."""
    from model.sweep.study import budget_left, open_study, request_stop, resolve_storage_url

    url = resolve_storage_url(storage, db)
    study = open_study(name, url)
    count = workers or default_workers()
    threads = threads_per_worker(count)

    def spawn(index: int) -> ChildProcess:
        args = worker_args(name, url, db=db, threads=threads, index=index, max_trials=max_trials)
        return ChildProcess(
            start_module("model.sweep", args, threads=threads, log=log_path(name, f"worker-{index}", db))
        )

    tag = f"supervisor:{worker_tag()}"
    study.set_user_attr(tag, {"started": time.time(), "workers": count})
    procs = {index: spawn(index) for index in range(count)}
    replacements = Replacements(per_slot=MAX_REPLACEMENTS_PER_WORKER)
    crashed = False
    # Ctrl-C reaches the whole process group: workers ignore it (see main), we turn it into a stop.
    try:
        while procs:
            time.sleep(SUPERVISOR_POLL_SECONDS)
            for index, proc in list(procs.items()):
                code = proc.exitcode
                if code is None:
                    continue
                del procs[index]
                proc.release()
                if code == RECYCLED_EXIT:
                    procs[index] = spawn(index)  # did its max_trials; the budget is checked by the new one
                    continue
                crashed = code != 0
                if crashed:
                    study = open_study(name, url)  # fails the trial the dead worker left running
                    if budget_left(study) and replacements.allow(index):
                        procs[index] = spawn(index)
            if on_poll is not None:
                on_poll()
    except KeyboardInterrupt:
        request_stop(name, url)
        for proc in procs.values():
            proc.join()
            proc.release()
        open_study(name, url).set_user_attr(tag, {"ended": time.time()})
        return 130
    open_study(name, url).set_user_attr(tag, {"ended": time.time()})
    return 1 if crashed else 0


def launch(
    name: str, storage: str | None = None, *, workers: int | None = None, db: str | None = None
) -> int:
    """Start ``supervise`` for the study in a detached process (it outlives the caller); return its pid."""
    from model.sweep.study import open_study, resolve_storage_url

    url = resolve_storage_url(storage, db)
    args = ["run", name, "--storage", url, "--workers", str(workers or default_workers())]
    if db:
        args += ["--db", db]
    proc = start_module("model.sweep", args, log=log_path(name, "supervisor", db), detach=True)
    # Written now, not when the supervisor has imported Optuna: a page polling right after
    # Start must already see that someone works on the study.
    open_study(name, url).set_user_attr(
        f"supervisor:{socket.gethostname()}:{proc.pid}", {"started": time.time()}
    )
    return proc.pid


def ignore_interrupts() -> None:
    """Workers leave Ctrl-C to their supervisor, which stops the study so they end cleanly."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
