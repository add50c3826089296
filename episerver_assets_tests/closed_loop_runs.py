"""Helpers for the closed-loop asset tests: run the job over a range of days, read its events."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest

from episerver_assets.defs.closed_loop.assets import closed_loop_responses, response_files
from episerver_assets.defs.closed_loop.jobs import closed_loop_job
from episerver_assets.defs.closed_loop.schemas import RESPONSE_TABLES
from episerver_assets.defs.closed_loop.warehouse_tables import warehouse_table
from episerver_assets.resources import shared_resources
from episerver_assets.warehouse import WarehouseResource

DAY_1, DAY_2, DAY_3 = dt.date(2026, 11, 17), dt.date(2026, 11, 18), dt.date(2026, 11, 19)


@pytest.fixture
def instance():
    with dg.DagsterInstance.ephemeral() as instance:
        yield instance


@pytest.fixture
def run_days(sandbox_env, warehouse_url, instance):
    resources = {**shared_resources(), "warehouse": WarehouseResource(url=warehouse_url)}
    defs = dg.Definitions(assets=[response_files, closed_loop_responses], jobs=[closed_loop_job],
                          resources=resources)

    def run(first: dt.date, last: dt.date) -> dg.ExecuteInProcessResult:
        return defs.resolve_job_def("closed_loop_job").execute_in_process(
            instance=instance,
            tags={"dagster/asset_partition_range_start": first.isoformat(),
                  "dagster/asset_partition_range_end": last.isoformat()},
            raise_on_error=False,
        )

    return run


def response_file(sandbox, table: str, day: dt.date):
    return sandbox.client_dir(1000) / "response" / RESPONSE_TABLES[table].file_name(day)


def partition_rows(warehouse_url: str, table: str, day: dt.date) -> int:
    return WarehouseResource(url=warehouse_url).row_count(warehouse_table(RESPONSE_TABLES[table]),
                                                          "partition_date", day)


def materialized(result, table: str) -> dict[str, dict]:
    key = dg.AssetKey(["closed_loop", table])
    return {
        m.partition: m.metadata
        for m in (e.event_specific_data.materialization for e in result.get_asset_materialization_events())
        if m.asset_key == key
    }


def checks(result, table: str, name: str) -> list:
    return [
        e.asset_check_evaluation_data for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
        and e.asset_check_evaluation_data.asset_key == dg.AssetKey(["closed_loop", table])
        and e.asset_check_evaluation_data.check_name == name
    ]


def check(result, table: str, name: str, day: dt.date | None = None):
    """The check's result for `day` (or its only result)."""
    found = [c for c in checks(result, table, name) if day is None or c.partition == day.isoformat()]
    assert len(found) == 1, f"{table}.{name}: {len(found)} results for {day}"
    return found[0]


def step_failure_message(result) -> str:
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    return failure.event_specific_data.error.message
