"""A Dask preload that ends an embedded cluster's process when the process that started it has gone.

The embedded cluster's scheduler and ``dask worker`` processes are started with
``--preload model.runs.owner_watch`` (the worker command with ``--preload-nanny``) and the owner's
pid in ``LENS_OWNER_PID``. A server killed with SIGKILL runs no clean-up, so without this its
scheduler and workers would live on; with it they end within about a second (SIGTERM to
themselves: Dask's own orderly shutdown). Processes started by hand (``dask scheduler``,
``dask worker`` for ``LENS_DASK``) have no owner and are left alone.
"""

from __future__ import annotations

import os
import signal
import threading
import time

ENV_OWNER = "LENS_OWNER_PID"


def owner_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _watch(pid: int) -> None:
    while owner_alive(pid):
        time.sleep(1.0)
    os.kill(os.getpid(), signal.SIGTERM)


def dask_setup(server) -> None:
    pid = int(os.environ.get(ENV_OWNER) or 0)
    if pid > 0:
        threading.Thread(target=_watch, args=(pid,), name="lstm-lens-owner-watch", daemon=True).start()
