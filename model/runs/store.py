"""The run store: every training (Train page, command line, sweep trial) as a row plus files.

One SQLAlchemy URL picks the database: an explicit ``url``, else the ``LENS_DB`` environment
variable, else ``sqlite:///runs/lens.db`` (relative to the working directory, created on first
use). PostgreSQL works the same way through psycopg 3 (``postgresql+psycopg://...``). Engine
set-up lives in ``model.runs.database``; the RunRecord snapshot in ``model.runs.records``.

Files live under ``<files root>/<run id>/`` (the SQLite database's directory by default, or
``LENS_RUNS_DIR``): ``model.keras`` + ``run.json`` (model.engine.saving), ``predictions.parquet``
and ``forecast.parquet``; price tables are stored once per fingerprint under ``data/``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator

import pandas as pd
import sqlalchemy as sa

from model.engine.config import LstmConfig
from model.errors import RunNotFoundError, StopRefusedError, StoreError
from model.runs import blobs, capability, files
from model.runs.database import (
    DEFAULT_URL,
    ENV_FILES,
    ENV_URL,
    create_engine,
    default_files_root,
    resolve_url,
)
from model.runs.records import RunRecord, record_from_row, record_to_dict
from model.runs.schema import (
    ACTIVE_STATUSES,
    ORIGINS,
    STATUSES,
    ensure_schema,
    epochs,
    metrics,
    runs,
)

__all__ = [
    "BUSY_SECONDS",
    "DEFAULT_URL",
    "ENV_FILES",
    "ENV_URL",
    "RunRecord",
    "RunStore",
    "open_store",
    "pid_alive",
    "record_to_dict",
    "resolve_url",
]

# How long a SQLite writer waits for another one before giving up (each write takes milliseconds).
BUSY_SECONDS = 30.0
# An arbitrary constant: the PostgreSQL advisory lock that serialises first-use schema creation.
_SCHEMA_LOCK = 0x4C454E53

# The metrics table's field names -> the evaluation metric table's column labels.
METRIC_FIELDS = {"rmse": "RMSE", "mae": "MAE", "mape": "MAPE %", "direction": "Direction %", "skill": "Skill"}


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)  # stored naive, always UTC


def pid_alive(pid: int | None) -> bool:
    """Whether a process of this host is still running (a zombie counts as ended)."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")


