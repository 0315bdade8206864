"""Worker processes, one way: started by module, with a thread budget, recycled, replaced when they crash.

The run pool's embedded Dask cluster (``model.runs.cluster``: ``dask scheduler`` and ``dask worker``
commands, whose nannies recycle and replace the workers) and the sweep (``model.sweep.workers.
supervise``, its workers ``python -m model.sweep worker``, which also uses the recycling and
replacement rules below) start their processes here, so the rules live in one place:

- **By module.** Workers are ``python -m PACKAGE`` subprocesses, never multiprocessing's spawn:
  spawn re-imports the owner's ``__main__`` in the child, and inside Streamlit ``__main__`` is the
  page script being run, so a spawned worker would run the page, fail, and be respawned forever.
  The project root goes first on ``PYTHONPATH`` so the module is found from any working directory.
- **Thread limits.** ``limit_threads`` gives TensorFlow (and OpenMP) a number of intra-op threads
  before any op runs; the inter-op pool keeps at least 2 threads, because with 1 the input pipeline
  and the training step queue behind each other (a 3-epoch trial took 2-3x longer).
- **Recycling.** A worker ends itself after ``max_jobs`` jobs (``Recycler``), so its memory stays
  bounded; its owner then starts a fresh one, which is not counted as a crash.
- **Replacing a crashed worker.** ``Replacements`` is the budget: a slot whose worker keeps dying
  (a broken environment, out of memory) is given up after a few tries instead of looping forever.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import IO, Sequence

# Where ``python -m model...`` is found.
PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Exit code of a worker that ended itself after its ``max_jobs`` (EX_TEMPFAIL): its owner starts a
# fresh one if work is left, and does not count it as a crash.
RECYCLED_EXIT = 75


def threads_per_worker(workers: int) -> int:
    """An even share of this machine's cores for each of ``workers`` processes (at least 1)."""
    return max(1, (os.cpu_count() or 1) // max(1, workers))


def thread_env(threads: int) -> dict[str, str]:
    """Environment variables that keep TensorFlow and OpenMP to ``threads`` intra-op threads."""
    return {
        "OMP_NUM_THREADS": str(threads),
        "TF_NUM_INTRAOP_THREADS": str(threads),
        "TF_NUM_INTEROP_THREADS": str(max(2, threads)),
        "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"),
    }


def limit_threads(threads: int) -> None:
    """Keep this process's TensorFlow (and OpenMP) to ``threads`` threads; call before any TF op.

    Imports TensorFlow (a worker wants it loaded anyway, once, before its first job)."""
    threads = max(1, int(threads))
    os.environ.update(thread_env(threads))
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(max(2, threads))
    except RuntimeError:
        pass  # TensorFlow already ran an op in this process (a test calling a worker body directly)


def module_command(module: str, args: Sequence[str] = ()) -> list[str]:
    return [sys.executable, "-m", module, *map(str, args)]


def start_module(
    module: str,
    args: Sequence[str] = (),
    *,
    threads: int | None = None,
    log: Path | None = None,
    detach: bool = False,
    pass_fds: Sequence[int] = (),
    env: dict[str, str] | None = None,
) -> subprocess.Popen:
    """Start ``python -m module args`` from the project root.

    ``threads``: its thread budget (``thread_env``); ``log``: append its stdout and stderr there
    (else it shares the owner's); ``detach``: its own session, so it outlives the owner's terminal
    and Ctrl-C; ``pass_fds``: descriptors it inherits (a socket to its owner)."""
    path = os.pathsep.join(p for p in (str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")) if p)
    child_env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": path, **(env or {})}
    child_env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if threads is not None:
        child_env.update(thread_env(threads))
    command = module_command(module, args)
    out: IO[bytes] | None = None
    try:
        if log is not None:
            log.parent.mkdir(parents=True, exist_ok=True)
            out = open(log, "ab")
        return subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=child_env, stdin=subprocess.DEVNULL, pass_fds=tuple(pass_fds),
            stdout=out, stderr=subprocess.STDOUT if out is not None else None, start_new_session=detach,
        )  # fmt: skip
    finally:
        if out is not None:
            out.close()  # the child holds its own copy


class ChildProcess:
    """A worker subprocess with the few methods of a multiprocessing Process an owner uses."""

    def __init__(self, popen: subprocess.Popen):
        self.popen = popen
        self.pid = popen.pid
        # Readable when the process ends, so an owner's wait() notices a death at once.
        self.sentinel = os.pidfd_open(popen.pid) if hasattr(os, "pidfd_open") else None

    def is_alive(self) -> bool:
        return self.popen.poll() is None

    def join(self, timeout: float | None = None) -> None:
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            pass

    def terminate(self) -> None:
        if self.is_alive():
            self.popen.terminate()

    @property
    def exitcode(self) -> int | None:
        return self.popen.poll()  # negative: killed by that signal, as multiprocessing reports it

    def describe_exit(self) -> str:
        code = self.exitcode
        return (
            f"was killed by signal {-code}" if code is not None and code < 0 else f"exited with code {code}"
        )

    def release(self) -> None:
        if self.sentinel is not None:
            os.close(self.sentinel)
            self.sentinel = None


class Recycler:
    """Counts a worker's jobs; ``done()`` says True when it has done ``max_jobs`` and should exit."""

    def __init__(self, max_jobs: int | None):
        self.max_jobs = None if max_jobs is None else max(1, int(max_jobs))
        self.jobs = 0

    def done(self) -> bool:
        self.jobs += 1
        return self.max_jobs is not None and self.jobs >= self.max_jobs


class Replacements:
    """How often each worker slot may be restarted after a crash, and how many crashed in a row at start.

    ``allow(slot)`` spends one replacement of the slot (False once its budget is used);
    ``started_ok()`` resets the in-a-row count; ``failed_start()`` adds to it and says True when
    ``max_failed_starts`` workers in a row died before they were ready: a broken environment."""

    def __init__(self, per_slot: int | None = None, max_failed_starts: int | None = None):
        self.per_slot = per_slot
        self.max_failed_starts = max_failed_starts
        self.used: dict[object, int] = {}
        self.failed_starts = 0
        self.total = 0

    def allow(self, slot: object = None) -> bool:
        used = self.used.get(slot, 0)
        if self.per_slot is not None and used >= self.per_slot:
            return False
        self.used[slot] = used + 1
        self.total += 1
        return True

    def started_ok(self) -> None:
        self.failed_starts = 0

    def failed_start(self) -> bool:
        self.failed_starts += 1
        return self.max_failed_starts is not None and self.failed_starts >= self.max_failed_starts
