"""Helpers of the recipients-import tests: run the asset against the sandbox, read what it wrote."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
import sqlalchemy as sa

from episerver_assets.campaign.rest import CampaignRestResource
from episerver_assets.defs.campaign.recipient_tables import episerver_recipients as recipients_table
from episerver_assets.defs.campaign.recipient_tables import import_state
from episerver_assets.defs.campaign.recipients_asset import ASSET_KEY, episerver_recipients
from episerver_assets.sandbox.state import ClientState
from episerver_assets.warehouse import WarehouseResource

LIST_A, LIST_B = 58001000000, 58001000001
"""The sandbox's two generated lists of client 1000, 200 recipients each at the small scale."""


def age_recipients(campaign: ClientState, list_id: int, base: dt.datetime) -> None:
    """Give the list's recipients distinct past times (one minute apart, all before `base`), as a list
    filled long ago would have; the generator stamps them all with the second it ran."""
    with campaign.lock:
        for index, recipient in enumerate(sorted(campaign.lists[list_id].recipients.values(),
                                                 key=lambda r: r.recipient_id)):
            recipient.created = recipient.modified = base - dt.timedelta(minutes=index + 1)


@dataclass
class RecipientsRuns:
    warehouse: WarehouseResource
    rest: CampaignRestResource
    config_file: Path
    instance: dg.DagsterInstance

    def configure(self, text: str) -> None:
        self.config_file.write_text(text, encoding="utf-8")

    def run(self, *, full_pass: bool = False, rest: CampaignRestResource | None = None) -> dg.ExecuteInProcessResult:
        return dg.materialize(
            [episerver_recipients],
            resources={"rest": rest or self.rest, "warehouse": self.warehouse},
            run_config={"ops": {"campaign__episerver_recipients": {"config": {"full_pass": full_pass}}}},
            instance=self.instance,
            raise_on_error=False,
        )

    def rows(self, list_id: int) -> pd.DataFrame:
        frame = self.warehouse.read_frame(
            sa.select(sa.text("*")).select_from(recipients_table).where(recipients_table.c.recipient_list_id == list_id)
        )
        return frame.set_index("ep_recipient_id").sort_index()

    def state(self, list_id: int):
        with self.warehouse.begin() as connection:
            return connection.execute(
                sa.select(import_state).where(import_state.c.recipient_list_id == list_id)
            ).one_or_none()

    def set_last_full_pass(self, list_id: int, when: dt.datetime) -> None:
        with self.warehouse.begin() as connection:
            connection.execute(sa.update(import_state).where(import_state.c.recipient_list_id == list_id)
                               .values(last_full_pass_at=when))


def rest_resource(env: dict[str, str], **settings) -> CampaignRestResource:
    """The sandbox's REST API with small pages (several per list) and quick, few retries."""
    options = {"page_size": 50, "max_attempts": 2, "backoff_base_seconds": 0.01, "backoff_max_seconds": 0.02,
               **settings}
    return CampaignRestResource(rest_url=env["EPISERVER_REST_URL"], client_id=env["EPISERVER_CLIENT_ID"],
                                api_user=env["EPISERVER_API_USER"], api_password=env["EPISERVER_API_PASSWORD"],
                                **options)


@pytest.fixture
def runs(sandbox_env, warehouse_url, tmp_path, monkeypatch):
    config_file = tmp_path / "recipients.yaml"
    monkeypatch.setenv("EPISERVER_RECIPIENTS_CONFIG", str(config_file))
    with dg.DagsterInstance.ephemeral() as instance:
        yield RecipientsRuns(WarehouseResource(url=warehouse_url), rest_resource(sandbox_env), config_file, instance)


def materialization(result: dg.ExecuteInProcessResult) -> dict:
    events = [e.event_specific_data.materialization for e in result.get_asset_materialization_events()]
    found = [m.metadata for m in events if m.asset_key == ASSET_KEY]
    assert len(found) == 1, f"{len(found)} materializations"
    return found[0]


def per_list(result: dg.ExecuteInProcessResult, list_id: int) -> dict:
    return materialization(result)["per_list"].value[str(list_id)]


def failure_message(result: dg.ExecuteInProcessResult) -> str:
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    return failure.event_specific_data.error.message
