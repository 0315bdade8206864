"""What to do when the run store cannot be opened: advice appended to the StoreError's message.

The error already names the database and what went wrong; the advice depends on the kind of
database (a SQLite file can be moved aside, a PostgreSQL server must be reachable).
"""

from __future__ import annotations

import sqlalchemy as sa


def opening_advice(url: sa.URL, detail: str) -> str:
    """One sentence: what the user can do about ``detail`` (the driver's first line) at ``url``."""
    lowered = detail.lower()
    if "locked" in lowered:
        return "Another process holds it; try again in a moment."
    if url.get_backend_name() == "sqlite":
        if "not a database" in lowered or "malformed" in lowered or "disk image" in lowered:
            return (
                f"The file {url.database} is not a usable SQLite database: move it aside (a new, empty run store "
                "is created in its place) or point LENS_DB at another database, then reload."
            )
        return (
            f"Check that {url.database} and its directory can be read and written, or point LENS_DB at "
            "another database, then reload."
        )
    where = f"{url.host or 'localhost'}:{url.port or 5432}"
    return (
        f"Check that the database server at {where} is running and accepts connections (and the "
        "database exists), or point LENS_DB at another database, then reload."
    )
