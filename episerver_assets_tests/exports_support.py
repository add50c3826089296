"""Exports against the sandbox: profiles and audiences written directly, plan and apply materialized."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import sqlalchemy as sa

from episerver_assets.defs.audiences.config import load_audiences
from episerver_assets.defs.audiences.tables import audience_members
from episerver_assets.defs.crm_refresh.suppressions_asset import SUPPRESSIONS_KEY
from episerver_assets.defs.crm_refresh.tables import suppressions
from episerver_assets.defs.exports.apply_asset import build_apply_asset
from episerver_assets.defs.exports.config import Export
from episerver_assets.defs.exports.plan_asset import build_plan_asset
from episerver_assets.defs.profiles.tables import user_profiles
from episerver_assets.warehouse import WarehouseResource

from .audiences_support import T0, ensure_tables, profile, recompute, replace_rows, write_audiences

CLIENT = 1000
ENGAGED_LIST = 58001000998
LEADS_LIST = 58001000997
AUDIENCES_YAML = """
audiences:
  - {name: Openers, slug: openers, filter: opens >= 1}
  - {name: Clickers, slug: clickers, filter: clicks >= 1}
"""


class ExportWorld:
    """One warehouse, one Dagster instance, the sandbox; profiles -> audiences -> plan -> apply."""

    def __init__(self, sandbox, warehouse_url: str, tmp_path, **export_fields):
        from episerver_assets.resources import rest_resource
        from episerver_assets.settings import load_settings

        self.sandbox, self.warehouse = sandbox, WarehouseResource(url=warehouse_url)
        self.audiences = load_audiences(write_audiences(tmp_path, AUDIENCES_YAML))
        self.instance = dg.DagsterInstance.ephemeral()
        self.rest = rest_resource(load_settings())
        ensure_tables(self.warehouse)
        self.warehouse.ensure_table(suppressions)
        self.export = self.configure(**export_fields)
        self.clock, self.last_people = T0, {}

    def configure(self, **fields) -> Export:
        defaults = {"name": "newsletter", "audiences": ("openers", "clickers"), "recipient_list_id": ENGAGED_LIST,
                    "membership_field": "audiences", "max_change_share": 100.0, "retry_backoff_minutes": 0}
        self.export = Export(**{**defaults, **fields})
        return self.export

    @property
    def campaign(self):
        return self.sandbox.state.client(CLIENT)

    def recipients(self, list_id: int | None = None) -> dict[str, dict]:
        target = self.campaign.lists[list_id or self.export.recipient_list_id]
        return {rid: dict(r.attributes) for rid, r in target.recipients.items()}

    def people(self, *rows: dict) -> None:
        """Replace the profiles as a build does (a row that changed gets a later `updated_at`) and recompute
        the audiences at that later time."""
        self.clock += dt.timedelta(minutes=1)
        stamps = {row["person_id"]: stamp for row, stamp in self.last_people.values()}
        self.last_people = {row["person_id"]: (row, stamps[row["person_id"]] if self.last_people.get(
            row["person_id"], (None,))[0] == row else self.clock) for row in rows}
        replace_rows(self.warehouse, user_profiles, [{**row, "updated_at": stamp}
                                                     for row, stamp in self.last_people.values()])
        recompute(self.warehouse, self.audiences, self.clock)

    def suppress(self, *addresses: str, report: bool = True) -> None:
        with self.warehouse.begin() as connection:
            connection.execute(suppressions.delete())
            if addresses:
                connection.execute(suppressions.insert(), [
                    {"address": a, "reason": "blocklisted", "source": "soap_blocklist", "is_pattern": "*" in a}
                    for a in addresses])
        if report:
            self.instance.report_runless_asset_event(dg.AssetMaterialization(SUPPRESSIONS_KEY))

    def plan(self, confirm: bool = False, compare_all: bool = False) -> dg.ExecuteInProcessResult:
        asset = build_plan_asset(self.export, self.audiences)
        return dg.materialize([asset], instance=self.instance, raise_on_error=False,
                              resources={"warehouse": self.warehouse, "rest": self.rest},
                              run_config={"ops": {asset.op.name: {"config": {"confirm": confirm,
                                                                             "compare_all": compare_all}}}})

    def apply(self, rest=None) -> dg.ExecuteInProcessResult:
        return dg.materialize([build_apply_asset(self.export)], instance=self.instance, raise_on_error=False,
                              resources={"warehouse": self.warehouse, "rest": rest or self.rest})

    def sync(self, confirm: bool = False) -> tuple[dg.ExecuteInProcessResult, dg.ExecuteInProcessResult]:
        plan = self.plan(confirm)
        assert plan.success, failure_of(plan)
        apply = self.apply()
        assert apply.success, failure_of(apply)
        return plan, apply

    def rows(self, table: sa.Table) -> list[dict]:
        with self.warehouse.begin() as connection:
            return [dict(r) for r in connection.execute(sa.select(table)).mappings().all()]

    def members(self) -> set[tuple[str, str]]:
        return {(r["audience"], r["email"]) for r in self.rows(audience_members)}


def person(n: int, opens: int = 0, clicks: int = 0, **values) -> dict:
    return profile(f"p{n}", f"user{n}@example.com", opens=opens, clicks=clicks, **values)


def metadata_of(result: dg.ExecuteInProcessResult) -> dict:
    event = result.get_asset_materialization_events()[0]
    return {k: v.value for k, v in event.materialization.metadata.items()}


def check_of(result: dg.ExecuteInProcessResult) -> dg.AssetCheckEvaluation:
    return result.get_asset_check_evaluations()[0]


def failure_of(result: dg.ExecuteInProcessResult) -> str:
    """Every failed step's error messages, its causes' included."""
    messages = []
    for event in result.get_step_failure_events():
        error = event.step_failure_data.error
        while error is not None:
            messages.append(error.message)
            error = error.cause
    return "\n".join(messages)
