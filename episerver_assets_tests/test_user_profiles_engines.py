"""The same input gives byte-identical profiles on DuckDB and PostgreSQL: JSON text, keys, order."""

from __future__ import annotations

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
