"""Where a run's files travel between machines: the run store's database, or an fsspec URL.

A worker writes a run's files (``model.keras``, ``run.json``, predictions, forecast) to its own
files root as before, then ``upload_run`` copies them to the shared place; the price snapshot is
copied when the run is created. Any process that opens the run later (the server, another worker,
``python -m model.runs``) calls ``download_run`` / ``download_snapshot``, which copy what its own
files root lacks. So no shared filesystem is needed: only the database every process already uses.

- **Database** (default): the ``blobs`` table of ``model.runs.schema``, one row per file.
- **fsspec** (``LENS_ARTIFACTS=file:///shared/lens``, ``s3://bucket/lens``, ...): the same keys as
  paths under that URL; the database then holds rows only.

A key is the file's path under the files root: ``"<run id>/<name>"``, ``"data/<fingerprint>.parquet"``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import sqlalchemy as sa

from model.runs.files import DATA_DIR, write_atomically
from model.runs.schema import blobs

ENV_ARTIFACTS = "LENS_ARTIFACTS"
# A folder downloaded whole is marked, so that opening it again does not ask the database.
COMPLETE_MARK = ".downloaded"


def artifacts_url() -> str | None:
    return (os.environ.get(ENV_ARTIFACTS) or "").strip() or None


class DatabaseBlobs:
    """Files as rows of the ``blobs`` table."""

    def __init__(self, engine: sa.Engine):
        self.engine = engine

    def put(self, key: str, data: bytes, run_id: int | None) -> None:
        with self.engine.begin() as conn:
            conn.execute(blobs.delete().where(blobs.c.key == key))
            conn.execute(blobs.insert().values(key=key, run_id=run_id, size=len(data), data=data))

    def has(self, key: str) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(blobs.c.key).where(blobs.c.key == key)).first() is not None

    def get(self, key: str) -> bytes | None:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(blobs.c.data).where(blobs.c.key == key)).scalar()

    def run_files(self, run_id: int) -> Iterator[tuple[str, bytes]]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(blobs.c.key, blobs.c.data).where(blobs.c.run_id == run_id)).all()
        yield from ((key, bytes(data)) for key, data in rows)

    def delete_run(self, run_id: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(blobs.delete().where(blobs.c.run_id == run_id))

    def delete(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(blobs.delete().where(blobs.c.key == key))

    def sizes(self, run_id: int) -> dict[str, int]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(blobs.c.key, blobs.c.size).where(blobs.c.run_id == run_id)).all()
        return {key: int(size) for key, size in rows}


class FsspecBlobs:
    """Files under an fsspec URL (a shared directory, an object store)."""

    def __init__(self, url: str):
        import fsspec

        self.fs, root = fsspec.core.url_to_fs(url)
        self.root = root.rstrip("/")

    def _path(self, key: str) -> str:
        return f"{self.root}/{key}"

    def put(self, key: str, data: bytes, run_id: int | None) -> None:
        path = self._path(key)
        self.fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
        with self.fs.open(path, "wb") as out:
            out.write(data)

    def has(self, key: str) -> bool:
        return bool(self.fs.exists(self._path(key)))

    def get(self, key: str) -> bytes | None:
        try:
            with self.fs.open(self._path(key), "rb") as src:
                return src.read()
        except FileNotFoundError:
            return None

    def run_files(self, run_id: int) -> Iterator[tuple[str, bytes]]:
        folder = self._path(str(int(run_id)))
        if not self.fs.exists(folder):
            return
        for path in self.fs.find(folder):
            key = path[len(self.root) + 1 :] if path.startswith(self.root) else path
            with self.fs.open(path, "rb") as src:
                yield key, src.read()

    def delete_run(self, run_id: int) -> None:
        folder = self._path(str(int(run_id)))
        if self.fs.exists(folder):
            self.fs.rm(folder, recursive=True)

    def delete(self, key: str) -> None:
        if self.fs.exists(self._path(key)):
            self.fs.rm(self._path(key))

    def sizes(self, run_id: int) -> dict[str, int]:
        folder = self._path(str(int(run_id)))
        if not self.fs.exists(folder):
            return {}
        return {p[len(self.root) + 1 :]: int(self.fs.size(p)) for p in self.fs.find(folder)}


def open_blobs(engine: sa.Engine, url: str | None = None):
    url = url or artifacts_url()
    return FsspecBlobs(url) if url else DatabaseBlobs(engine)


def upload_run(store_blobs, files_root: Path, run_id: int) -> int:
    """Copy every file of the run's folder to the shared place; returns the bytes copied."""
    folder = files_root / str(int(run_id))
    total = 0
    if not folder.is_dir():
        return 0
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            data = path.read_bytes()
            store_blobs.put(path.relative_to(files_root).as_posix(), data, int(run_id))
            total += len(data)
    return total


def download_run(store_blobs, files_root: Path, run_id: int) -> bool:
    """Copy the run's files this machine lacks from the shared place; True if the folder is complete."""
    folder = files_root / str(int(run_id))
    if (folder / COMPLETE_MARK).exists():
        return True
    found = False
    for key, data in store_blobs.run_files(int(run_id)):
        found = True
        path = files_root / key
        if not path.exists():
            write_atomically(path, lambda tmp, data=data: Path(tmp).write_bytes(data))
    if found:
        (folder / COMPLETE_MARK).touch()
    return found


def snapshot_key(fp: str) -> str:
    return f"{DATA_DIR}/{fp}.parquet"


def upload_snapshot(store_blobs, files_root: Path, fp: str) -> None:
    path = files_root / snapshot_key(fp)
    if path.exists() and not store_blobs.has(snapshot_key(fp)):
        try:
            store_blobs.put(snapshot_key(fp), path.read_bytes(), None)
        except sa.exc.IntegrityError:
            pass  # another process stored the same prices at the same moment: same key, same bytes


def download_snapshot(store_blobs, files_root: Path, fp: str) -> bool:
    path = files_root / snapshot_key(fp)
    if path.exists():
        return True
    data = store_blobs.get(snapshot_key(fp))
    if data is None:
        return False
    write_atomically(path, lambda tmp: Path(tmp).write_bytes(data))
    return True
