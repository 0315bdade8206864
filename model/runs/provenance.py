"""A run's provenance: how it was trained (path, kernel and why, TensorFlow, threads, device, worker).

``model.engine.training`` composes it on every ``TrainedRun``; ``execute_run`` stores it with
``record_provenance`` with the worker that trained it (``worker_identity``: the Dask worker's name
and address, the host and pid); ``describe_provenance`` words it for ``python -m model.runs show`` and the
Results page (TensorFlow-free, like the rest of the run store).
"""

from __future__ import annotations

import os
import socket
from typing import Any

from model.runs.schema import runs
from model.runs.store import RunStore


def record_provenance(store: RunStore, run_id: int, provenance: dict[str, Any]) -> None:
    """Store ``provenance`` (JSON-ready) on run ``run_id``."""
    with store.writing("recording how a run was trained") as conn:
        conn.execute(runs.update().where(runs.c.id == run_id).values(provenance=dict(provenance)))


def worker_identity() -> dict[str, Any]:
    """Who is training here: the Dask worker's name and address when this is one (the pool's
    workers, embedded or on another machine), and always the host and pid."""
    identity: dict[str, Any] = {"host": socket.gethostname(), "pid": os.getpid()}
    try:
        from distributed import get_worker

        worker = get_worker()
    except (ImportError, ValueError):  # not inside a Dask task: the CLI or a sweep worker
        return identity
    return {"name": str(worker.name), "address": str(worker.address), **identity}


def describe_worker(worker: dict[str, Any] | None) -> str | None:
    """ "Worker: lens-0 (tcp://10.0.0.5:40123) on gpu-box, pid 4242", or None if not recorded."""
    if not worker:
        return None
    where = f"on {worker.get('host', '?')}, pid {worker.get('pid', '?')}"
    if worker.get("name") is not None:
        return f"Worker: Dask worker {worker['name']} ({worker.get('address', '?')}) {where}"
    return f"Worker: process {where} (not a Dask worker)"


def describe_provenance(provenance: dict[str, Any] | None) -> list[str]:
    """Short lines saying how a run was trained; one line saying it was not recorded if so."""
    if not provenance:
        return ["Not recorded (trained before LSTM Lens stored how runs were trained)."]
    lines = [f"Kernel: {provenance.get('kernel', '?')} on the {provenance.get('path', '?')} path"]
    if provenance.get("kernel_reason"):
        lines.append(f"Why: {provenance['kernel_reason']}")
    threads = provenance.get("threads") or {}
    if threads:

        def count(n: Any) -> str:
            return "default" if not n else str(n)

        lines.append(
            f"Threads: intra-op {count(threads.get('intra_op'))}, inter-op {count(threads.get('inter_op'))}"
            f" on {threads.get('cpus', '?')} CPU(s)"
        )
    lines.append(f"Device: {provenance.get('device', '?')}; TensorFlow {provenance.get('tensorflow', '?')}")
    worker = describe_worker(provenance.get("worker"))
    if worker:
        lines.append(worker)
    return lines
