"""One training worker process: ``python -m model.runs.worker FD URL FILES_ROOT THREADS MAX_RUNS``.

Started by ``model.runs.workers.WorkerPool``; FD is this process's end of a socket pair to the
pool. The worker imports TensorFlow once (so the first Train press does not pay for it), says
("ready", pid), then trains each run id it is sent with ``execute_run``, clearing Keras' state
between runs, and answers ("done", run_id, retiring); a ("job", id, name, args, kwargs) it
answers with ("result", id, ok, value) (``model.runs.jobs``). It exits when sent None, when the pool
goes away, or after MAX_RUNS runs, so its memory stays bounded.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import sys
from multiprocessing.connection import Connection

from model.errors import StoreError
from model.runs.processes import Recycler, limit_threads

log = logging.getLogger(__name__)


def serve(conn: Connection, url: str, files_root: str, threads: int, max_runs: int) -> None:
    # Ctrl-C in the owner's terminal reaches the whole process group; the owner shuts us down.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # ``threads`` intra-op threads (the pool gives each worker all cores: one run at a time is
    # the usual case, see WorkerPool); the rules are model.runs.processes'.
    limit_threads(threads)
    import keras

    from model.runs.execute import execute_run
    from model.runs.jobs import JobContext, run_job, warm_up
    from model.runs.store import open_store

    store = open_store(url, files_root=files_root)
    context = JobContext(store)
    conn.send(("ready", os.getpid()))
    if not conn.poll():  # idle: build and trace the default network now rather than on a first visit
        warm_up(context)
    recycler = Recycler(max_runs)
    while True:
        try:
            run_id = conn.recv()
        except (EOFError, OSError):  # the pool is gone
            break
        if run_id is None:
            break
        if isinstance(run_id, tuple):  # ("job", id, name, args, kwargs): answer, not counted for recycling
            _, job_id, name, args, kwargs = run_id
            ok, value = run_job(context, name, args, kwargs)
            try:
                conn.send(("result", job_id, ok, value))
            except (OSError, EOFError):
                break
            except Exception as exc:  # noqa: BLE001 - a result that cannot be pickled
                log.exception("The result of job %s cannot be sent back", name)
                conn.send(("result", job_id, False, f"The result of '{name}' cannot be sent back: {exc}"))
            continue
        try:
            execute_run(store, run_id)
        except StoreError:
            pass  # the run's row is gone or the database unreachable: nothing left to write to
        finally:
            keras.backend.clear_session()
            gc.collect()
        retiring = recycler.done()
        conn.send(("done", run_id, retiring))
        if retiring:
            break
    store.close()


def main(argv: list[str]) -> None:
    fd, url, files_root, threads, max_runs = argv
    serve(Connection(int(fd)), url, files_root, int(threads), int(max_runs))


if __name__ == "__main__":
    main(sys.argv[1:])
