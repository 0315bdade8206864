"""One training worker process: ``python -m model.runs.worker FD URL FILES_ROOT THREADS MAX_RUNS``.

Started by ``model.runs.workers.WorkerPool``; FD is this process's end of a socket pair to the
pool. The worker imports TensorFlow once (so the first Train press does not pay for it), says
("ready", pid), then trains each run id it is sent with ``execute_run``, clearing Keras' state
between runs, and answers ("done", run_id, retiring). It exits when sent None, when the pool
goes away, or after MAX_RUNS runs, so its memory stays bounded.
"""

from __future__ import annotations

import gc
import os
import signal
import sys
from multiprocessing.connection import Connection

from model.errors import StoreError


def serve(conn: Connection, url: str, files_root: str, threads: int, max_runs: int) -> None:
    # Ctrl-C in the owner's terminal reaches the whole process group; the owner shuts us down.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ["OMP_NUM_THREADS"] = str(threads)
    import keras
    import tensorflow as tf

    # ``threads`` intra-op threads for the arithmetic (the pool gives each worker all cores: one
    # run at a time is the usual case, see WorkerPool). The inter-op pool keeps at least 2
    # threads: with 1, input and training step queue behind each other and a run took 2-3x
    # longer (measured by the sweep workers, which do the same).
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(max(2, threads))

    from model.runs.execute import execute_run
    from model.runs.store import open_store

    store = open_store(url, files_root=files_root)
    conn.send(("ready", os.getpid()))
    done = 0
    while True:
        try:
            run_id = conn.recv()
        except (EOFError, OSError):  # the pool is gone
            break
        if run_id is None:
            break
        try:
            execute_run(store, run_id)
        except StoreError:
            pass  # the run's row is gone or the database unreachable: nothing left to write to
        finally:
            keras.backend.clear_session()
            gc.collect()
        done += 1
        retiring = done >= max_runs
        conn.send(("done", run_id, retiring))
        if retiring:
            break
    store.close()


def main(argv: list[str]) -> None:
    fd, url, files_root, threads, max_runs = argv
    serve(Connection(int(fd)), url, files_root, int(threads), int(max_runs))


if __name__ == "__main__":
    main(sys.argv[1:])
