"""A run's provenance: how it was trained (path, kernel and why, TensorFlow, threads, device).

``model.engine.training`` composes it on every ``TrainedRun``; ``execute_run`` stores it with
``record_provenance``; ``describe_provenance`` words it for ``python -m model.runs show`` and the
Results page (TensorFlow-free, like the rest of the run store).
"""

from __future__ import annotations

from typing import Any

from model.runs.schema import runs
from model.runs.store import RunStore


def record_provenance(store: RunStore, run_id: int, provenance: dict[str, Any]) -> None:
    """Store ``provenance`` (JSON-ready) on run ``run_id``."""
    with store.writing("recording how a run was trained") as conn:
        conn.execute(runs.update().where(runs.c.id == run_id).values(provenance=dict(provenance)))


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
    return lines