class RunStore:
    """Reads and writes runs. Safe to share between threads; each process opens its own."""

    def __init__(self, engine: sa.Engine, files_root: Path):
        self.engine = engine
        self.files_root = Path(files_root)
        self.where = engine.url.render_as_string(hide_password=True)
        # Writes on SQLite take the write lock when they begin (BEGIN IMMEDIATE), so two writers
        # queue on busy_timeout instead of one failing when it upgrades a read lock.
        self._write_engine = engine.execution_options(lens_write=True)
        # Where run files travel between machines (the database, or $LENS_ARTIFACTS): model.runs.blobs.
        self.blobs = blobs.open_blobs(engine)

    # -- plumbing -------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _guard(self, action: str) -> Iterator[None]:
        try:
            yield
        except sa.exc.DBAPIError as exc:
            lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
            detail = lines[0] if lines else type(exc).__name__
            if "locked" in detail.lower():
                raise StoreError(
                    f"The run database {self.where} stayed locked by another process for over "
                    f"{BUSY_SECONDS:.0f} s while {action}; try again."
                ) from exc
            raise StoreError(
                f"The run database {self.where} could not be used while {action}: {detail}"
            ) from exc

    @contextlib.contextmanager
    def writing(self, action: str) -> Iterator[sa.Connection]:
        """One write transaction (SQLite: ``BEGIN IMMEDIATE``, so writers queue instead of failing);
        a database error becomes a StoreError saying what was being done (``action``, e.g.
        "recording a fold"). The modules that keep their own tables beside the runs use it too."""
        with self._guard(action), self._write_engine.begin() as conn:
            yield conn

    @contextlib.contextmanager
    def reading(self, action: str) -> Iterator[sa.Connection]:
        """A read-only connection, errors as in ``writing``."""
        with self._guard(action), self.engine.connect() as conn:
            yield conn

    # Until model/runs/fold_runs.py (the orchestration work) calls ``reading``.
    _read = reading

    def close(self) -> None:
        self.engine.dispose()

    def run_dir(self, run_id: int) -> Path:
        return self.files_root / str(int(run_id))

    def _record(self, row, history=(), metric_rows=()) -> RunRecord:
        return record_from_row(row, self.files_root, history, metric_rows)

    # -- writing ----------------------------------------------------------------------------------

    def create_run(
        self,
        config: LstmConfig,
        prices,
        origin: str = "ui",
        *,
        study: str | None = None,
        trial: int | None = None,
        owner: str | None = None,
        description: str | None = None,
    ) -> int:
        """Store a queued run: its validated config and a snapshot of ``prices`` (a PriceTable or a
        DataFrame). Returns the new run's id."""
        from model.engine.network import count_parameters

        if origin not in ORIGINS:
            raise StoreError(f"origin must be one of {', '.join(ORIGINS)}, got {origin!r}.")
        config.validate()
        frame = prices.frame if hasattr(prices, "frame") else prices
        if not isinstance(frame, pd.DataFrame):
            raise StoreError("A run needs its price table (a PriceTable or a pandas DataFrame).")
        fp = files.fingerprint(frame)
        files.save_snapshot(self.files_root, frame, fp)  # before the row: a run never lacks its data
        with self._guard("storing the price snapshot"):
            blobs.upload_snapshot(self.blobs, self.files_root, fp)  # for workers on other machines
        values = dict(
            created=_now(),
            status="queued",
            origin=origin,
            study=study,
            trial=trial,
            config=config.to_dict(),
            parameters=count_parameters(config)["total"],
            data_description=description or files.describe(frame, getattr(prices, "source", None)),
            data_fingerprint=fp,
            epochs_run=0,
            stop_requested=False,
            owner=capability.digest(owner) if owner else None,
            worker_pid=os.getpid(),
            worker_host=socket.gethostname(),
        )
        with self.writing("creating a run") as conn:
            run_id = conn.execute(runs.insert().values(**values)).inserted_primary_key[0]
            conn.execute(runs.update().where(runs.c.id == run_id).values(files_dir=str(run_id)))
        return int(run_id)

    def start(self, run_id: int, pid: int | None = None, host: str | None = None) -> bool:
        """queued -> running, recording the worker. False if the run is no longer queued
        (stopped before it started, deleted, or taken by another worker)."""
        with self.writing("starting a run") as conn:
            result = conn.execute(
                runs.update()
                .where(runs.c.id == run_id, runs.c.status == "queued")
                .values(
                    status="running",
                    started=_now(),
                    worker_pid=pid or os.getpid(),
                    worker_host=host or socket.gethostname(),
                )
            )
        return result.rowcount == 1

    def progress(self, run_id: int, progress: dict[str, Any]) -> None:
        """The latest progress of a running run (the caller throttles how often)."""
        with self.writing("writing progress") as conn:
            conn.execute(
                runs.update().where(runs.c.id == run_id, runs.c.status == "running").values(progress=progress)
            )

    def add_epoch(self, run_id: int, epoch: int, loss: float | None, val_loss: float | None = None) -> None:
        with self.writing("writing an epoch") as conn:
            conn.execute(epochs.insert().values(run_id=run_id, epoch=epoch, loss=loss, val_loss=val_loss))
            conn.execute(runs.update().where(runs.c.id == run_id).values(epochs_run=epoch))

    def finish(
        self,
        run_id: int,
        status: str,
        *,
        seconds: float | None = None,
        best_epoch: int | None = None,
        stop_reason: str | None = None,
        error: str | None = None,
        metric_table: pd.DataFrame | None = None,
        progress: dict[str, Any] | None = None,
    ) -> bool:
        """End an active run with its final status. False (and nothing written) when the run had
        already ended: the first ending wins, so a late crash report cannot overwrite a result."""
        if status not in STATUSES or status in ACTIVE_STATUSES:
            raise StoreError(f"A run cannot finish as {status!r}.")
        values: dict[str, Any] = dict(status=status, finished=_now())
        for name, value in (
            ("seconds", seconds),
            ("best_epoch", best_epoch),
            ("stop_reason", stop_reason),
            ("error", error),
            ("progress", progress),
        ):
            if value is not None:
                values[name] = value
        with self.writing("finishing a run") as conn:
            result = conn.execute(
                runs.update().where(runs.c.id == run_id, runs.c.status.in_(ACTIVE_STATUSES)).values(**values)
            )
            if result.rowcount != 1:
                return False
            if metric_table is not None:
                conn.execute(metrics.delete().where(metrics.c.run_id == run_id))
                for who, row in metric_table.iterrows():
                    conn.execute(
                        metrics.insert().values(
                            run_id=run_id,
                            who=str(who),
                            **{name: _float(row.get(column)) for name, column in METRIC_FIELDS.items()},
                        )
                    )
        return True

    def fail(self, run_id: int, message: str, status: str = "failed") -> bool:
        return self.finish(run_id, status, error=message)

    def request_stop(self, run_id: int, owner: str | None = None) -> str:
        """Ask a run to stop; returns its status afterwards. A queued run is cancelled at once;
        a running one stops within a second, keeping its best weights. Only the owner that
        created the run may stop it (a run created without an owner may be stopped by anyone)."""
        record = self.get_run(run_id, with_history=False)
        if record.owner_hash is not None and not capability.matches(owner, record.owner_hash):
            raise StopRefusedError(
                f"Run {run_id} was started by another session; only that session can stop it."
            )
        return self.stop_unchecked(run_id)

    def stop_unchecked(self, run_id: int) -> str:
        """``request_stop`` without the capability check: for the engine's own coordinators,
        which pass on a stop already granted (a walk-forward run's Stop stops its fold runs)."""
        with self.writing("requesting a stop") as conn:
            conn.execute(
                runs.update()
                .where(runs.c.id == run_id, runs.c.status == "queued")
                .values(status="stopped", stop_reason="cancelled", finished=_now(), stop_requested=True)
            )
            conn.execute(
                runs.update()
                .where(runs.c.id == run_id, runs.c.status == "running")
                .values(stop_requested=True)
            )
        return self.get_run(run_id, with_history=False).status

    def stop_requested(self, run_id: int) -> bool:
        with self.reading("reading the stop flag") as conn:
            value = conn.execute(sa.select(runs.c.stop_requested).where(runs.c.id == run_id)).scalar()
        return bool(value) if value is not None else True  # a deleted run should stop too

    def mark_interrupted(self, host: str | None = None) -> list[int]:
        """Runs queued or running on this host whose process has ended become ``interrupted``
        (call at start-up). Returns their ids."""
        host = host or socket.gethostname()
        with self.reading("looking for interrupted runs") as conn:
            rows = conn.execute(
                sa.select(runs.c.id, runs.c.worker_pid).where(
                    runs.c.status.in_(ACTIVE_STATUSES), runs.c.worker_host == host
                )
            ).all()
        ended = [r.id for r in rows if not pid_alive(r.worker_pid)]
        marked = [
            run_id
            for run_id in ended
            if self.finish(
                run_id, "interrupted", error="The process running this run ended before it finished."
            )
        ]
        return marked

    def delete_run(self, run_id: int, owner: str | None = None) -> None:
        """Remove a run's rows and files (and its price snapshot when no other run uses it).
        A queued run of an owner may be deleted only with that owner's token (as Stop)."""
        record = self.get_run(run_id, with_history=False)
        if (
            record.active
            and record.owner_hash is not None
            and not capability.matches(owner, record.owner_hash)
        ):
            raise StopRefusedError(
                f"Run {run_id} is {record.status} for another session; only that session can stop or delete it "
                "(it can be deleted by anyone once it has ended)."
            )
        if record.status == "running":
            raise StoreError(f"Run {run_id} is still running; stop it before deleting it.")
        with self.writing("deleting a run") as conn:
            conn.execute(epochs.delete().where(epochs.c.run_id == run_id))
            conn.execute(metrics.delete().where(metrics.c.run_id == run_id))
            conn.execute(runs.delete().where(runs.c.id == run_id))
            shared = conn.execute(
                sa.select(sa.func.count())
                .select_from(runs)
                .where(runs.c.data_fingerprint == record.data_fingerprint)
            ).scalar()
        shutil.rmtree(record.files_dir, ignore_errors=True)
        with self._guard("deleting a run's files"):
            self.blobs.delete_run(int(run_id))
            if not shared:
                self.blobs.delete(blobs.snapshot_key(record.data_fingerprint))
        if not shared:
            files.snapshot_path(self.files_root, record.data_fingerprint).unlink(missing_ok=True)

    def upload_files(self, run_id: int) -> int:
        """Copy the run's files to where every machine finds them (call before the run ends);
        returns the bytes copied."""
        with self._guard("storing a run's files"):
            return blobs.upload_run(self.blobs, self.files_root, int(run_id))

    def download_files(self, record: RunRecord) -> None:
        """Bring an ended run's files to this machine's files root if they are not here yet
        (a run trained by a worker elsewhere)."""
        folder = record.files_dir
        if record.active or (folder.is_dir() and any(folder.iterdir())):
            return
        try:
            with self._guard("reading a run's files"):
                blobs.download_run(self.blobs, self.files_root, record.id)
        except OSError:
            pass  # this files root is not writable: the reader then says the file is missing

    # -- reading ----------------------------------------------------------------------------------

    def get_run(self, run_id: int, *, with_history: bool = True) -> RunRecord:
        with self.reading("reading a run") as conn:
            row = conn.execute(sa.select(runs).where(runs.c.id == run_id)).first()
            if row is None:
                raise RunNotFoundError(f"There is no run {run_id} in {self.where}.")
            history = []
            if with_history:
                for e in conn.execute(
                    sa.select(epochs).where(epochs.c.run_id == run_id).order_by(epochs.c.epoch)
                ):
                    entry = {"loss": e.loss}
                    if e.val_loss is not None:
                        entry["val_loss"] = e.val_loss
                    history.append(entry)
            metric_rows = conn.execute(sa.select(metrics).where(metrics.c.run_id == run_id)).all()
        record = self._record(row, history, metric_rows)
        self.download_files(record)
        return record

    def list_runs(
        self,
        *,
        status: str | Iterable[str] | None = None,
        origin: str | Iterable[str] | None = None,
        study: str | None = None,
        fingerprint: str | None = None,
        ids: Iterable[int] | None = None,
        limit: int | None = None,
    ) -> list[RunRecord]:
        """Runs newest first, with their metrics (not their per-epoch history: use get_run)."""
        query = sa.select(runs).order_by(runs.c.id.desc())
        for column, wanted in ((runs.c.status, status), (runs.c.origin, origin)):
            if wanted is not None:
                query = query.where(column.in_([wanted] if isinstance(wanted, str) else list(wanted)))
        if study is not None:
            query = query.where(runs.c.study == study)
        if fingerprint is not None:
            query = query.where(runs.c.data_fingerprint == fingerprint)
        if ids is not None:
            query = query.where(runs.c.id.in_([int(i) for i in ids]))
        if limit is not None:
            query = query.limit(limit)
        with self.reading("listing runs") as conn:
            rows = conn.execute(query).all()
            by_run: dict[int, list] = {}
            if rows:
                found = conn.execute(sa.select(metrics).where(metrics.c.run_id.in_([r.id for r in rows])))
                for m in found:
                    by_run.setdefault(m.run_id, []).append(m)
        return [self._record(r, (), by_run.get(r.id, ())) for r in rows]

    def load_prices(self, run_id: int) -> pd.DataFrame:
        """The exact price table the run was trained on."""
        record = self.get_run(run_id, with_history=False)
        path = files.snapshot_path(self.files_root, record.data_fingerprint)
        if not path.exists():
            with self._guard("reading a price snapshot"):
                blobs.download_snapshot(self.blobs, self.files_root, record.data_fingerprint)
        if not path.exists():
            raise StoreError(f"Run {run_id}'s price table is missing ({path}).")
        return files.read_frame(path)


