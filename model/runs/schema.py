"""The run store's tables and its schema version, with the one place that upgrades old databases.

Bump ``SCHEMA_VERSION`` when a table changes and add the step from the previous version to
``MIGRATIONS``; ``ensure_schema`` runs the steps in one transaction, so a failed upgrade leaves
the database as it was. A database this code cannot upgrade is refused, never written to.
"""

from __future__ import annotations

from typing import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from model.errors import StoreError

SCHEMA_VERSION = 5

# from_version -> step that brings a database from from_version to from_version + 1
# (registered below the tables).
MIGRATIONS: dict[int, Callable[[Connection], None]] = {}

STATUSES = ("queued", "running", "finished", "stopped", "failed", "interrupted")
ACTIVE_STATUSES = ("queued", "running")
ORIGINS = ("ui", "cli", "sweep")
METRIC_NAMES = ("rmse", "mae", "mape", "direction", "skill")

metadata = sa.MetaData()

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("created", sa.DateTime, nullable=False),
    sa.Column("started", sa.DateTime),
    sa.Column("finished", sa.DateTime),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("origin", sa.String(8), nullable=False),
    sa.Column("study", sa.String(200)),
    sa.Column("trial", sa.Integer),
    sa.Column("config", sa.JSON, nullable=False),
    sa.Column("parameters", sa.Integer),
    sa.Column("data_description", sa.Text, nullable=False, default=""),
    sa.Column("data_fingerprint", sa.String(64), nullable=False),
    sa.Column("seconds", sa.Float),
    sa.Column("epochs_run", sa.Integer, nullable=False, default=0),
    sa.Column("best_epoch", sa.Integer),
    sa.Column("stop_reason", sa.String(32)),
    sa.Column("error", sa.Text),
    sa.Column("progress", sa.JSON),
    sa.Column("stop_requested", sa.Boolean, nullable=False, default=False),
    # Version 2: the digest of the owner's Stop token (model.runs.capability), never the token itself.
    sa.Column("owner", sa.String(200)),
    # The process responsible for the run: the one that queued it, then the worker training it.
    sa.Column("worker_pid", sa.Integer),
    sa.Column("worker_host", sa.String(255)),
    sa.Column("files_dir", sa.Text),
    # How the run was trained (model.engine.choice.training_provenance); NULL before schema 3.
    sa.Column("provenance", sa.JSON),
    sa.Index("ix_runs_status", "status"),
    sa.Index("ix_runs_created", "created"),
    sa.Index("ix_runs_fingerprint", "data_fingerprint"),
)

epochs = sa.Table(
    "epochs",
    metadata,
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("epoch", sa.Integer, primary_key=True),
    sa.Column("loss", sa.Float),
    sa.Column("val_loss", sa.Float),
)

metrics = sa.Table(
    "metrics",
    metadata,
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("who", sa.String(16), primary_key=True),  # model | persistence
    *(sa.Column(name, sa.Float) for name in METRIC_NAMES),
)

# Walk-forward evidence (model.orchestration.walkforward): a parent run's settings and summary, and one row
# per (seed, fold) naming the child run that trained it and holding its scored record.
evidence_runs = sa.Table(
    "evidence_runs",
    metadata,
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("folds", sa.Integer, nullable=False),
    sa.Column("mode", sa.String(8), nullable=False),  # refit | warm
    sa.Column("seeds", sa.Integer, nullable=False),
    sa.Column("span", sa.Float, nullable=False),
    sa.Column("summary", sa.JSON),  # verdict, pooled Diebold-Mariano, spreads (when aggregated)
)

