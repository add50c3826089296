"""Engines for the two warehouse kinds: an embedded DuckDB file, or a PostgreSQL server."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

from ..redaction import mask_passwords
from ..settings import setting_value

CONNECT_TIMEOUT_SECONDS = 10
"""A PostgreSQL server that does not answer fails the connection after this long, not the OS's minutes."""


def default_warehouse_url() -> str:
    """EPISERVER_WAREHOUSE_URL, or the embedded file under EPISERVER_DATA_DIR."""
    return setting_value("EPISERVER_WAREHOUSE_URL")


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
        # Without a limit DuckDB keeps a whole uncommitted partition in memory: 10 M rows took 900 MiB,
        # 720-810 MiB with 256-512 MB, and no slower (benchmarks/closed_loop_stages.py load).
        memory_limit = setting_value("EPISERVER_DUCKDB_MEMORY_LIMIT")
        return sa.create_engine(parsed, poolclass=sa.pool.NullPool,
                                connect_args={"config": {"memory_limit": memory_limit}})
    return sa.create_engine(parsed, pool_size=2, max_overflow=2, pool_pre_ping=True,
                            connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS})


def describe_url(url: str) -> str:
    """The URL with any password masked, for logs, metadata and `doctor`."""
    return mask_passwords(normalise_url(url).render_as_string(hide_password=False))


class WarehouseUnreachable(RuntimeError):
    """The configured warehouse does not answer; the message is one line, password masked."""


def probe_warehouse(url: str) -> str:
    """Connect once and run `SELECT 1`; returns the dialect name or raises WarehouseUnreachable."""
    try:
        engine = create_warehouse_engine(url)
    except ModuleNotFoundError as error:
        raise WarehouseUnreachable(
            f"EPISERVER_WAREHOUSE_URL needs {error.name}, which is not installed: pip install -e '.[postgres]'"
        ) from None
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        return engine.dialect.name
    except Exception as error:  # noqa: BLE001 - any failure to connect ends in the same one-line message
        lines = str(getattr(error, "orig", None) or error).strip().splitlines() or [type(error).__name__]
        reason = " ".join(lines[0].split())
        raise WarehouseUnreachable(
            f"EPISERVER_WAREHOUSE_URL: cannot connect to {describe_url(url)}: {mask_passwords(reason)}"
        ) from None
    finally:
        engine.dispose()


def dialect_of(url: str) -> str:
    """`duckdb` or `postgresql`, from the URL alone (no connection)."""
    return normalise_url(url).get_backend_name()
