"""Engines for the two warehouse kinds: an embedded DuckDB file, or a PostgreSQL server."""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url


def data_dir() -> Path:
    """Directory for the embedded warehouse and the sandbox's files (EPISERVER_DATA_DIR, default ./data)."""
    return Path(os.environ.get("EPISERVER_DATA_DIR") or "data")


def default_warehouse_url() -> str:
    return f"duckdb:///{(data_dir() / 'warehouse.duckdb').resolve()}"


def normalise_url(url: str) -> URL:
    """Accept the usual spellings and pick the driver we ship: psycopg 3 for PostgreSQL."""
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername not in ("duckdb", "postgresql+psycopg"):
        raise ValueError(
            f"EPISERVER_WAREHOUSE_URL uses '{parsed.drivername}': only duckdb:/// and postgresql:// are supported"
        )
    return parsed


def create_warehouse_engine(url: str) -> sa.Engine:
    """An engine that holds no connection between uses.

    DuckDB lets one process at a time open a file for writing, so the embedded warehouse must not keep
    a pooled connection (and its file lock) while the run does other work. PostgreSQL keeps a small pool.
    """
    parsed = normalise_url(url)
    if parsed.drivername == "duckdb":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        return sa.create_engine(parsed, poolclass=sa.pool.NullPool)
    return sa.create_engine(parsed, pool_size=2, max_overflow=2, pool_pre_ping=True)


def describe_url(url: str) -> str:
    """The URL with any password masked, for logs and `doctor`."""
    return normalise_url(url).render_as_string(hide_password=True)