evidence_folds = sa.Table(
    "evidence_folds",
    metadata,
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("seed_index", sa.Integer, primary_key=True),
    sa.Column("fold", sa.Integer, primary_key=True),
    sa.Column("child_run_id", sa.Integer, nullable=False),
    sa.Column("warm_from", sa.Integer),  # warm mode: the child run whose weights this fold continues
    sa.Column("val_start", sa.Integer, nullable=False),
    sa.Column("test_start", sa.Integer, nullable=False),
    sa.Column("test_end", sa.Integer, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # queued | finished | failed
    sa.Column("error", sa.Text),
    sa.Column("record", sa.JSON),  # model.evidence.walkforward.FoldResult.to_dict()
    sa.Index("ix_evidence_folds_child", "child_run_id"),
)

# A run's files (model, predictions, forecast) and the price snapshots, as bytes in the database,
# so that a run trained on another machine opens here with no shared filesystem
# (model.runs.blobs; not used when LENS_ARTIFACTS names an fsspec URL). ``key`` is the file's path
# under the files root ("12/model.keras", "data/<fingerprint>.parquet"); ``run_id`` is NULL for a
# snapshot, which runs on the same prices share.
blobs = sa.Table(
    "blobs",
    metadata,
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), index=True),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
)

schema_version = sa.Table(
    "schema_version",
    metadata,
    sa.Column("version", sa.Integer, nullable=False),
)


def _upgrade_owner_digests(conn: Connection) -> None:
    """1 -> 2: owner tokens were stored as they are; keep only their digests."""
    from model.runs.capability import PREFIX, digest

    rows = conn.execute(sa.select(runs.c.id, runs.c.owner).where(runs.c.owner.is_not(None))).all()
    for run_id, owner in rows:
        if not owner.startswith(PREFIX):
            conn.execute(runs.update().where(runs.c.id == run_id).values(owner=digest(owner)))


def _upgrade_provenance(conn: Connection) -> None:
    """2 -> 3: runs.provenance (older runs keep NULL: their kernel was not recorded)."""
    if "provenance" in {column["name"] for column in sa.inspect(conn).get_columns("runs")}:
        return
    column_type = runs.c.provenance.type.compile(dialect=conn.dialect)
    conn.execute(sa.text(f"ALTER TABLE runs ADD COLUMN provenance {column_type}"))


MIGRATIONS[1] = _upgrade_owner_digests
MIGRATIONS[2] = _upgrade_provenance


def _upgrade_evidence(conn: Connection) -> None:
    """3 -> 4: the walk-forward evidence tables."""
    metadata.create_all(conn, tables=[evidence_runs, evidence_folds])


MIGRATIONS[3] = _upgrade_evidence


def _upgrade_blobs(conn: Connection) -> None:
    """4 -> 5: the blobs table (runs trained before keep their files on this machine's disk)."""
    metadata.create_all(conn, tables=[blobs])


MIGRATIONS[4] = _upgrade_blobs


def ensure_schema(conn: Connection, where: str) -> int:
    """Create the tables in an empty database, upgrade an older one, refuse anything else.

    Runs inside the caller's write transaction (which serialises concurrent first uses).
    Returns the version the database has afterwards.
    """
    tables = set(sa.inspect(conn).get_table_names())
    if "schema_version" not in tables:
        if tables & {"runs", "epochs", "metrics"}:
            raise StoreError(
                f"{where} has tables named runs/epochs/metrics but no schema_version table: it is not an "
                "LSTM Lens run database (or one from before versioning). Point LENS_DB or --db elsewhere."
            )
        metadata.create_all(conn)
        conn.execute(schema_version.insert().values(version=SCHEMA_VERSION))
        return SCHEMA_VERSION
    found = conn.execute(sa.select(schema_version.c.version)).scalars().all()
    if len(found) != 1:
        raise StoreError(
            f"{where} has a damaged schema_version table ({len(found)} rows); refusing to use it."
        )
    version = int(found[0])
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{where} was written by a newer LSTM Lens (run store schema {version}; this version reads up to "
            f"{SCHEMA_VERSION}). Upgrade LSTM Lens, or point LENS_DB or --db at another database."
        )
    if version < SCHEMA_VERSION:
        missing = [v for v in range(version, SCHEMA_VERSION) if v not in MIGRATIONS]
        if missing:
            raise StoreError(
                f"{where} uses run store schema {version}, which this version cannot upgrade to "
                f"{SCHEMA_VERSION}. It was left unchanged; point LENS_DB or --db at a new database."
            )
        for step in range(version, SCHEMA_VERSION):
            MIGRATIONS[step](conn)
        conn.execute(schema_version.update().values(version=SCHEMA_VERSION))
    return SCHEMA_VERSION
