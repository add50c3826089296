"""The closed-loop assets end to end: sandbox SFTP -> validation -> warehouse partitions, with checks."""

from __future__ import annotations

import dagster as dg
import sqlalchemy as sa

from episerver_assets.defs.closed_loop.reader import read_response_file
from episerver_assets.defs.closed_loop.schemas import RESPONSE_TABLES
from episerver_assets.defs.closed_loop.warehouse_tables import warehouse_table
from episerver_assets.warehouse import WarehouseResource

from .closed_loop_runs import (  # noqa: F401 - fixtures
    DAY_1,
    DAY_2,
    DAY_3,
    check,
    instance,
    materialized,
    partition_rows,
    response_file,
    run_days,
    step_failure_message,
)


def test_a_range_of_days_loads_every_table_with_metadata_and_checks(sandbox, run_days, warehouse_url):
    result = run_days(DAY_1, DAY_2)
    assert result.success

    for table in RESPONSE_TABLES:
        expected = read_response_file(response_file(sandbox, table, DAY_1)).row_count
        assert partition_rows(warehouse_url, table, DAY_1) == expected
        metadata = materialized(result, table)
        assert set(metadata) == {DAY_1.isoformat(), DAY_2.isoformat()}
        day_1 = metadata[DAY_1.isoformat()]
        assert day_1["dagster/row_count"].value == expected
        assert day_1["file"].value == RESPONSE_TABLES[table].file_name(DAY_1)
        assert len(day_1["sha256"].value) == 64
        assert day_1["dagster/column_schema"].value.columns[0].name == RESPONSE_TABLES[table].columns[0].name
    for day in (DAY_1, DAY_2):
        assert check(result, "clicks", "schema", day).passed
        assert check(result, "clicks", "foreign_keys", day).passed
        assert check(result, "mailings", "all_files_present", day).passed


def test_rerun_replaces_partitions_without_duplicates(sandbox, run_days, warehouse_url):
    assert run_days(DAY_1, DAY_1).success
    before = partition_rows(warehouse_url, "opens", DAY_1)
    assert run_days(DAY_1, DAY_1).success
    assert partition_rows(warehouse_url, "opens", DAY_1) == before > 0


def test_invalid_file_fails_its_table_and_day_and_keeps_the_old_rows(sandbox, run_days, warehouse_url):
    assert run_days(DAY_1, DAY_1).success
    clicks = response_file(sandbox, "clicks", DAY_1)
    old_rows = partition_rows(warehouse_url, "clicks", DAY_1)
    lines = clicks.read_text(encoding="utf-8").splitlines(keepends=True)
    fields = lines[2].split(";")
    fields[5] = '"2026-13-45 25:00:00"'
    lines[2] = ";".join(fields)
    clicks.write_text("".join(lines), encoding="utf-8")

    result = run_days(DAY_1, DAY_1)

    assert not result.success
    assert partition_rows(warehouse_url, "clicks", DAY_1) == old_rows
    assert DAY_1.isoformat() not in materialized(result, "clicks")
    assert DAY_1.isoformat() in materialized(result, "opens")
    schema = check(result, "clicks", "schema", DAY_1)
    assert not schema.passed and schema.blocking
    failing = schema.metadata["failing_rows"].value
    assert "| 3 | created |" in failing
    assert "clicks" in step_failure_message(result)


def test_an_expired_day_fails_only_that_day(sandbox, run_days, warehouse_url):
    for table in RESPONSE_TABLES.values():
        response_file(sandbox, table.name, DAY_2).unlink()

    result = run_days(DAY_1, DAY_3)

    assert not result.success
    for table in RESPONSE_TABLES:
        assert set(materialized(result, table)) == {DAY_1.isoformat(), DAY_3.isoformat()}
    assert partition_rows(warehouse_url, "mailings", DAY_3) > 0
    assert check(result, "mailings", "all_files_present", DAY_1).passed
    missing = check(result, "mailings", "all_files_present", DAY_2)
    assert not missing.passed
    assert RESPONSE_TABLES["mailings"].file_name(DAY_2) in missing.metadata["missing_files"].value
    assert "expired" in step_failure_message(result)


def test_orphan_clicks_warn_with_their_count(sandbox, run_days, warehouse_url):
    links = response_file(sandbox, "links", DAY_1)
    header, *rows = links.read_text(encoding="utf-8").splitlines(keepends=True)
    links.write_text(header, encoding="utf-8")

    result = run_days(DAY_1, DAY_1)

    assert result.success
    foreign = check(result, "clicks", "foreign_keys", DAY_1)
    assert not foreign.passed
    assert foreign.severity == dg.AssetCheckSeverity.WARN
    expected = WarehouseResource(url=warehouse_url).scalar(
        sa.select(sa.func.count()).select_from(warehouse_table(RESPONSE_TABLES["clicks"]))
    )
    assert foreign.metadata["orphans: link_id -> links"].value == expected > 0
