"""One file's unexpected failure (a database refusing a value, a parser crash) fails that file only:
the other files of the run load, are materialized and get their checks, and the step names the file."""

from __future__ import annotations

import sqlalchemy as sa

from episerver_assets.defs.closed_loop import loading
from episerver_assets.defs.closed_loop.schemas import RESPONSE_TABLES
from episerver_assets.defs.closed_loop.warehouse_tables import warehouse_table
from episerver_assets.warehouse import WarehouseResource

from .closed_loop_runs import (  # noqa: F401 - fixtures
    DAY_1,
    DAY_2,
    check,
    instance,
    materialized,
    partition_rows,
    run_days,
    step_failure_message,
)


def _opens_refusing_every_row(warehouse_url: str) -> None:
    """Create `closed_loop.opens` before the run with a constraint no row meets: the engine itself
    refuses the load, as it would a value out of range."""
    refusing = sa.MetaData()
    table = warehouse_table(RESPONSE_TABLES["opens"]).to_metadata(refusing)
    table.append_constraint(sa.CheckConstraint("mailing_id < 0", name="refuse_every_row"))
    warehouse = WarehouseResource(url=warehouse_url)
    warehouse.ensure_table(table)


def _clicks_reader_crashes_after_one_batch(monkeypatch) -> None:
    real = loading.iter_response_batches

    def crashing(path, table, batch_rows, **kwargs):
        batches = real(path, table, batch_rows, **kwargs)
        if table.name != "clicks":
            return batches

        def first_then_crash():
            yield next(batches)
            raise RuntimeError("parser state corrupted")

        return first_then_crash()

    monkeypatch.setattr(loading, "iter_response_batches", crashing)


def test_a_database_error_and_a_crash_fail_only_their_files(sandbox, run_days, warehouse_url, monkeypatch):
    _opens_refusing_every_row(warehouse_url)
    _clicks_reader_crashes_after_one_batch(monkeypatch)

    result = run_days(DAY_1, DAY_2)

    assert not result.success
    failed = {"opens", "clicks"}
    for table in RESPONSE_TABLES:
        days = set(materialized(result, table))
        if table in failed:
            assert days == set()
            assert partition_rows(warehouse_url, table, DAY_1) == 0  # rolled back, nothing half written
        else:
            assert days == {DAY_1.isoformat(), DAY_2.isoformat()}, table
            assert partition_rows(warehouse_url, table, DAY_2) > 0
        for day in (DAY_1, DAY_2):
            assert check(result, table, "schema", day).passed == (table not in failed)
    assert check(result, "links", "primary_key_unique", DAY_2).passed
    assert check(result, "mailings", "all_files_present", DAY_2).passed

    opens = check(result, "opens", "schema", DAY_1).metadata["failing_rows"].value
    assert "20261117_opens.csv could not be loaded" in opens
    # DuckDB's relation insert reports a violated constraint only as an aborted transaction.
    refused = "CheckViolation" if warehouse_url.startswith("postgresql") else "TransactionException"
    assert f"20261117_opens.csv could not be loaded ({refused}" in opens
    clicks = check(result, "clicks", "schema", DAY_2).metadata["failing_rows"].value
    assert "20261118_clicks.csv could not be loaded (RuntimeError: parser state corrupted)" in clicks
    message = step_failure_message(result)
    assert "4 response file(s) could not be loaded" in message
    assert "20261117_opens.csv" in message and "20261117_clicks.csv" in message
    assert "@" not in message and "@" not in opens
