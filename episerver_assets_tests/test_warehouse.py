"""The warehouse resource on both engines: DDL, bulk load, atomic partition replace, concurrency."""

from __future__ import annotations

import datetime as dt
import multiprocessing

import pandas as pd
import pyarrow as pa
import pytest
import sqlalchemy as sa

from episerver_assets.warehouse import WarehouseResource
from episerver_assets.warehouse.engines import describe_url, normalise_url

DAY_1, DAY_2 = dt.date(2026, 11, 1), dt.date(2026, 11, 2)


def clicks_table() -> sa.Table:
    return sa.Table(
        "clicks_test",
        sa.MetaData(),
        sa.Column("link_id", sa.BigInteger, nullable=False),
        sa.Column("user_id", sa.Text),
        sa.Column("created", sa.DateTime),
        sa.Column("partition_date", sa.Date, nullable=False),
        schema="closed_loop",
    )


def day_rows(day: dt.date, count: int, offset: int = 0) -> pa.Table:
    return pa.table(
        {
            "link_id": pa.array(range(offset, offset + count), pa.int64()),
            "user_id": [f"user{i}@example.com" for i in range(offset, offset + count)],
            "created": pa.array([dt.datetime(2026, 11, 1, 12, 7, 55)] * count, pa.timestamp("us")),
            "partition_date": pa.array([day] * count, pa.date32()),
        }
    )


def test_ensure_table_is_idempotent(warehouse):
    table = clicks_table()
    warehouse.ensure_table(table)
    warehouse.ensure_table(table)
    assert warehouse.row_count(table) == 0


def test_replace_partition_never_duplicates_and_leaves_other_days(warehouse):
    table = clicks_table()
    warehouse.ensure_table(table)
    warehouse.replace_partition(table, "partition_date", DAY_1, day_rows(DAY_1, 100))
    warehouse.replace_partition(table, "partition_date", DAY_2, day_rows(DAY_2, 50))
    warehouse.replace_partition(table, "partition_date", DAY_1, day_rows(DAY_1, 70, offset=1000))

    assert warehouse.row_count(table, "partition_date", DAY_1) == 70
    assert warehouse.row_count(table, "partition_date", DAY_2) == 50
    assert warehouse.scalar(sa.select(sa.func.min(table.c.link_id)).where(table.c.partition_date == DAY_1)) == 1000


def test_failure_in_the_middle_of_a_replace_keeps_the_old_rows(warehouse):
    table = clicks_table()
    warehouse.ensure_table(table)
    warehouse.replace_partition(table, "partition_date", DAY_1, day_rows(DAY_1, 100))

    def batches_then_failure():
        yield day_rows(DAY_1, 10, offset=5000)
        raise ValueError("line 12: bad date")

    with pytest.raises(ValueError, match="bad date"):
        warehouse.replace_partition(table, "partition_date", DAY_1, batches_then_failure())

    assert warehouse.row_count(table, "partition_date", DAY_1) == 100
    assert warehouse.scalar(sa.select(sa.func.max(table.c.link_id))) == 99


def test_awkward_values_round_trip_exactly(warehouse):
    table = clicks_table()
    warehouse.ensure_table(table)
    awkward = ['Jürgen "Jo" Müller', "Schmidt; Söhne", "line\nbreak", "", None, "back\\slash,comma"]
    frame = pd.DataFrame(
        {
            "link_id": range(len(awkward)),
            "user_id": awkward,
            "created": [pd.Timestamp("2026-11-01 12:07:55"), None] * 3,
            "partition_date": [DAY_1] * len(awkward),
        }
    )
    warehouse.replace_partition(table, "partition_date", DAY_1, frame)

    stored = warehouse.read_frame("SELECT user_id, created FROM closed_loop.clicks_test ORDER BY link_id")
    assert stored["user_id"].tolist()[:4] == awkward[:4]
    assert stored["user_id"].isna().tolist() == [False, False, False, False, True, False]
    assert stored["user_id"].iloc[5] == awkward[5]
    assert pd.Timestamp(stored["created"].iloc[0]) == pd.Timestamp("2026-11-01 12:07:55")
    assert pd.isna(stored["created"].iloc[1])


def test_missing_column_is_refused_before_anything_is_written(warehouse):
    table = clicks_table()
    warehouse.ensure_table(table)
    warehouse.replace_partition(table, "partition_date", DAY_1, day_rows(DAY_1, 5))
    with pytest.raises(ValueError, match="lacks columns \\['created'\\]"):
        warehouse.replace_partition(table, "partition_date", DAY_1, day_rows(DAY_1, 3).drop(["created"]))
    assert warehouse.row_count(table) == 5


def _replace_days(url: str, first_day: int, days: int) -> None:
    warehouse = WarehouseResource(url=url)
    table = clicks_table()
    warehouse.ensure_table(table)
    for offset in range(days):
        day = dt.date(2026, 1, 1) + dt.timedelta(days=first_day + offset)
        for _ in range(2):
            warehouse.replace_partition(table, "partition_date", day, day_rows(day, 500))


def test_two_processes_write_concurrently(warehouse_url):
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_replace_days, args=(warehouse_url, start, 15)) for start in (0, 10)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=120)
    assert [w.exitcode for w in writers] == [0, 0]

    warehouse = WarehouseResource(url=warehouse_url)
    table = clicks_table()
    assert warehouse.row_count(table) == 25 * 500
    per_day = warehouse.read_frame(
        "SELECT partition_date, count(*) AS n FROM closed_loop.clicks_test GROUP BY partition_date"
    )
    assert set(per_day["n"]) == {500}


def test_urls_are_normalised_and_passwords_masked():
    assert normalise_url("postgres://u:pw@h/db").drivername == "postgresql+psycopg"
    assert "pw" not in describe_url("postgresql://u:pw@h/db")
    with pytest.raises(ValueError, match="only duckdb"):
        normalise_url("mysql://h/db")
