"""`audiences/audience_members` and `audiences/audience_history`: one step recomputes both in SQL
whenever the user profiles or the CRM contacts change (declarative automation, eager)."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import sqlalchemy as sa

from ...pools import WAREHOUSE
from ...warehouse import WarehouseResource
from ..crm.contacts import CONTACTS_KEY, contacts, table_schema
from ..profiles.enrichment_columns import add_enrichment_columns
from ..profiles.tables import ensure_profile_tables
from .config import config_path, load_audiences
from .recompute import recompute_audiences
from .sizes_report import definitions_table, sizes_over_time
from .tables import audience_history, audience_members, audience_sizes

OWNER = "team:crm-data"
PROFILES_KEY = dg.AssetKey(["profiles", "user_profiles"])
MEMBERS_KEY = dg.AssetKey(["audiences", "audience_members"])
HISTORY_KEY = dg.AssetKey(["audiences", "audience_history"])

AUDIENCES = load_audiences()
"""Read when the code location loads: a refused filter stops the load with file, line and token."""

AUTOMATION = dg.AutomationCondition.eager().replace(
    "any_deps_missing", dg.AutomationCondition.any_deps_missing().ignore(dg.AssetSelection.assets(CONTACTS_KEY)))
"""Eager: recompute when the profiles (or reported CRM contacts) change. The CRM extract is loaded outside
Dagster and may never be reported: its absence must not hold the audiences back (an empty table is created)."""


def _spec(key: dg.AssetKey, table, description: str, deps, constraints: list[str]) -> dg.AssetSpec:
    return dg.AssetSpec(
        key=key, description=description, group_name="audiences", kinds={"sql", "yaml"}, owners=[OWNER],
        deps=deps, automation_condition=AUTOMATION,
        metadata={"dagster/table_name": table.fullname, "dagster/column_schema": table_schema(table, constraints),
                  "audiences": dg.MetadataValue.md(definitions_table(AUDIENCES)),
                  "definitions_file": str(config_path())},
    )


def _specs() -> list[dg.AssetSpec]:
    """Built inside a function: a module-level spec would be loaded as an asset of its own."""
    members = _spec(
        MEMBERS_KEY, audience_members,
        "**Audience members**: one row per audience and member (lower-cased e-mail address) with the time "
        "the member entered. Audiences are SQL filters in the YAML file of EPISERVER_AUDIENCES_CONFIG over "
        "the user profiles full-outer-joined with the CRM contacts on the lower-cased e-mail.",
        [PROFILES_KEY, CONTACTS_KEY], ["unique (audience, email)"])
    history = _spec(
        HISTORY_KEY, audience_history,
        "**Audience history**: every entry into and exit from an audience, stamped with the computation "
        "that saw it. A member who leaves and comes back enters again.",
        [MEMBERS_KEY], [])
    return [members, history]


def _ensure_tables(warehouse: WarehouseResource) -> None:
    ensure_profile_tables(warehouse)
    warehouse.ensure_table(contacts, audience_members, audience_history, audience_sizes)
    with warehouse.begin() as connection:  # filters may name the columns enrichments fill
        add_enrichment_columns(connection, warehouse.partition_lock_timeout_seconds)


@dg.multi_asset(specs=_specs(), pool=WAREHOUSE)
def audience_assets(warehouse: WarehouseResource):
    """Recompute every audience in one transaction: members, history and sizes change together."""
    _ensure_tables(warehouse)
    with warehouse.exclusive_partition(audience_members, "all") as connection:
        # Stamped once the lock is held: a computation committed after another always stamps later, which
        # the exports' plans rely on to read only the changes since they last looked.
        at = dt.datetime.now(dt.UTC)
        counts = recompute_audiences(connection, AUDIENCES, at)
        sizes_md = sizes_over_time(connection, AUDIENCES)
        members, history = (connection.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                            for t in (audience_members, audience_history))
    yield dg.MaterializeResult(asset_key=MEMBERS_KEY, metadata={
        "dagster/row_count": int(members),
        **{f"size/{slug}": c.members for slug, c in counts.items()},
        "sizes_over_time": dg.MetadataValue.md(sizes_md),
        "computed_at": dg.MetadataValue.timestamp(at),
    })
    yield dg.MaterializeResult(asset_key=HISTORY_KEY, metadata={
        "dagster/row_count": int(history),
        **{f"entered/{slug}": c.entered for slug, c in counts.items()},
        **{f"exited/{slug}": c.exited for slug, c in counts.items()},
        "entered": sum(c.entered for c in counts.values()),
        "exited": sum(c.exited for c in counts.values()),
    })