def _float(value) -> float | None:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return None if value != value else value  # NaN -> NULL (PostgreSQL and JSON both dislike NaN)


# -- opening ---------------------------------------------------------------------------------------


def open_store(url: str | None = None, *, files_root: str | Path | None = None) -> RunStore:
    """Open (and on first use create) the run store at ``url``, ``$LENS_DB`` or ``runs/lens.db``.

    Raises StoreError with a clear message when the database cannot be reached or has a schema
    this version cannot use.
    """
    engine = create_engine(resolve_url(url), busy_seconds=BUSY_SECONDS)
    if files_root is None:
        files_root = default_files_root(engine.url)
    store = RunStore(engine, Path(files_root))
    try:
        with store.writing("opening the store") as conn:
            if engine.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK})
            ensure_schema(conn, store.where)
    except StoreError as exc:
        engine.dispose()
        if isinstance(exc.__cause__, sa.exc.DBAPIError):  # the driver's failure: say what to do about it
            from model.runs.opening import opening_advice

            raise StoreError(f"{exc} {opening_advice(engine.url, str(exc))}") from exc.__cause__
        raise
    except BaseException:
        engine.dispose()
        raise
    return store


class UnavailableStore:
    """Stands for a run store that could not be opened: every use raises the StoreError that said
    why (so a run cannot be queued), closing it does nothing."""

    def __init__(self, problem: StoreError):
        self.problem = problem

    def close(self) -> None:
        pass

    def __getattr__(self, name: str):
        raise self.problem
