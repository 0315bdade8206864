"""Stored runs: every training remembered (store), trained by one path (execute) on Dask workers (workers)."""

from model.runs.store import RunRecord, RunStore, open_store

__all__ = ["RunRecord", "RunStore", "open_store"]
