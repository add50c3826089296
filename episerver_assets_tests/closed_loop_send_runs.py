"""Helpers for the closed-loop send tests: run the asset against the sandbox, drive its import."""

from __future__ import annotations

import sqlalchemy as sa

import dagster as dg
import pytest

from episerver_assets.campaign.sftp import CampaignSftpResource
from episerver_assets.defs.closed_loop_send.assets import subscribers_upload
from episerver_assets.defs.closed_loop_send.ledger import sends
from episerver_assets.sandbox.subscriber_import import SubscriberImporter
from episerver_assets.warehouse import WarehouseResource

CLIENT = 1000
SOURCE_MAILING, LIST_ID = 44001000000, 58001000000
OP = "closed_loop_send__subscribers_upload"


@pytest.fixture
def importer(sandbox):
    """The sandbox's import module for client 1000, passing every 50 ms instead of every 10 minutes."""
    running = SubscriberImporter(sandbox.state.client(CLIENT), sandbox.directories[CLIENT].upload,
                                 interval_seconds=0.05).start()
    yield running
    running.stop()


@pytest.fixture
def upload_dir(sandbox):
    return sandbox.directories[CLIENT].upload


@pytest.fixture
def send(sandbox_env, duckdb_url):
    """Run one send: `send(send_id, rows=..., **config)`; a duckdb warehouse unless `warehouse_url` is given."""

    def run(send_id: str, rows: list[dict[str, str]] | None, warehouse_url: str = duckdb_url,
            **config: object) -> dg.ExecuteInProcessResult:
        resources = {"warehouse": WarehouseResource(url=warehouse_url), "sftp": CampaignSftpResource.from_env()}
        run_config = {"ops": {OP: {"config": {"send_id": send_id, "rows": rows, "poll_seconds": 0.05,
                                              "outcome_timeout_seconds": 20.0, **config}}}}
        return dg.materialize([subscribers_upload], resources=resources, run_config=run_config,
                              raise_on_error=False)

    return run


def metadata_of(result: dg.ExecuteInProcessResult) -> dict[str, object]:
    [event] = result.get_asset_materialization_events()
    return {key: value.value for key, value in event.materialization.metadata.items()}


def failure_of(result: dg.ExecuteInProcessResult) -> str:
    [failure] = [e for e in result.all_events if e.is_step_failure]
    return failure.step_failure_data.error.message


def ledger_rows(warehouse_url: str) -> list[dict[str, object]]:
    with WarehouseResource(url=warehouse_url).begin() as connection:
        return [dict(r._mapping) for r in connection.execute(sa.select(sends).order_by(sends.c.file_name))]
