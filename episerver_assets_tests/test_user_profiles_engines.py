"""The same input gives byte-identical profiles on DuckDB and PostgreSQL: JSON text, keys, order."""

from __future__ import annotations

import sqlalchemy as sa

from episerver_assets.defs.profiles.build import build_profiles
from episerver_assets.warehouse import WarehouseResource

from .user_profiles_support import build, generated_days, load_day, profile_rows


def test_duckdb_and_postgresql_build_identical_rows(duckdb_url, postgres_url):
    built = {}
    for url in (duckdb_url, postgres_url):
        warehouse = WarehouseResource(url=url)
        build(warehouse)
        for day in generated_days(seed=21, days=3):
            load_day(warehouse, day)
        build(warehouse)
        built[warehouse.dialect] = profile_rows(warehouse)
    assert built["duckdb"] == built["postgresql"]
    links = "".join(row["ep_links"] or "" for row in built["duckdb"])
    assert all(escaped in links for escaped in ("\\t", '\\"', "\\\\", "€"))  # the escapes were exercised


def test_duckdb_build_runs_with_its_own_memory_limit_and_the_next_connection_with_the_warehouse_one(
        duckdb_url, monkeypatch):
    monkeypatch.setenv("EPISERVER_DUCKDB_MEMORY_LIMIT", "200MB")
    monkeypatch.setenv("EPISERVER_PROFILES_DUCKDB_MEMORY_LIMIT", "300MB")
    warehouse = WarehouseResource(url=duckdb_url)
    build(warehouse)  # creates the tables
    limit = "SELECT current_setting('memory_limit')"
    with warehouse.begin() as connection:
        before = connection.execute(sa.text(limit)).scalar()
        build_profiles(connection)
        during = connection.execute(sa.text(limit)).scalar()
    after = warehouse.scalar(limit)
    # MiB as DuckDB shows them
    assert before.startswith("190.") and during.startswith("286.") and after.startswith("190.")
